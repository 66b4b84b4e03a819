"""Payloads of the simulator conform to the OCPP 1.6 schemas; helpers behave."""

from __future__ import annotations

import asyncio
import base64
import random

import pytest
from sim_fakes import assert_valid

from ampyre.simulator import messages
from ampyre.simulator.clock import SimClock, utc_timestamp
from ampyre.simulator.connection import Backoff, basic_auth_header, station_url
from ampyre.simulator.fleet import station_rng
from ampyre.simulator.meter import ChargingMeter, StationKind, random_vehicle
from ampyre.simulator.report import SimulationReport

ALL = ("Energy.Active.Import.Register", "Power.Active.Import", "Current.Import", "Voltage", "SoC")


@pytest.mark.parametrize("kind", [StationKind.AC, StationKind.DC])
def test_meter_values_and_stop_transaction_are_schema_valid(kind: StationKind) -> None:
    rng = random.Random(2)
    meter = ChargingMeter(kind, 50_000.0, random_vehicle(rng), 5_000.0, rng)
    meter.advance(600)
    samples = messages.sampled_values(meter.reading(), ALL, "Sample.Periodic")
    assert_valid("MeterValues", messages.meter_values(1, 42, samples))
    measurands = [s["measurand"] for s in samples]
    if kind is StationKind.AC:
        assert measurands.count("Current.Import") == 3
        assert measurands.count("Voltage") == 3
        assert "SoC" not in measurands
    else:
        assert measurands.count("Current.Import") == 1
        assert "SoC" in measurands
    data = [{"timestamp": utc_timestamp(), "sampledValue": samples}]
    assert_valid("StopTransaction", messages.stop_transaction(42, 5_100, "Local", "TAG", data))
    assert_valid(
        "StopTransaction", messages.stop_transaction(42, 5_100, "EVDisconnected", None, [])
    )


def test_boot_status_and_start_are_schema_valid() -> None:
    assert_valid("BootNotification", messages.boot_notification("SimCharger 22", "SIM" + "9" * 30))
    assert_valid("StatusNotification", messages.status_notification(0, "Available"))
    assert_valid("StartTransaction", messages.start_transaction(2, "TAG", 1234))


def test_timestamps_are_utc_with_z() -> None:
    stamp = utc_timestamp()
    assert stamp.endswith("Z")
    assert len(stamp) == len("2026-01-01T00:00:00.000Z")


def test_backoff_doubles_with_jitter_up_to_the_cap() -> None:
    backoff = Backoff(random.Random(1), base=1.0, cap=8.0)
    delays = [backoff.next_delay() for _ in range(6)]
    for attempt, delay in enumerate(delays):
        ceiling = min(8.0, 2.0**attempt)
        assert ceiling / 2 <= delay <= ceiling
    backoff.reset()
    assert backoff.next_delay() <= 1.0


def test_url_and_basic_auth() -> None:
    assert station_url("ws://h:1/ocpp/", "A B/1") == "ws://h:1/ocpp/A%20B%2F1"
    header = basic_auth_header("SIM-00001", "pa:ss")
    assert base64.b64decode(header.removeprefix("Basic ")).decode() == "SIM-00001:pa:ss"


def test_station_rng_depends_on_seed_and_id_only() -> None:
    assert station_rng(3, "A").random() == station_rng(3, "A").random()
    assert station_rng(3, "A").random() != station_rng(3, "B").random()
    assert station_rng(4, "A").random() != station_rng(3, "A").random()


async def test_clock_divides_waits_by_speed() -> None:
    clock = SimClock(100.0)
    assert clock.to_real(10.0) == pytest.approx(0.1)
    event = asyncio.Event()
    assert await clock.wait_for(event, 1.0) is False
    assert clock.elapsed() >= 1.0
    event.set()
    assert await clock.wait_for(event, 1000.0) is True


def test_report_summary() -> None:
    report = SimulationReport(stations=2)
    report.messages_sent.update({"Heartbeat": 3, "BootNotification": 2})
    report.call_timeouts = 1
    report.energy_delivered_wh = 12_345
    summary = report.as_dict()
    assert summary["messages_sent"] == 5
    assert summary["errors"] == 1
    assert summary["energy_delivered_kwh"] == 12.345
