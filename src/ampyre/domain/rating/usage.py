"""Cutting a session's meter data into charging periods (Ampyre is the CPO: OCPI 2.2.1 §10).

The energy register is read as a piecewise-linear curve through the session's samples
(start reading, every register sample, stop reading). Where the connector reported the car
suspended inside a sample interval that still gained energy, the energy is put on the
non-suspended part. A stretch of the curve that gains energy is charging; a flat one is
parking (connected, not drawing power).

A new period starts at every instant where the price could change:
- charging ↔ parking;
- a restriction's start or end time, and midnight, in the location's time zone (both
  occurrences of an ambiguous wall time, and every DST transition, are cut too);
- ``session start + min/max_duration`` (a grace period is one);
- the instant the cumulative energy reaches a min/max_kWh, interpolated between samples;
- the instant power or current crosses a restriction's threshold: linearly between reported
  samples, or at a sample when the power is derived from the register.

Times are integer microseconds from the start and energy integer milliwatt-hours, so period
volumes telescope: they always add up exactly to the session's duration and energy.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import ROUND_CEILING, Decimal
from functools import lru_cache
from itertools import pairwise
from typing import NamedTuple

from ampyre.domain.durations import microseconds
from ampyre.domain.rating.periods import ChargingPeriod
from ampyre.domain.rating.restrictions import MIDNIGHT
from ampyre.domain.rating.tariff import Restrictions, TariffElement

_US = 1_000_000
_MWH_PER_WH = 1000
_MWH_PER_KWH = 1_000_000
_ONE_DAY = timedelta(days=1)
_PER_KILO = Decimal("0.001")


class MeterReading(NamedTuple):
    """What the station measured at one instant; any field may be missing.

    A named tuple rather than a frozen dataclass: a rated session has dozens of readings
    and a tuple is built several times faster (rating stored sessions is a hot path, P5).
    """

    at: datetime
    register_wh: int | None = None
    power_w: Decimal | None = None
    current_a: Decimal | None = None


@dataclass(frozen=True, slots=True)
class SessionUsage:
    """A session's measurements. ``meter_end_wh`` is the stop reading (or the latest one
    for a running session); ``suspended`` are the intervals the connector reported
    SuspendedEV/SuspendedEVSE."""

    started_at: datetime
    ended_at: datetime
    meter_start_wh: int
    meter_end_wh: int
    readings: Sequence[MeterReading] = ()
    suspended: Sequence[tuple[datetime, datetime]] = ()


def build_periods(
    usage: SessionUsage, elements: Sequence[TariffElement], tz: tzinfo
) -> list[ChargingPeriod]:
    """Charging periods of the session, cut for the given (priced) tariff elements.

    Periods start at UTC instants: Python subtracts (and adds to) datetimes that share a
    tzinfo by wall clock, so a session recorded in the location's zone is moved to UTC first
    (else a DST night would count the clock's jump as time).
    """
    usage = replace(
        usage,
        started_at=usage.started_at.astimezone(UTC),
        ended_at=usage.ended_at.astimezone(UTC),
    )
    total_us = microseconds(usage.ended_at - usage.started_at)
    if total_us <= 0:
        # No time to spread it over (a clock problem), but metered energy is still billed.
        delivered = usage.meter_end_wh - usage.meter_start_wh
        if delivered <= 0:
            return []
        return [ChargingPeriod(start=usage.started_at, energy_kwh=Decimal(delivered).scaleb(-3))]
    times, energy = _energy_curve(usage, total_us)
    restrictions = [e.restrictions for e in elements]
    power_limits = _thresholds(restrictions, "min_power", "max_power", scale=1000)
    current_limits = _thresholds(restrictions, "min_current", "max_current", scale=1)
    # Power and current profiles are only built when a restriction looks at them.
    power = _Profile.power(usage, total_us, times, energy) if power_limits else None
    current = _Profile.reported(usage, total_us, "current_a") if current_limits else None
    cuts = _state_changes(times, energy)
    cuts.update(_clock_cuts(restrictions, usage.started_at, usage.ended_at, tz))
    for r in restrictions:
        for bound in (r.min_duration_s, r.max_duration_s):
            if bound is not None:
                cuts.add(bound * _US)
        for kwh in (r.min_kwh, r.max_kwh):
            if kwh is not None:
                cuts.add(_energy_crossing(times, energy, kwh))
    if power is not None:
        cuts.update(power.crossings(power_limits))
    if current is not None:
        cuts.update(current.crossings(current_limits))
    bounds = sorted(c for c in cuts if 0 < c < total_us)
    bounds.insert(0, 0)
    bounds.append(total_us)

    periods: list[ChargingPeriod] = []
    e0 = energy[0]
    e_start = e0
    for begin, end in pairwise(bounds):
        if end <= begin:
            continue
        e_end = _energy_at(times, energy, end)
        span = Decimal(end - begin).scaleb(-6)
        charging = _charging_at(times, energy, (begin + end) // 2)
        kw = None if power is None else power.value_at((begin + end) / 2, scale=_PER_KILO)
        amps = None if current is None else current.value_at((begin + end) / 2)
        periods.append(
            ChargingPeriod(
                start=usage.started_at + timedelta(microseconds=begin),
                energy_kwh=Decimal(e_end - e_start).scaleb(-6),
                charging_s=span if charging else Decimal(0),
                parking_s=Decimal(0) if charging else span,
                kwh_before=Decimal(e_start - e0).scaleb(-6),
                elapsed_s=Decimal(begin).scaleb(-6),
                min_power_kw=kw,
                max_power_kw=kw,
                min_current_a=amps,
                max_current_a=amps,
            )
        )
        e_start = e_end
    return periods


def _energy_curve(usage: SessionUsage, total_us: int) -> tuple[list[int], list[int]]:
    """Monotonic (time µs, register mWh) points from start to end, suspended parts flat.

    Readings outside the session, or going backwards, are ignored; readings above the
    stop reading are capped at it, so the curve always ends at the billed energy.
    """
    start_wh = usage.meter_start_wh
    end_wh = max(usage.meter_end_wh, start_wh)
    times = [0]
    energy = [start_wh * _MWH_PER_WH]
    last = start_wh
    started_at = usage.started_at
    previous_at = started_at
    for reading in usage.readings:
        reading_at = reading.at
        if reading_at < previous_at:
            if reading_at > started_at:
                # Out of order (rare: the repository sorts them): start over, sorted.
                ordered = sorted(usage.readings, key=lambda r: r.at)
                return _energy_curve(replace(usage, readings=ordered), total_us)
        else:
            previous_at = reading_at
        register = reading.register_wh
        if register is None or register < last:
            continue
        delta = reading.at - started_at
        # microseconds(delta), inlined: this loop runs for every reading of every session.
        at = (delta.days * 86_400 + delta.seconds) * _US + delta.microseconds
        if not 0 < at < total_us:
            continue
        value = register if register < end_wh else end_wh
        last = value
        if at == times[-1]:
            energy[-1] = value * _MWH_PER_WH
        else:
            times.append(at)
            energy.append(value * _MWH_PER_WH)
    times.append(total_us)
    energy.append(end_wh * _MWH_PER_WH)
    if usage.suspended:
        return _flatten_suspended(usage, times, energy)
    return times, energy


def _flatten_suspended(
    usage: SessionUsage, times: list[int], energy: list[int]
) -> tuple[list[int], list[int]]:
    """Put each interval's energy on its non-suspended part (if it has one).

    Reported intervals may overlap or touch (SuspendedEV then SuspendedEVSE): they are merged
    first, and empty or inverted ones dropped, so the curve's times keep increasing.
    """
    pauses: list[tuple[int, int]] = []
    for p, q in sorted(
        (microseconds(a - usage.started_at), microseconds(b - usage.started_at))
        for a, b in usage.suspended
    ):
        if q <= p:
            continue
        if pauses and p <= pauses[-1][1]:
            pauses[-1] = (pauses[-1][0], max(pauses[-1][1], q))
        else:
            pauses.append((p, q))
    # Which register intervals that gained energy overlap a pause, and where.
    last_index = len(times) - 1
    affected: dict[int, list[tuple[int, int]]] = {}
    for p, q in pauses:
        k = max(bisect_right(times, p) - 1, 0)
        while k < last_index and times[k] < q:
            a, b = times[k], times[k + 1]
            if b > p and energy[k + 1] > energy[k]:
                affected.setdefault(k, []).append((max(a, p), min(b, q)))
            k += 1
    if not affected:
        return times, energy
    new_times = [times[0]]
    new_energy = [energy[0]]
    emitted = 0
    for k in sorted(affected):
        new_times.extend(times[emitted + 1 : k + 1])
        new_energy.extend(energy[emitted + 1 : k + 1])
        emitted = k
        a, b, ea, eb = times[k], times[k + 1], energy[k], energy[k + 1]
        inside = affected[k]
        active = (b - a) - sum(q - p for p, q in inside)
        if active <= 0:
            continue  # suspended throughout yet gained energy: the meter wins, charging
        done = 0
        cursor = a
        for p, q in [*inside, (b, b)]:
            done += p - cursor
            new_times.append(p)
            new_energy.append(ea + (eb - ea) * done // active)
            cursor = q
            if q > p:
                new_times.append(q)
                new_energy.append(new_energy[-1])
    new_times.extend(times[emitted + 1 :])
    new_energy.extend(energy[emitted + 1 :])
    # Drop zero-length steps created at interval edges.
    times_out, energy_out = [new_times[0]], [new_energy[0]]
    for t, e in zip(new_times[1:], new_energy[1:], strict=True):
        if t == times_out[-1]:
            energy_out[-1] = max(energy_out[-1], e)
        else:
            times_out.append(t)
            energy_out.append(e)
    return times_out, energy_out


def _energy_at(times: list[int], energy: list[int], at: int) -> int:
    i = bisect_right(times, at) - 1
    if i >= len(times) - 1:
        return energy[-1]
    t0, t1, e0, e1 = times[i], times[i + 1], energy[i], energy[i + 1]
    return e0 + (e1 - e0) * (at - t0) // (t1 - t0)


def _charging_at(times: list[int], energy: list[int], at: int) -> bool:
    i = min(bisect_right(times, at) - 1, len(times) - 2)
    return energy[i + 1] > energy[i]


def _state_changes(times: list[int], energy: list[int]) -> set[int]:
    cuts: set[int] = set()
    previous: bool | None = None
    for i in range(len(times) - 1):
        charging = energy[i + 1] > energy[i]
        if previous is not None and charging != previous:
            cuts.add(times[i])
        previous = charging
    return cuts


def _energy_crossing(times: list[int], energy: list[int], kwh: Decimal) -> int:
    """First instant at which the cumulative energy reaches ``kwh`` (rounded up to 1 µs)."""
    target = energy[0] + int((kwh * _MWH_PER_KWH).to_integral_value(rounding=ROUND_CEILING))
    for i in range(len(times) - 1):
        e0, e1 = energy[i], energy[i + 1]
        if e1 >= target > e0:
            t0, t1 = times[i], times[i + 1]
            return t0 + -(-(target - e0) * (t1 - t0) // (e1 - e0))
    return -1


def _clock_cuts(
    restrictions: Sequence[Restrictions], start: datetime, end: datetime, tz: tzinfo
) -> set[int]:
    """Instants (µs from start) where a time-of-day, date or weekday answer can change."""
    walls: set[time] = set()
    for r in restrictions:
        walls.update(t for t in (r.start_time, r.end_time) if t is not None)
        if r.start_date or r.end_date or r.days_of_week or walls:
            walls.add(MIDNIGHT)
    if not walls:
        return set()
    cuts: set[int] = set()
    day = start.astimezone(tz).date()
    last_day = end.astimezone(tz).date()
    frozen = frozenset(walls)
    while day <= last_day:
        for instant in _day_cuts(day, frozen, tz):
            cuts.add(microseconds(instant - start))
        day += _ONE_DAY
    return cuts


@lru_cache(maxsize=8192)
def _day_cuts(day: date, walls: frozenset[time], tz: tzinfo) -> tuple[datetime, ...]:
    """The UTC instants of a local day at which the wall clock passes one of ``walls``
    (both folds on a DST day), and the DST transition itself. Sessions of the same day and
    tariff share the answer, hence the cache."""
    transition = _dst_transition(day, tz)
    folds = (0, 1) if transition is not None else (0,)
    instants = {
        datetime.combine(day, wall, tzinfo=tz).replace(fold=fold).astimezone(UTC)
        for wall in walls
        for fold in folds
    }
    if transition is not None:
        instants.add(transition)
    return tuple(instants)


def _dst_transition(day: date, tz: tzinfo) -> datetime | None:
    """The instant the zone's UTC offset changes during a local day, if it does."""
    begin = datetime.combine(day, MIDNIGHT, tzinfo=tz).astimezone(UTC)
    finish = datetime.combine(day + _ONE_DAY, MIDNIGHT, tzinfo=tz).astimezone(UTC)
    before = begin.astimezone(tz).utcoffset()
    if finish.astimezone(tz).utcoffset() == before:
        return None
    low, high = begin, finish
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(tz).utcoffset() == before:
            low = middle
        else:
            high = middle
    return high.replace(microsecond=0) if high.microsecond else high


def _thresholds(
    restrictions: Sequence[Restrictions], low: str, high: str, *, scale: int
) -> list[float]:
    values: set[float] = set()
    for r in restrictions:
        for name in (low, high):
            value = getattr(r, name)
            if value is not None:
                values.add(float(value) * scale)
    return sorted(values)


@dataclass(frozen=True, slots=True)
class _Profile:
    """An instantaneous quantity over the session: linear between reported samples, or
    constant per register interval when derived from the energy curve."""

    times: list[int]
    values: list[float]
    stepwise: bool

    @classmethod
    def reported(cls, usage: SessionUsage, total_us: int, field: str) -> _Profile | None:
        points: dict[int, float] = {}
        for reading in usage.readings:
            value = getattr(reading, field)
            if value is None:
                continue
            at = microseconds(reading.at - usage.started_at)
            if 0 <= at <= total_us:
                points[at] = float(value)
        if not points:
            return None
        ordered = sorted(points.items())
        return cls([t for t, _ in ordered], [v for _, v in ordered], stepwise=False)

    @classmethod
    def power(
        cls, usage: SessionUsage, total_us: int, times: list[int], energy: list[int]
    ) -> _Profile:
        """Reported active power in W if the station sent any, else derived from energy."""
        reported = cls.reported(usage, total_us, "power_w")
        if reported is not None:
            return reported
        # mWh per µs → W: × 3.6e9 / 1e3.
        watts = [
            (energy[i + 1] - energy[i]) * 3_600_000 / (times[i + 1] - times[i])
            for i in range(len(times) - 1)
        ]
        return cls(times[:-1], watts, stepwise=True)

    def value_at(self, at: float, scale: Decimal = Decimal(1)) -> Decimal:
        i = bisect_right(self.times, at) - 1
        if i < 0:
            value = self.values[0]
        elif self.stepwise or i >= len(self.times) - 1:
            value = self.values[i]
        else:
            t0, t1 = self.times[i], self.times[i + 1]
            v0, v1 = self.values[i], self.values[i + 1]
            value = v0 + (v1 - v0) * (at - t0) / (t1 - t0)
        return (Decimal(repr(round(value, 3))) * scale).normalize()

    def crossings(self, thresholds: list[float]) -> set[int]:
        """Instants where the quantity passes a threshold."""
        cuts: set[int] = set()
        for i in range(len(self.times) - 1):
            v0, v1 = self.values[i], self.values[i + 1]
            for limit in thresholds:
                if self.stepwise:
                    if (v0 < limit) != (v1 < limit):
                        cuts.add(self.times[i + 1])
                elif v0 != v1 and min(v0, v1) < limit <= max(v0, v1):
                    t0, t1 = self.times[i], self.times[i + 1]
                    cuts.add(t0 + round((limit - v0) * (t1 - t0) / (v1 - v0)))
        return cuts
