"""Rating engine alone (PERFORMANCE.md P5): `rate_session` over N generated sessions, one core.

    .venv/bin/python bench/rating.py --sessions 20000
    .venv/bin/python bench/rating.py --sessions 20000 --no-power   # register samples only

Every session has `--samples` meter samples, one per minute: the import register in Wh and
(unless `--no-power`) the active power in W. The sessions are a fixed mix (seeded): daytime,
across the 22:00 and 07:00 price changes, across midnight, some on the day of the DST change
(31 March), AC and tapering DC, a third with a parking tail. The tariff is a time-of-use
tariff in Europe/Berlin (`make_tariff`). Prints one JSON summary; never fails on timing.

`bench/rating_e2e.py` stores the same sessions in PostgreSQL and rates them into CDRs.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from time import perf_counter_ns, thread_time_ns
from typing import Any
from zoneinfo import ZoneInfo

from bench_env import machine, versions

from ampyre.cli.server import GC_THRESHOLDS
from ampyre.domain.money import Price
from ampyre.domain.rating.engine import rate_session
from ampyre.domain.rating.tariff import (
    Dimension,
    PriceComponent,
    Restrictions,
    Tariff,
    TariffElement,
    TimeUnit,
)
from ampyre.domain.rating.usage import MeterReading, SessionUsage

TIME_ZONE = "Europe/Berlin"
BERLIN = ZoneInfo(TIME_ZONE)
FIRST_DAY = date(2024, 3, 4)
"""A Monday; the sessions start on one of `DAYS` days from here (31 March: DST starts)."""
DAYS = 56
SAMPLE_INTERVAL_S = 60
STOP_AFTER_LAST_SAMPLE_S = 30
PARKING_GRACE_S = 45 * 60
VAT = Decimal(19)

START_WINDOWS = (
    # (share, kind, first local start minute, last local start minute)
    (0.55, "day", 7 * 60, 20 * 60 + 55),
    (0.15, "across_22h", 21 * 60, 21 * 60 + 59),
    (0.15, "across_midnight", 23 * 60, 23 * 60 + 59),
    (0.15, "across_07h", 6 * 60, 6 * 60 + 59),
)
PARKING_TAIL_SHARE = 0.35


def make_tariff() -> Tariff:
    """Start fee 0.50, energy 0.49/kWh 07:00–22:00 and 0.39/kWh 22:00–07:00 (local),
    charging time 0.02/min, parking 0.10/min after a 45 min grace; VAT 19 %, EUR."""

    def component(
        dimension: Dimension, price: str, unit: TimeUnit = TimeUnit.HOUR
    ) -> PriceComponent:
        return PriceComponent(dimension, Decimal(price), VAT, 1, unit)

    day = Restrictions(start_time=_hhmm("07:00"), end_time=_hhmm("22:00"))
    night = Restrictions(start_time=_hhmm("22:00"), end_time=_hhmm("07:00"))
    return Tariff(
        currency="EUR",
        elements=(
            TariffElement((component(Dimension.ENERGY, "0.49"),), day),
            TariffElement((component(Dimension.ENERGY, "0.39"),), night),
            TariffElement(
                (
                    component(Dimension.FLAT, "0.50"),
                    component(Dimension.TIME, "0.02", TimeUnit.MINUTE),
                    component(Dimension.PARKING_TIME, "0.10", TimeUnit.MINUTE),
                )
            ),
        ),
        parking_grace_s=PARKING_GRACE_S,
    )


def _hhmm(text: str) -> time:
    return datetime.strptime(text, "%H:%M").time()  # noqa: DTZ007  # a wall time, no date


@dataclass(frozen=True, slots=True)
class SessionSpec:
    """One generated session: UTC times, register readings in Wh, power as text in W."""

    number: int
    kind: str
    started_at: datetime
    stopped_at: datetime
    meter_start_wh: int
    meter_stop_wh: int
    samples: tuple[tuple[datetime, int, str], ...]
    """(instant, register Wh, active power W as the station would send it)."""
    full_at: datetime | None
    """When the car stopped drawing power (the connector reports SuspendedEV from then to
    the stop): the start of the parking tail, None without one."""


def generate_sessions(count: int, *, samples: int = 60, seed: int = 1) -> list[SessionSpec]:
    """`count` sessions of `samples` one-minute samples each (deterministic for a seed)."""
    rng = random.Random(seed)
    return [_session(rng, number, samples) for number in range(count)]


def _session(rng: random.Random, number: int, samples: int) -> SessionSpec:
    draw = rng.random()
    for share, kind, first, last in START_WINDOWS:  # noqa: B007  # kind is used below
        if draw < share:
            break
        draw -= share
    day = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
    minute = rng.randint(first, last)
    local = datetime(
        day.year, day.month, day.day, minute // 60, minute % 60, rng.randrange(60), tzinfo=BERLIN
    )
    started_at = local.astimezone(UTC)
    dc = rng.random() < 0.3
    nominal_w = rng.uniform(50_000, 150_000) if dc else rng.choice((11_000, 22_000))
    parking = rng.random() < PARKING_TAIL_SHARE
    full_at = rng.randint(samples // 2, max(samples // 2, samples - 5)) if parking else None
    meter_start = rng.randrange(1_000_000, 5_000_000)
    energy_wh = float(meter_start)
    readings: list[tuple[datetime, int, str]] = []
    power_w = 0.0
    for k in range(1, samples + 1):
        if full_at is not None and k > full_at:
            power_w = 0.0
        elif dc:
            power_w = nominal_w * (1 - 0.6 * k / samples) * rng.uniform(0.95, 1.0)
        else:
            power_w = nominal_w * rng.uniform(0.85, 1.0)
        energy_wh += power_w * SAMPLE_INTERVAL_S / 3600
        at = started_at + timedelta(seconds=SAMPLE_INTERVAL_S * k)
        readings.append((at, int(energy_wh), str(round(power_w, 1))))
    energy_wh += power_w * STOP_AFTER_LAST_SAMPLE_S / 3600
    stopped_at = started_at + timedelta(
        seconds=SAMPLE_INTERVAL_S * samples + STOP_AFTER_LAST_SAMPLE_S
    )
    parked_at = None
    if full_at is not None:
        parked_at = started_at + timedelta(seconds=SAMPLE_INTERVAL_S * full_at)
        kind += "+parking"
    return SessionSpec(
        number,
        kind,
        started_at,
        stopped_at,
        meter_start,
        int(energy_wh),
        tuple(readings),
        parked_at,
    )


def usage_of(spec: SessionSpec, *, power: bool = True) -> SessionUsage:
    """The session as the rating repository builds it from stored meter values and
    connector statuses."""
    return SessionUsage(
        started_at=spec.started_at,
        ended_at=spec.stopped_at,
        meter_start_wh=spec.meter_start_wh,
        meter_end_wh=spec.meter_stop_wh,
        readings=tuple(
            MeterReading(at, wh, Decimal(w) if power else None) for at, wh, w in spec.samples
        ),
        suspended=() if spec.full_at is None else ((spec.full_at, spec.stopped_at),),
    )


def expected_total(specs: Sequence[SessionSpec], tariff: Tariff, *, power: bool = True) -> Price:
    """Sum of the sessions' rounded totals from the engine alone: what their CDRs' totals
    must add up to."""
    excl = incl = Decimal(0)
    for spec in specs:
        priced = rate_session(tariff, usage_of(spec, power=power), BERLIN)
        total = priced.total.rounded(priced.currency)
        excl += total.excl_vat
        incl += total.incl_vat
    return Price(excl, incl)


def bench_engine(
    usages: Sequence[SessionUsage], tariff: Tariff, *, warmup: int = 500
) -> dict[str, Any]:
    """Time `rate_session` per session, one core: wall clock (`perf_counter_ns`) and the
    thread's CPU time (`thread_time_ns`, which other jobs on the machine do not inflate)."""
    for usage in usages[:warmup]:
        rate_session(tariff, usage, BERLIN)
    wall_ns: list[int] = []
    cpu_ns: list[int] = []
    excl = incl = Decimal(0)
    periods = 0
    wall, cpu = perf_counter_ns, thread_time_ns
    started, cpu_started = wall(), cpu()
    for usage in usages:
        begin, cpu_begin = wall(), cpu()
        priced = rate_session(tariff, usage, BERLIN)
        cpu_ns.append(cpu() - cpu_begin)
        wall_ns.append(wall() - begin)
        total = priced.total.rounded(priced.currency)
        excl += total.excl_vat
        incl += total.incl_vat
        periods += len(priced.periods)
    wall_s = (wall() - started) / 1e9
    cpu_s = (cpu() - cpu_started) / 1e9
    return {
        "sessions": len(usages),
        "wall_s": round(wall_s, 3),
        "cpu_s": round(cpu_s, 3),
        "sessions_per_s": round(len(usages) / wall_s),
        "sessions_per_cpu_s": round(len(usages) / cpu_s),
        "us_per_session_wall": _micro_percentiles(wall_ns),
        "us_per_session_cpu": _micro_percentiles(cpu_ns),
        "periods_per_session": round(periods / len(usages), 2),
        "sum_total": {"excl_vat": str(excl), "incl_vat": str(incl)},
    }


