"""A simulated station over an in-memory CSMS (no sockets): boot, sessions and commands."""

from __future__ import annotations

import asyncio
import random
from dataclasses import replace
from types import TracebackType
from typing import Any

import pytest
from sim_fakes import FakeCsms, assert_valid

from ampyre.ocpp.rpc import CallErrorReceived
from ampyre.simulator import SimulatedStation, SimulationOptions, SimulationReport
from ampyre.simulator.clock import SimClock
from ampyre.simulator.config import StationCredentials
from ampyre.simulator.station import LinkOutcome

OPTIONS = SimulationOptions(
    url="ws://127.0.0.1:1/ocpp",
    speed=1000.0,
    dc_share=0.0,
    session_duration=(3600.0, 3600.0),
)


def make_station(options: SimulationOptions = OPTIONS, seed: int = 1) -> SimulatedStation:
    return SimulatedStation(
        StationCredentials("UNIT-1", "pw"),
        options,
        clock=SimClock(options.speed),
        rng=random.Random(seed),
        report=SimulationReport(),
    )


class Linked:
    """`station.operate` over `csms` for the duration of an `async with`."""

    def __init__(self, station: SimulatedStation, csms: FakeCsms) -> None:
        self.station = station
        self.csms = csms
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.stop = asyncio.Event()
        self.task: asyncio.Task[LinkOutcome] | None = None

    async def __aenter__(self) -> Linked:
        self.task = asyncio.create_task(self.station.operate(self.csms, self.closed, self.stop))
        await self.csms.wait_until(lambda: len(self.csms.statuses(2)) >= 1)
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.task is not None and not self.task.done():
            self.stop.set()
            await self.task

    async def command(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        assert_valid(action, payload)
        answer = await self.station.handlers[action](payload)
        assert_valid(action, answer, response=True)
        return answer


async def test_boot_reports_every_connector_and_heartbeats_at_the_boot_interval() -> None:
    csms = FakeCsms(
        BootNotification=lambda p: {
            "status": "Accepted",
            "currentTime": "2026-01-01T00:00:00Z",
            "interval": 20,
        }
    )
    station = make_station()
    async with Linked(station, csms):
        assert csms.actions()[:4] == ["BootNotification", *["StatusNotification"] * 3]
        assert [p["connectorId"] for p in csms.of("StatusNotification")] == [0, 1, 2]
        await csms.wait_until(lambda: len(csms.of("Heartbeat")) >= 2)  # 20 s / 1000 = 20 ms
    boot = csms.of("BootNotification")[0]
    assert (boot["chargePointVendor"], boot["chargePointModel"]) == ("Ampyre", "SimCharger 22")
    assert station.config.integer("HeartbeatInterval") == 20


async def test_rejected_boot_is_retried_after_the_interval_and_nothing_else_is_sent() -> None:
    def rejected(p: dict[str, Any]) -> dict[str, Any]:
        return {"status": "Rejected", "currentTime": "2026-01-01T00:00:00Z", "interval": 30}

    csms = FakeCsms(BootNotification=[rejected, rejected])
    station = make_station()
    async with Linked(station, csms):
        assert csms.actions()[:3] == ["BootNotification"] * 3
    assert station.report.boot_results == {"Rejected": 2, "Accepted": 1}


async def test_remote_start_sends_status_start_and_begin_values_in_order() -> None:
    csms = FakeCsms()
    station = make_station()
    async with Linked(station, csms) as link:
        station.config.change("AuthorizeRemoteTxRequests", "true")
        answer = await link.command("RemoteStartTransaction", {"connectorId": 2, "idTag": "R1"})
        assert answer == {"status": "Accepted"}
        await csms.wait_until(lambda: len(csms.of("MeterValues")) >= 2)
        after_boot = csms.calls[4:]
        assert [a for a, _ in after_boot[:5]] == [
            "StatusNotification",
            "Authorize",
            "StartTransaction",
            "StatusNotification",
            "MeterValues",
        ]
        assert csms.statuses(2) == ["Available", "Preparing", "Charging"]
        begin, periodic = csms.of("MeterValues")[:2]
        assert begin["meterValue"][0]["sampledValue"][0]["context"] == "Transaction.Begin"
        assert begin["transactionId"] == periodic["transactionId"] == 101
        assert {s["context"] for s in periodic["meterValue"][0]["sampledValue"]} == {
            "Sample.Periodic"
        }


async def test_remote_start_picks_a_free_connector_and_rejects_when_none_is() -> None:
    csms = FakeCsms()
    async with Linked(make_station(), csms) as link:
        assert await link.command("RemoteStartTransaction", {"idTag": "A"}) == {
            "status": "Accepted"
        }
        assert await link.command("RemoteStartTransaction", {"idTag": "B"}) == {
            "status": "Accepted"
        }
        assert await link.command("RemoteStartTransaction", {"idTag": "C"}) == {
            "status": "Rejected"
        }
        await csms.wait_until(lambda: len(csms.of("StartTransaction")) == 2)
        assert sorted(p["connectorId"] for p in csms.of("StartTransaction")) == [1, 2]
        no_tx_profile = {
            "connectorId": 1,
            "idTag": "D",
            "chargingProfile": {
                "chargingProfileId": 1,
                "stackLevel": 0,
                "chargingProfilePurpose": "TxDefaultProfile",
                "chargingProfileKind": "Absolute",
                "chargingSchedule": {
                    "chargingRateUnit": "A",
                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 8.0}],
                },
            },
        }
        assert await link.command("RemoteStartTransaction", no_tx_profile) == {"status": "Rejected"}


