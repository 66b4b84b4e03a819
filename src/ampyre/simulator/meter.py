"""Electrical model of a charging session: power curve, energy register, phase currents.

AC: the power is the smallest of the station's maximum, the car's on-board charger and any
charging-profile limit, ramped up over the first seconds and tapering off above 95 % state of
charge. DC: full power up to 50 % SoC, then a linear taper down to 15 % of it at 100 %.
The car stops drawing power once it reaches its target SoC.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

NOMINAL_AC_VOLTAGE = 230.0
INTEGRATION_STEP_S = 5.0


class StationKind(StrEnum):
    AC = "AC"
    DC = "DC"


@dataclass(frozen=True)
class Vehicle:
    """The car plugged in: battery size, state of charge (0..1) and charging limits."""

    battery_wh: float
    soc_start: float
    soc_target: float
    max_ac_power_w: float
    ac_phases: int
    max_dc_power_w: float


@dataclass(frozen=True)
class Reading:
    """One measurement of the connector's meter.

    `currents_a` has one value per phase L1..L3 for AC (zero on unused phases) and a single
    value for DC; `soc_percent` is known only on DC (the car tells the charger over the cable).
    """

    energy_wh: int
    power_w: float
    voltage_v: float
    currents_a: tuple[float, ...]
    soc_percent: float | None


def random_vehicle(rng: random.Random) -> Vehicle:
    """A plausible car: 40-100 kWh battery, arriving with 10-60 % and leaving at 80-100 %."""
    onboard = rng.choice(((3700.0, 1), (7400.0, 1), (11000.0, 3), (11000.0, 3), (22000.0, 3)))
    soc_start = rng.uniform(0.10, 0.60)
    return Vehicle(
        battery_wh=rng.choice((40_000.0, 52_000.0, 58_000.0, 64_000.0, 77_000.0, 100_000.0)),
        soc_start=soc_start,
        soc_target=max(soc_start + 0.05, rng.uniform(0.80, 1.0)),
        max_ac_power_w=onboard[0],
        ac_phases=onboard[1],
        max_dc_power_w=rng.choice((50_000.0, 100_000.0, 150_000.0)),
    )


def charging_profile_limit_w(profile: dict[str, Any] | None, phases: int = 3) -> float | None:
    """Power limit (W) of the first period of an OCPP 1.6 ChargingProfile, or None.

    A limit in amperes is converted with the nominal 230 V and the period's `numberPhases`
    (OCPP 1.6 §7.13: 3 phases when absent).
    """
    if not profile:
        return None
    schedule = profile.get("chargingSchedule") or {}
    periods = schedule.get("chargingSchedulePeriod") or []
    if not periods:
        return None
    first = min(periods, key=lambda period: period.get("startPeriod", 0))
    limit = float(first["limit"])
    if schedule.get("chargingRateUnit") == "A":
        return limit * NOMINAL_AC_VOLTAGE * int(first.get("numberPhases", phases))
    return limit


class ChargingMeter:
    """Energy register of one connector while a car charges on it.

    `register_wh` only ever grows; it carries over from one session to the next.
    """

    def __init__(
        self,
        kind: StationKind,
        station_max_w: float,
        vehicle: Vehicle,
        register_wh: float,
        rng: random.Random,
        *,
        ramp_s: float = 30.0,
    ) -> None:
        self.kind = kind
        self.station_max_w = station_max_w
        self.vehicle = vehicle
        self.register_wh = register_wh
        self.limit_w: float | None = None
        self._rng = rng
        self._ramp_s = ramp_s
        self._charging_s = 0.0
        self._stored_wh = vehicle.battery_wh * vehicle.soc_start

    @property
    def soc(self) -> float:
        return min(1.0, self._stored_wh / self.vehicle.battery_wh)

    @property
    def vehicle_full(self) -> bool:
        return self.soc >= self.vehicle.soc_target

    def available_power_w(self) -> float:
        """Most the station may deliver now: its rating, the car's limit and any profile limit."""
        car_limit = (
            self.vehicle.max_ac_power_w
            if self.kind is StationKind.AC
            else self.vehicle.max_dc_power_w
        )
        power = min(self.station_max_w, car_limit)
        if self.limit_w is not None:
            power = min(power, max(0.0, self.limit_w))
        return power

    def power_w(self) -> float:
        """Power the car draws in the current state (W)."""
        if self.vehicle_full:
            return 0.0
        soc = self.soc
        power = self.available_power_w() * min(1.0, (self._charging_s + 1.0) / self._ramp_s)
        if self.kind is StationKind.DC and soc > 0.5:
            power *= 1.0 - 0.85 * (soc - 0.5) / 0.5
        elif self.kind is StationKind.AC and soc > 0.95:
            power *= max(0.2, (1.0 - soc) / 0.05)
        return power

    def advance(self, seconds: float) -> None:
        """Let `seconds` of simulated charging pass, integrating the power curve."""
        remaining = max(0.0, seconds)
        while remaining > 0:
            step = min(INTEGRATION_STEP_S, remaining)
            energy = self.power_w() * step / 3600.0
            if energy > 0:
                needed = self.vehicle.battery_wh * self.vehicle.soc_target - self._stored_wh
                energy = min(energy, max(0.0, needed))
            self._stored_wh += energy
            self.register_wh += energy
            self._charging_s += step
            remaining -= step

    def reading(self) -> Reading:
        """Current measurement with a little realistic noise on voltage and currents."""
        power = self.power_w()
        if self.kind is StationKind.DC:
            voltage = 360.0 + 60.0 * self.soc + self._rng.gauss(0.0, 0.8)
            return Reading(
                energy_wh=int(self.register_wh),
                power_w=power,
                voltage_v=voltage,
                currents_a=(power / voltage,),
                soc_percent=round(self.soc * 100.0, 1),
            )
        voltage = NOMINAL_AC_VOLTAGE + self._rng.gauss(0.0, 1.5)
        phases = self.vehicle.ac_phases
        per_phase = power / (voltage * phases)
        currents = tuple(
            max(0.0, per_phase * (1.0 + self._rng.gauss(0.0, 0.01))) if n < phases else 0.0
            for n in range(3)
        )
        return Reading(
            energy_wh=int(self.register_wh),
            power_w=power,
            voltage_v=voltage,
            currents_a=currents,
            soc_percent=None,
        )


def idle_reading(kind: StationKind, register_wh: float) -> Reading:
    """Meter of a connector without a car: register only, no power."""
    if kind is StationKind.DC:
        return Reading(int(register_wh), 0.0, 0.0, (0.0,), None)
    return Reading(int(register_wh), 0.0, NOMINAL_AC_VOLTAGE, (0.0, 0.0, 0.0), None)
