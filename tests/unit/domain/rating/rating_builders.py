"""Short builders for tariffs, sessions and periods in the rating tests (no behaviour of their own).

Prices are written as strings so every amount is an exact Decimal (DOMAIN.md §2).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from ampyre.domain.money import Price
from ampyre.domain.rating.tariff import (
    Dimension,
    PriceComponent,
    Restrictions,
    Tariff,
    TariffElement,
    TimeUnit,
)
from ampyre.domain.rating.usage import MeterReading, SessionUsage

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2024, 5, 6, 8, 0, tzinfo=UTC)
"""A Monday, 10:00 in Berlin."""


def D(value: str | int) -> Decimal:
    return Decimal(value)


def price(excl: str, incl: str) -> Price:
    return Price(D(excl), D(incl))


def energy(p: str, vat: str | None = None, step: int = 1) -> PriceComponent:
    return PriceComponent(Dimension.ENERGY, D(p), D(vat) if vat is not None else None, step)


def time_fee(
    p: str, vat: str | None = None, step: int = 1, unit: TimeUnit = TimeUnit.HOUR
) -> PriceComponent:
    return PriceComponent(Dimension.TIME, D(p), D(vat) if vat is not None else None, step, unit)


def parking(
    p: str, vat: str | None = None, step: int = 1, unit: TimeUnit = TimeUnit.HOUR
) -> PriceComponent:
    return PriceComponent(
        Dimension.PARKING_TIME, D(p), D(vat) if vat is not None else None, step, unit
    )


def flat(p: str, vat: str | None = None) -> PriceComponent:
    return PriceComponent(Dimension.FLAT, D(p), D(vat) if vat is not None else None)


def element(*components: PriceComponent, **restrictions: Any) -> TariffElement:
    return TariffElement(tuple(components), Restrictions(**restrictions))


def tariff(*elements: TariffElement, currency: str = "EUR", **options: Any) -> Tariff:
    return Tariff(currency, tuple(elements), **options)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def session(
    start: datetime,
    duration: timedelta,
    wh: int,
    readings: Sequence[tuple[timedelta, int]] = (),
    *,
    meter_start_wh: int = 0,
    suspended: Sequence[tuple[timedelta, timedelta]] = (),
    power: Sequence[tuple[timedelta, str]] = (),
) -> SessionUsage:
    """A session of ``wh`` Wh; readings, pauses and power samples are offsets from the start.

    Offsets are real elapsed time (added in UTC; ``started_at`` keeps the zone it was given).
    """
    base = start.astimezone(UTC)
    samples = [MeterReading(base + at, register_wh=meter_start_wh + r) for at, r in readings]
    samples += [MeterReading(base + at, power_w=D(w)) for at, w in power]
    return SessionUsage(
        started_at=start,
        ended_at=base + duration,
        meter_start_wh=meter_start_wh,
        meter_end_wh=meter_start_wh + wh,
        readings=tuple(samples),
        suspended=tuple((base + a, base + b) for a, b in suspended),
    )
