"""The simulator against a real (tiny) OCPP 1.6 CSMS over real sockets, at speed 50."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from tiny_csms import TinyCsms

from ampyre.simulator import SimulationOptions, SimulationReport, run_simulation

PASSWORD = "s3cret-pass"
STATIONS = ("SIM-00001", "SIM-00002", "SIM-00003")
W_PROFILE = {
    "chargingProfileId": 1,
    "stackLevel": 0,
    "chargingProfilePurpose": "TxProfile",
    "chargingProfileKind": "Relative",
    "chargingSchedule": {
        "chargingRateUnit": "W",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 3000.0}],
    },
}


@pytest.fixture
async def csms() -> AsyncIterator[TinyCsms]:
    server = await TinyCsms(passwords=dict.fromkeys(STATIONS, PASSWORD)).start()
    yield server
    await server.stop()


def options_for(csms: TinyCsms, **changes: Any) -> SimulationOptions:
    base = SimulationOptions(
        url=csms.url,
        stations=3,
        password=PASSWORD,
        speed=50.0,
        seed=7,
        dc_share=0.0,
        meter_interval=10.0,
        session_duration=(3600.0, 3600.0),
        connect_rate=200.0,
    )
    return replace(base, **changes)


class Running:
    """A simulation running in the background of a test."""

    def __init__(self, options: SimulationOptions) -> None:
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(run_simulation(options, stop=self.stop))

    async def finish(self) -> SimulationReport:
        self.stop.set()
        return await asyncio.wait_for(self.task, 10)


async def booted(csms: TinyCsms, stations: tuple[str, ...] = STATIONS) -> None:
    """Wait until every station booted and reported connector 0, 1 and 2."""
    await csms.wait_until(
        lambda: all(
            {r.payload["connectorId"] for r in csms.of("StatusNotification", s)} >= {0, 1, 2}
            for s in stations
        )
    )


def periodic_samples(csms: TinyCsms, transaction_id: int) -> list[dict[str, Any]]:
    return [
        sample
        for r in csms.of("MeterValues")
        if r.payload.get("transactionId") == transaction_id
        for sample in r.payload["meterValue"][0]["sampledValue"]
        if sample["context"] == "Sample.Periodic"
    ]


async def test_boot_status_heartbeat_and_a_full_local_session(csms: TinyCsms) -> None:
    csms.heartbeat_interval = 10
    sim = Running(
        options_for(
            csms, id_tags=("TAG-A", "TAG-B"), mean_idle_time=20.0, session_duration=(40.0, 60.0)
        )
    )
    await booted(csms)
    await csms.wait_until(lambda: len(csms.of("StopTransaction")) >= 1, within_s=8)
    report = await sim.finish()

    boots = csms.of("BootNotification")
    assert {b.station_id for b in boots} == set(STATIONS)
    assert all(b.payload["chargePointVendor"] == "Ampyre" for b in boots)
    assert all(b.payload["chargePointModel"] == "SimCharger 22" for b in boots)
    for station in STATIONS:
        first = csms.of("StatusNotification", station)[:3]
        assert [(s.payload["connectorId"], s.payload["status"]) for s in first] == [
            (0, "Available"),
            (1, "Available"),
            (2, "Available"),
        ]
        assert len(csms.of("Heartbeat", station)) >= 1

    stop = csms.of("StopTransaction")[0]
    transaction_id = stop.payload["transactionId"]
    start = csms.started[transaction_id]
    assert start.station_id == stop.station_id
    assert start.payload["idTag"] in {"TAG-A", "TAG-B"}
    assert stop.payload["meterStop"] > start.payload["meterStart"]
    assert stop.payload["reason"] in {"Local", "EVDisconnected"}
    contexts = [d["sampledValue"][0]["context"] for d in stop.payload["transactionData"]]
    assert contexts == ["Transaction.Begin", "Transaction.End"]

    meter_values = [
        r for r in csms.of("MeterValues") if r.payload.get("transactionId") == transaction_id
    ]
    assert meter_values[0].payload["meterValue"][0]["sampledValue"][0]["context"] == (
        "Transaction.Begin"
    )
    samples = periodic_samples(csms, transaction_id)
    kinds = {(s["measurand"], s.get("phase")) for s in samples}
    assert {
        ("Energy.Active.Import.Register", None),
        ("Power.Active.Import", None),
        ("Current.Import", "L1"),
        ("Current.Import", "L3"),
        ("Voltage", "L1-N"),
    } <= kinds
    energies = [int(s["value"]) for s in samples if s["measurand"].startswith("Energy")]
    assert energies == sorted(energies)
    assert start.payload["meterStart"] <= energies[0] <= energies[-1] <= stop.payload["meterStop"]

    connector = start.payload["connectorId"]
    statuses = [
        r.payload["status"]
        for r in csms.of("StatusNotification", stop.station_id)
        if r.payload["connectorId"] == connector
    ]
    assert statuses[1:3] == ["Preparing", "Charging"]
    assert report.sessions_completed >= 1
    assert report.errors == 0
    assert report.messages_sent["BootNotification"] == 3
    assert report.total_messages_sent == len(csms.received)


async def test_remote_start_with_profile_limit_then_remote_stop(csms: TinyCsms) -> None:
    sim = Running(options_for(csms))
    await booted(csms)
    link = csms.connections["SIM-00002"]
    request = {"connectorId": 1, "idTag": "REMOTE-1", "chargingProfile": W_PROFILE}
    assert await link.call("RemoteStartTransaction", request) == {"status": "Accepted"}
    assert await link.call("RemoteStartTransaction", request) == {"status": "Rejected"}
    await csms.wait_until(lambda: bool(csms.of("StartTransaction", "SIM-00002")))
    transaction_id = csms.transaction_of("SIM-00002", "REMOTE-1")
    await csms.wait_until(lambda: len(periodic_samples(csms, transaction_id)) >= 12)
    powers = [
        float(s["value"])
        for s in periodic_samples(csms, transaction_id)
        if s["measurand"] == "Power.Active.Import"
    ]
    assert 0 < max(powers) <= 3000.0

    assert await link.call("RemoteStopTransaction", {"transactionId": 999}) == {
        "status": "Rejected"
    }
    assert await link.call("RemoteStopTransaction", {"transactionId": transaction_id}) == {
        "status": "Accepted"
    }
    await csms.wait_until(lambda: bool(csms.of("StopTransaction", "SIM-00002")))
    stop = csms.of("StopTransaction", "SIM-00002")[0].payload
    assert (stop["transactionId"], stop["reason"], stop["idTag"]) == (
        transaction_id,
        "Remote",
        "REMOTE-1",
    )
    report = await sim.finish()
    assert report.commands_received["RemoteStartTransaction"] == 2
    assert report.sessions_completed == 1


async def test_soft_reset_stops_the_transaction_and_reconnects(csms: TinyCsms) -> None:
    sim = Running(options_for(csms))
    await booted(csms)
    link = csms.connections["SIM-00001"]
    await link.call("RemoteStartTransaction", {"connectorId": 2, "idTag": "REMOTE-2"})
    await csms.wait_until(lambda: bool(csms.of("StartTransaction", "SIM-00001")))

    assert await link.call("Reset", {"type": "Soft"}) == {"status": "Accepted"}
    await csms.wait_until(lambda: len(csms.of("BootNotification", "SIM-00001")) == 2)
    report = await sim.finish()

    stop = csms.of("StopTransaction", "SIM-00001")[0].payload
    assert stop["reason"] == "SoftReset"
    assert csms.connects["SIM-00001"] == 2
    assert report.reconnects == 1
    after_reset = [
        r
        for r in csms.received[csms.received.index(csms.of("BootNotification", "SIM-00001")[1]) :]
        if r.station_id == "SIM-00001" and r.action == "StatusNotification"
    ]
    assert [r.payload["status"] for r in after_reset[:3]] == ["Available"] * 3


async def test_configuration_is_reported_and_changed_live(csms: TinyCsms) -> None:
    sim = Running(options_for(csms, stations=1))
    await booted(csms, STATIONS[:1])
    link = csms.connections["SIM-00001"]

    answer = await link.call(
        "GetConfiguration", {"key": ["HeartbeatInterval", "NumberOfConnectors", "Nope"]}
    )
    assert answer["configurationKey"] == [
        {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
        {"key": "NumberOfConnectors", "readonly": True, "value": "2"},
    ]
    assert answer["unknownKey"] == ["Nope"]
    everything = await link.call("GetConfiguration", {})
    assert len(everything["configurationKey"]) > 20

    async def change(key: str, value: str) -> str:
        result = await link.call("ChangeConfiguration", {"key": key, "value": value})
        return str(result["status"])

    assert await change("NumberOfConnectors", "4") == "Rejected"
    assert await change("HeartbeatInterval", "often") == "Rejected"
    assert await change("NoSuchKey", "1") == "NotSupported"
    before = len(csms.of("Heartbeat"))
    assert await change("HeartbeatInterval", "2") == "Accepted"
    await asyncio.sleep(0.5)
    assert len(csms.of("Heartbeat")) - before >= 5  # 2 s / speed 50 = 40 ms apart
    await sim.finish()


async def test_trigger_availability_unlock_and_misc_commands(csms: TinyCsms) -> None:
    sim = Running(options_for(csms, stations=1))
    await booted(csms, STATIONS[:1])
    link = csms.connections["SIM-00001"]

    def statuses(connector: int) -> list[str]:
        return [
            r.payload["status"]
            for r in csms.of("StatusNotification")
            if r.payload["connectorId"] == connector
        ]

    trigger = {"requestedMessage": "StatusNotification", "connectorId": 1}
    assert await link.call("TriggerMessage", trigger) == {"status": "Accepted"}
    await csms.wait_until(lambda: len(statuses(1)) == 2)
    unsupported = {"requestedMessage": "DiagnosticsStatusNotification"}
    assert await link.call("TriggerMessage", unsupported) == {"status": "NotImplemented"}
    assert await link.call("TriggerMessage", {"requestedMessage": "Heartbeat"}) == {
        "status": "Accepted"
    }
    await csms.wait_until(lambda: bool(csms.of("Heartbeat")))

    change = {"connectorId": 1, "type": "Inoperative"}
    assert await link.call("ChangeAvailability", change) == {"status": "Accepted"}
    await csms.wait_until(lambda: statuses(1)[-1] == "Unavailable")
    remote = {"connectorId": 1, "idTag": "REMOTE-3"}
    assert await link.call("RemoteStartTransaction", remote) == {"status": "Rejected"}
    assert await link.call("ChangeAvailability", {**change, "type": "Operative"}) == {
        "status": "Accepted"
    }
    await csms.wait_until(lambda: statuses(1)[-1] == "Available")

    assert await link.call("RemoteStartTransaction", remote) == {"status": "Accepted"}
    await csms.wait_until(lambda: bool(csms.of("StartTransaction")))
    assert await link.call("ChangeAvailability", change) == {"status": "Scheduled"}
    meter_trigger = {"requestedMessage": "MeterValues", "connectorId": 1}
    assert await link.call("TriggerMessage", meter_trigger) == {"status": "Accepted"}
    await csms.wait_until(
        lambda: any(
            r.payload["meterValue"][0]["sampledValue"][0]["context"] == "Trigger"
            for r in csms.of("MeterValues")
        )
    )
    assert await link.call("UnlockConnector", {"connectorId": 7}) == {"status": "NotSupported"}
    assert await link.call("UnlockConnector", {"connectorId": 1}) == {"status": "Unlocked"}
    await csms.wait_until(lambda: bool(csms.of("StopTransaction")))
    assert csms.of("StopTransaction")[0].payload["reason"] == "UnlockCommand"
    await csms.wait_until(lambda: statuses(1)[-1] == "Unavailable")  # the scheduled change

    assert await link.call("ClearCache", {}) == {"status": "Accepted"}
    assert await link.call("DataTransfer", {"vendorId": "Acme"}) == {"status": "UnknownVendorId"}
    report = await sim.finish()
    assert report.errors == 0


async def test_pending_boot_is_retried_and_wrong_password_backs_off() -> None:
    csms = await TinyCsms(
        passwords={"SIM-00001": PASSWORD, "SIM-00002": "other"},
        boot_answers={"SIM-00001": ["Pending", "Pending", "Accepted"]},
        boot_retry_interval=2,
    ).start()
    try:
        sim = Running(options_for(csms, stations=2))
        await booted(csms, STATIONS[:1])
        await csms.wait_until(lambda: csms.rejected_handshakes >= 3)
        report = await sim.finish()
    finally:
        await csms.stop()
    assert csms.of("StatusNotification", "SIM-00001")[0].payload["connectorId"] == 0
    assert report.boot_results == {"Pending": 2, "Accepted": 1}
    first_status = csms.received.index(csms.of("StatusNotification", "SIM-00001")[0])
    assert [r.action for r in csms.received[:first_status]] == ["BootNotification"] * 3
    assert report.connect_failures >= 3
    assert "SIM-00002" not in csms.connects