def _micro_percentiles(durations_ns: Sequence[int]) -> dict[str, float]:
    us = sorted(d / 1000 for d in durations_ns)
    return {
        "mean": round(statistics.fmean(us), 1),
        "p50": round(_percentile(us, 50), 1),
        "p99": round(_percentile(us, 99), 1),
        "max": round(us[-1], 1),
    }


def _percentile(ordered: Sequence[float], percent: float) -> float:
    index = min(len(ordered) - 1, max(0, round(percent / 100 * len(ordered)) - 1))
    return ordered[index]


def server_gc() -> None:
    """The collector settings `ampyre serve` runs the CDR worker with: what exists now is
    frozen out of the collector's sight, and collections are rarer."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def session_mix(specs: Sequence[SessionSpec]) -> dict[str, int]:
    mix: dict[str, int] = {}
    for spec in specs:
        mix[spec.kind] = mix.get(spec.kind, 0) + 1
    return dict(sorted(mix.items()))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20_000)
    parser.add_argument("--samples", type=int, default=60, help="meter samples per session")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-power", action="store_true", help="register readings only")
    parser.add_argument("--rounds", type=int, default=3, help="timed passes; the best is kept")
    parser.add_argument(
        "--default-gc",
        action="store_true",
        help="keep Python's default collector settings (default: those of `ampyre serve`)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    specs = generate_sessions(args.sessions, samples=args.samples, seed=args.seed)
    usages = [usage_of(spec, power=not args.no_power) for spec in specs]
    tariff = make_tariff()
    if not args.default_gc:
        server_gc()
    rounds = [bench_engine(usages, tariff) for _ in range(max(1, args.rounds))]
    best = max(rounds, key=lambda r: r["sessions_per_cpu_s"])
    summary = {
        "benchmark": "ampyre-rating-engine",
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": machine(),
        "versions": versions(),
        "scenario": {
            "sessions": args.sessions,
            "samples_per_session": args.samples,
            "power_samples": not args.no_power,
            "gc": "default" if args.default_gc else "like ampyre serve",
            "seed": args.seed,
            "time_zone": TIME_ZONE,
            "mix": session_mix(specs),
        },
        "engine": best,
        "rounds": [
            {"sessions_per_s": r["sessions_per_s"], "sessions_per_cpu_s": r["sessions_per_cpu_s"]}
            for r in rounds
        ],
        "target_sessions_per_s": 10_000,
    }
    json.dump(summary, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