async def test_blocked_authorization_returns_the_connector_to_available() -> None:
    csms = FakeCsms(Authorize=lambda p: {"idTagInfo": {"status": "Blocked"}})
    station = make_station()
    async with Linked(station, csms) as link:
        station.config.change("AuthorizeRemoteTxRequests", "true")
        await link.command("RemoteStartTransaction", {"connectorId": 1, "idTag": "BAD"})
        await csms.wait_until(
            lambda: csms.statuses(1)[-1:] == ["Available"] and len(csms.statuses(1)) == 3
        )
    assert csms.statuses(1) == ["Available", "Preparing", "Available"]
    assert not csms.of("StartTransaction")
    assert station.report.sessions_refused == 1


async def test_invalid_id_tag_in_start_answer_stops_with_deauthorized() -> None:
    csms = FakeCsms(
        StartTransaction=lambda p: {"transactionId": 7, "idTagInfo": {"status": "Invalid"}}
    )
    station = make_station()
    async with Linked(station, csms) as link:
        await link.command("RemoteStartTransaction", {"connectorId": 1, "idTag": "WHO"})
        await csms.wait_until(lambda: bool(csms.of("StopTransaction")))
    stop = csms.of("StopTransaction")[0]
    start = csms.of("StartTransaction")[0]
    assert (stop["transactionId"], stop["reason"], stop["idTag"]) == (7, "DeAuthorized", "WHO")
    assert stop["meterStop"] == start["meterStart"]
    assert "Charging" not in csms.statuses(1)


async def test_transaction_messages_are_retried_after_a_call_error() -> None:
    csms = FakeCsms(
        StopTransaction=[CallErrorReceived("InternalError", "db down", {}), lambda p: {}]
    )
    station = make_station()
    async with Linked(station, csms) as link:
        await link.command("RemoteStartTransaction", {"connectorId": 1, "idTag": "R"})
        await csms.wait_until(lambda: bool(csms.of("StartTransaction")))
        assert await link.command("RemoteStopTransaction", {"transactionId": 5}) == {
            "status": "Rejected"
        }
        assert await link.command("RemoteStopTransaction", {"transactionId": 101}) == {
            "status": "Accepted"
        }
        await csms.wait_until(lambda: len(csms.of("StopTransaction")) == 2)
    first, second = csms.of("StopTransaction")
    assert first == second
    assert first["reason"] == "Remote"
    assert station.report.call_errors == 1
    assert station.report.sessions_completed == 1


async def test_change_availability_rules() -> None:
    csms = FakeCsms()
    station = make_station()
    async with Linked(station, csms) as link:
        assert await link.command(
            "ChangeAvailability", {"connectorId": 3, "type": "Inoperative"}
        ) == {"status": "Rejected"}
        await link.command("RemoteStartTransaction", {"connectorId": 1, "idTag": "R"})
        await csms.wait_until(lambda: "Charging" in csms.statuses(1))
        whole = {"connectorId": 0, "type": "Inoperative"}
        assert await link.command("ChangeAvailability", whole) == {"status": "Scheduled"}
        await csms.wait_until(lambda: csms.statuses(2)[-1:] == ["Unavailable"])
        assert csms.statuses(0)[-1] == "Unavailable"
        assert await link.command("UnlockConnector", {"connectorId": 1}) == {"status": "Unlocked"}
        await csms.wait_until(lambda: csms.statuses(1)[-1:] == ["Unavailable"])
        assert csms.of("StopTransaction")[0]["reason"] == "UnlockCommand"
        operative = {"connectorId": 0, "type": "Operative"}
        assert await link.command("ChangeAvailability", operative) == {"status": "Accepted"}
        await csms.wait_until(lambda: csms.statuses(1)[-1:] == ["Available"])
        assert await link.command("RemoteStartTransaction", {"connectorId": 1, "idTag": "R2"}) == {
            "status": "Accepted"
        }


