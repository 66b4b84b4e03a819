"""Power curves and energy register of the simulated meter."""

from __future__ import annotations

import random

import pytest

from ampyre.simulator.meter import (
    ChargingMeter,
    StationKind,
    Vehicle,
    charging_profile_limit_w,
    idle_reading,
)


def vehicle(**changes: float) -> Vehicle:
    values: dict[str, float] = {
        "battery_wh": 60_000.0,
        "soc_start": 0.2,
        "soc_target": 0.9,
        "max_ac_power_w": 11_000.0,
        "ac_phases": 3,
        "max_dc_power_w": 100_000.0,
    }
    values.update(changes)
    return Vehicle(**values)  # type: ignore[arg-type]


def meter(kind: StationKind, car: Vehicle, station_max_w: float = 22_000.0) -> ChargingMeter:
    return ChargingMeter(kind, station_max_w, car, 1_000_000.0, random.Random(3), ramp_s=30.0)


def test_ac_power_ramps_up_to_the_car_limit_and_energy_integrates() -> None:
    ac = meter(StationKind.AC, vehicle())
    assert 0 < ac.power_w() < 1_000
    ac.advance(30)
    ramp_wh = ac.register_wh - 1_000_000.0
    assert 0 < ramp_wh < 11_000 * 30 / 3600
    assert ac.power_w() == pytest.approx(11_000.0)
    ac.advance(3600)
    assert ac.register_wh - 1_000_000.0 - ramp_wh == pytest.approx(11_000.0)


def test_profile_limit_caps_power() -> None:
    ac = meter(StationKind.AC, vehicle(max_ac_power_w=22_000.0))
    ac.limit_w = 4_000.0
    ac.advance(60)
    assert ac.power_w() == pytest.approx(4_000.0)


def test_car_stops_at_target_soc_and_register_stops_growing() -> None:
    ac = meter(StationKind.AC, vehicle(battery_wh=10_000.0, soc_start=0.5, soc_target=0.6))
    ac.advance(4 * 3600)
    assert ac.vehicle_full
    assert ac.power_w() == 0.0
    assert ac.register_wh - 1_000_000.0 == pytest.approx(1_000.0)
    before = ac.register_wh
    ac.advance(600)
    assert ac.register_wh == before


def test_dc_tapers_above_half_soc_and_reports_soc() -> None:
    dc = meter(StationKind.DC, vehicle(soc_start=0.3, soc_target=1.0), station_max_w=50_000.0)
    dc.advance(60)
    assert dc.power_w() == pytest.approx(50_000.0)
    dc.advance(3600)
    reading = dc.reading()
    assert reading.soc_percent is not None
    assert reading.soc_percent > 80
    assert reading.power_w < 25_000
    assert len(reading.currents_a) == 1
    assert reading.currents_a[0] == pytest.approx(reading.power_w / reading.voltage_v)


def test_ac_reading_splits_current_over_the_car_phases() -> None:
    single = meter(StationKind.AC, vehicle(max_ac_power_w=7_400.0, ac_phases=1))
    single.advance(60)
    reading = single.reading()
    assert reading.currents_a[0] == pytest.approx(7_400.0 / reading.voltage_v, rel=0.05)
    assert reading.currents_a[1:] == (0.0, 0.0)
    assert reading.soc_percent is None


def test_idle_reading_has_the_register_only() -> None:
    assert idle_reading(StationKind.AC, 1234.9).energy_wh == 1234
    assert idle_reading(StationKind.DC, 10.0).power_w == 0.0


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        (
            {
                "chargingRateUnit": "W",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 7000}],
            },
            7000,
        ),
        (
            {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]},
            16 * 230 * 3,
        ),
        (
            {
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [
                    {"startPeriod": 600, "limit": 32},
                    {"startPeriod": 0, "limit": 10, "numberPhases": 1},
                ],
            },
            10 * 230,
        ),
        ({"chargingRateUnit": "W", "chargingSchedulePeriod": []}, None),
    ],
)
def test_charging_profile_limit(schedule: dict[str, object], expected: float | None) -> None:
    profile = {"chargingProfilePurpose": "TxProfile", "chargingSchedule": schedule}
    assert charging_profile_limit_w(profile) == expected


def test_no_profile_no_limit() -> None:
    assert charging_profile_limit_w(None) is None