async def test_trigger_message() -> None:
    csms = FakeCsms()
    async with Linked(make_station(), csms) as link:
        bad = {"requestedMessage": "StatusNotification", "connectorId": 9}
        assert await link.command("TriggerMessage", bad) == {"status": "Rejected"}
        firmware = {"requestedMessage": "FirmwareStatusNotification"}
        assert await link.command("TriggerMessage", firmware) == {"status": "NotImplemented"}
        meter = {"requestedMessage": "MeterValues", "connectorId": 2}
        assert await link.command("TriggerMessage", meter) == {"status": "Accepted"}
        await csms.wait_until(lambda: bool(csms.of("MeterValues")))
        values = csms.of("MeterValues")[0]
        assert "transactionId" not in values
        assert values["connectorId"] == 2
        assert values["meterValue"][0]["sampledValue"][0]["context"] == "Trigger"
        boot = {"requestedMessage": "BootNotification"}
        assert await link.command("TriggerMessage", boot) == {"status": "Accepted"}
        await csms.wait_until(lambda: len(csms.of("BootNotification")) == 2)
        everything = {"requestedMessage": "StatusNotification"}
        assert await link.command("TriggerMessage", everything) == {"status": "Accepted"}
        await csms.wait_until(lambda: len(csms.of("StatusNotification")) == 6)


async def test_hard_reset_stops_transactions_then_asks_for_a_reboot() -> None:
    csms = FakeCsms()
    station = make_station()
    async with Linked(station, csms) as link:
        await link.command("RemoteStartTransaction", {"connectorId": 1, "idTag": "R"})
        await csms.wait_until(lambda: bool(csms.of("StartTransaction")))
        assert await link.command("Reset", {"type": "Hard"}) == {"status": "Accepted"}
        assert link.task is not None
        assert await asyncio.wait_for(link.task, 3) is LinkOutcome.RESET
    assert csms.of("StopTransaction")[0]["reason"] == "HardReset"
    assert station.reset_requested == "Hard"
    station.reboot_done()
    assert station.reset_requested is None


async def test_a_session_survives_a_dropped_connection_and_stops_on_the_next_one() -> None:
    station = make_station()
    first = FakeCsms()
    async with Linked(station, first) as link:
        await link.command("RemoteStartTransaction", {"connectorId": 1, "idTag": "R"})
        await first.wait_until(lambda: bool(first.of("MeterValues")))
        link.closed.set_result(None)
        assert link.task is not None
        assert await link.task is LinkOutcome.CLOSED
    session = station.connectors[1].session
    assert session is not None
    session.request_stop("Local")
    await asyncio.sleep(0.05)
    second = FakeCsms()
    async with Linked(station, second):
        await second.wait_until(lambda: bool(second.of("StopTransaction")))
        assert second.statuses(1)[0] == "Charging"  # reported as it is after the reconnect
    stop = second.of("StopTransaction")[0]
    assert (stop["transactionId"], stop["reason"], stop["idTag"]) == (101, "Local", "R")
    assert not first.of("StopTransaction")
    await station.shutdown()


async def test_misc_commands_and_configuration() -> None:
    csms = FakeCsms()
    station = make_station()
    async with Linked(station, csms) as link:
        assert await link.command("ClearCache", {}) == {"status": "Accepted"}
        assert await link.command("DataTransfer", {"vendorId": "X"}) == {
            "status": "UnknownVendorId"
        }
        assert await link.command("UnlockConnector", {"connectorId": 0}) == {
            "status": "NotSupported"
        }
        change = {"key": "MeterValueSampleInterval", "value": "0"}
        assert await link.command("ChangeConfiguration", change) == {"status": "Accepted"}
        answer = await link.command("GetConfiguration", {"key": ["MeterValueSampleInterval"]})
        assert answer["configurationKey"][0]["value"] == "0"
        await link.command("RemoteStartTransaction", {"connectorId": 1, "idTag": "R"})
        await asyncio.sleep(0.1)  # 100 s simulated: no periodic values with interval 0
    assert len(csms.of("MeterValues")) == 1  # Transaction.Begin only
    assert station.report.commands_received["ChangeConfiguration"] == 1


def test_same_seed_same_station() -> None:
    one, two, other = make_station(seed=5), make_station(seed=5), make_station(seed=6)
    assert (one.serial, one.kind, one.connectors[1].register_wh) == (
        two.serial,
        two.kind,
        two.connectors[1].register_wh,
    )
    assert one.serial != other.serial


def test_dc_stations_report_soc() -> None:
    station = make_station(replace(OPTIONS, dc_share=1.0))
    assert station.model == "SimCharger DC50"
    assert "SoC" in station.config.measurands("MeterValuesSampledData")


@pytest.mark.parametrize(
    "changes",
    [
        {"url": "http://x"},
        {"speed": 0.0},
        {"stations": -1},
        {"connectors_per_station": 0},
        {"dc_share": 1.5},
        {"id_tags": ("X" * 21,)},
        {"session_duration": (10.0, 5.0)},
        {"duration": -1.0},
    ],
)
def test_invalid_options_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        replace(OPTIONS, **changes)


def test_station_ids_and_explicit_credentials() -> None:
    options = replace(OPTIONS, stations=2, id_prefix="LAB", password="p")
    assert [c.station_id for c in options.station_credentials()] == ["LAB-00001", "LAB-00002"]
    explicit = (StationCredentials("A", "1"), StationCredentials("B", None))
    assert replace(options, credentials=explicit).station_credentials() == explicit
