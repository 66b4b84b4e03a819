"""The rating engine: a tariff and charging periods in, priced lines and totals out.

Rules (OCPI 2.2.1 Tariffs module, DOMAIN.md §1–2):

- Per period and per dimension, the first element whose restrictions hold and that has a
  component of that dimension prices it; none → that dimension is free in that period.
- FLAT is charged once for the session (and once more for a reservation, which OCPI prices
  as its own part): by the first period in which a FLAT component matches.
- step_size is applied once per session, to the dimension's total volume, with the step of
  the component that priced the last period of that dimension; the extra volume is billed at
  that component's price. Of TIME and PARKING_TIME only the one the session ended in is
  rounded up (charging followed by parking: only parking).
- min_price / max_price clamp the session total, excl. and incl. VAT each; the difference is
  an adjustment line per VAT rate, so lines always add up to the total.
- Everything is exact Decimal arithmetic; rounding happens once per reported total
  (:meth:`PricedSession.rounded_totals`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum

from ampyre.domain.durations import exact_seconds
from ampyre.domain.money import HUNDRED, ZERO, ZERO_PRICE, Price, round_money, with_vat
from ampyre.domain.rating.periods import ChargingPeriod
from ampyre.domain.rating.restrictions import restrictions_hold
from ampyre.domain.rating.tariff import (
    SECONDS_PER_HOUR,
    Dimension,
    PriceComponent,
    Tariff,
    TariffElement,
)

_THOUSAND = Decimal(1000)
_HOUR = Decimal(SECONDS_PER_HOUR)
_ONE = Decimal(1)
_EXACT_DIGITS = 200
"""Working precision of sums. A line amount has at most 28 significant digits (Decimal's
default context; a time price divided by 3600 need not terminate), so adding amounts at this
precision is exact: a total cannot depend on the order of its lines."""
_SHARE_QUANTUM = Decimal("1e-12")
"""Precision of one VAT rate's share of a min/max adjustment (an allocation, not a price)."""


class LineKind(StrEnum):
    USAGE = "usage"
    """Volume of a dimension at one component's price."""
    MIN_PRICE = "min_price"
    """Raises the total to the tariff's minimum price."""
    MAX_PRICE = "max_price"
    """Lowers the total to the tariff's maximum price."""


@dataclass(frozen=True, slots=True)
class PricedLine:
    """One line of a priced session, exact (not rounded).

    For USAGE lines ``quantity`` is kWh (ENERGY), seconds (TIME, PARKING_TIME) or sessions
    (FLAT), ``unit_price`` is excl. VAT per kWh / per hour / per session, and
    ``billed_quantity`` includes what step_size added. ``element`` is the 0-based index in
    :meth:`Tariff.priced_elements`. ``reservation`` marks lines priced by a reservation
    element (OCPI reports them as total_reservation_cost, not as time or fixed cost).
    Adjustment lines carry only an amount and a VAT rate.
    """

    kind: LineKind
    dimension: Dimension | None
    vat_percent: Decimal | None
    amount: Price
    quantity: Decimal = ZERO
    billed_quantity: Decimal = ZERO
    unit_price: Decimal = ZERO
    element: int | None = None
    reservation: bool = False


@dataclass(frozen=True, slots=True)
class VatTotal:
    """The session's amounts at one VAT rate, each rounded once from its exact value."""

    vat_percent: Decimal | None
    excl_vat: Decimal
    incl_vat: Decimal


@dataclass(frozen=True, slots=True)
class PricedSession:
    """A session priced with a tariff. Exact amounts; see :meth:`rounded_totals`.

    ``total_time_s`` is the whole session (start to end, parking included);
    ``charging_s``/``parking_s``/``energy_kwh`` are measured volumes, before step sizes.
    """

    currency: str
    lines: tuple[PricedLine, ...]
    periods: tuple[ChargingPeriod, ...]
    energy_kwh: Decimal
    charging_s: Decimal
    parking_s: Decimal
    total_time_s: Decimal

    @property
    def total(self) -> Price:
        return _sum_amounts(self.lines)

    def dimension_cost(self, dimension: Dimension) -> Price:
        """Cost of one dimension of the charging session, before min/max adjustments and
        without reservation costs (OCPI total_*_cost)."""
        return _sum_amounts(
            line
            for line in self.lines
            if line.kind is LineKind.USAGE and line.dimension is dimension and not line.reservation
        )

    @property
    def reservation_cost(self) -> Price:
        """What the reservation elements priced: its time and its fee (OCPI
        total_reservation_cost)."""
        return _sum_amounts(line for line in self.lines if line.reservation)

    def rounded_totals(self) -> dict[str, Price]:
        """OCPI CDR totals, each rounded once, half-up, from its own exact value."""
        return {
            "total_cost": self.total.rounded(self.currency),
            "total_energy_cost": self.dimension_cost(Dimension.ENERGY).rounded(self.currency),
            "total_time_cost": self.dimension_cost(Dimension.TIME).rounded(self.currency),
            "total_parking_cost": self.dimension_cost(Dimension.PARKING_TIME).rounded(
                self.currency
            ),
            "total_fixed_cost": self.dimension_cost(Dimension.FLAT).rounded(self.currency),
            "total_reservation_cost": self.reservation_cost.rounded(self.currency),
        }

    def vat_totals(self) -> tuple[VatTotal, ...]:
        """Amounts per VAT rate (None = no VAT applies), in order of first appearance."""
        return tuple(
            VatTotal(
                rate, round_money(p.excl_vat, self.currency), round_money(p.incl_vat, self.currency)
            )
            for rate, p in _by_rate(self.lines).items()
        )


@dataclass(slots=True)
class _Accumulator:
    dimension: Dimension
    element: int
    component: PriceComponent
    quantity: Decimal = ZERO
    extra: Decimal = ZERO
    reservation: bool = False


def price_session(
    tariff: Tariff,
    periods: Sequence[ChargingPeriod],
    *,
    session_start: datetime,
    session_end: datetime,
    tz: tzinfo,
) -> PricedSession:
    """Price a session. ``tz`` is the location's time zone (restrictions are local).

    ``periods`` must be in time order and must not overlap; each is priced by the facts at
    its start. A session with no period is priced as one empty period at its start (FLAT).
    """
    elements = tariff.priced_elements()
    if not periods:
        periods = (ChargingPeriod(start=session_start),)
    lines: dict[tuple[Dimension, int], _Accumulator] = {}
    flat_charged: set[object] = set()
    last_energy: _Accumulator | None = None
    last_timed: _Accumulator | None = None
    energy = charging = parking = ZERO

    for period in periods:
        local = period.start.astimezone(tz)
        holds = [restrictions_hold(e.restrictions, period, local) for e in elements]
        if period.energy_kwh:
            energy += period.energy_kwh
            acc = _book(lines, elements, holds, Dimension.ENERGY, period.energy_kwh)
            last_energy = acc or last_energy
        if period.charging_s:
            charging += period.charging_s
            acc = _book(lines, elements, holds, Dimension.TIME, period.charging_s)
            last_timed = acc or last_timed
        if period.reservation_s:
            acc = _book(lines, elements, holds, Dimension.TIME, period.reservation_s)
            last_timed = acc or last_timed
        if period.parking_s:
            parking += period.parking_s
            acc = _book(lines, elements, holds, Dimension.PARKING_TIME, period.parking_s)
            last_timed = acc or last_timed
        phase = period.reservation is not None
        if phase not in flat_charged and _book(lines, elements, holds, Dimension.FLAT, _ONE):
            flat_charged.add(phase)

    _apply_step(last_energy, lines, per=_THOUSAND)
    _apply_step(last_timed, lines, per=_ONE)
    priced = [_line(acc) for acc in lines.values()]
    priced.extend(_clamp(tariff, priced))
    return PricedSession(
        currency=tariff.currency,
        lines=tuple(priced),
        periods=tuple(periods),
        energy_kwh=energy,
        charging_s=charging,
        parking_s=parking,
        total_time_s=exact_seconds(session_end.astimezone(UTC) - session_start.astimezone(UTC)),
    )


def _book(
    lines: dict[tuple[Dimension, int], _Accumulator],
    elements: Sequence[TariffElement],
    holds: list[bool],
    dimension: Dimension,
    quantity: Decimal,
) -> _Accumulator | None:
    """Add a period's volume to the line of the first matching element, if any."""
    for index, element in enumerate(elements):
        if not holds[index]:
            continue
        component = element.component(dimension)
        if component is None:
            continue
        key = (dimension, index)
        acc = lines.get(key)
        if acc is None:
            acc = lines[key] = _Accumulator(
                dimension,
                index,
                component,
                reservation=element.restrictions.reservation is not None,
            )
        acc.quantity += quantity
        return acc
    return None


def _apply_step(
    last: _Accumulator | None, lines: dict[tuple[Dimension, int], _Accumulator], *, per: Decimal
) -> None:
    """Round the dimension's session total up to the last component's step_size.

    ``per`` converts the line quantity to the step unit (kWh → Wh: 1000; seconds: 1).
    """
    if last is None or last.component.step_size <= 1:
        return
    total = sum((a.quantity for a in lines.values() if a.dimension is last.dimension), ZERO)
    in_steps = total * per
    step = Decimal(last.component.step_size)
    rounded = (in_steps / step).to_integral_value(rounding=ROUND_CEILING) * step
    last.extra += (rounded - in_steps) / per


def _line(acc: _Accumulator) -> PricedLine:
    component = acc.component
    billed = acc.quantity + acc.extra
    if acc.dimension is Dimension.ENERGY:
        unit_price = component.price
        excl = billed * unit_price
    elif acc.dimension is Dimension.FLAT:
        unit_price = component.price
        excl = unit_price
        billed = _ONE
    else:
        unit_price = component.price_per_hour
        excl = billed * unit_price / _HOUR
    return PricedLine(
        kind=LineKind.USAGE,
        dimension=acc.dimension,
        vat_percent=component.vat_percent,
        amount=Price(excl, with_vat(excl, component.vat_percent)),
        quantity=acc.quantity,
        billed_quantity=billed,
        unit_price=unit_price,
        element=acc.element,
        reservation=acc.reservation,
    )


def _clamp(tariff: Tariff, lines: list[PricedLine]) -> list[PricedLine]:
    """Adjustment lines that bring the total within min_price/max_price (excl./incl. each).

    The adjustment is spread over the VAT rates in proportion to their amounts (each share
    kept to 12 decimals, the last rate taking the remainder, so the lines add up to the bound
    exactly); a session with no amount at all takes a minimum price as one line at the rate
    the minimum implies (none when its excl. and incl. amounts are equal).
    """
    raw = _sum_amounts(lines)
    target_excl, kind_excl = _target(raw.excl_vat, tariff, "excl_vat")
    target_incl, kind_incl = _target(raw.incl_vat, tariff, "incl_vat")
    kind = kind_excl or kind_incl
    if kind is None:
        return []
    with localcontext(prec=_EXACT_DIGITS):
        missing = Price(target_excl - raw.excl_vat, target_incl - raw.incl_vat)
    if raw.excl_vat == ZERO or raw.incl_vat == ZERO:
        implied = None
        if target_excl and target_incl != target_excl:
            implied = (target_incl - target_excl) * HUNDRED / target_excl
        return [PricedLine(kind, None, implied, missing)]
    shares = [(rate, p) for rate, p in _by_rate(lines).items() if p.excl_vat or p.incl_vat]
    factor_excl = target_excl / raw.excl_vat - _ONE
    factor_incl = target_incl / raw.incl_vat - _ONE
    adjustments: list[PricedLine] = []
    for rate, p in shares[:-1]:
        share = Price(_share(p.excl_vat * factor_excl), _share(p.incl_vat * factor_incl))
        adjustments.append(PricedLine(kind, None, rate, share))
        with localcontext(prec=_EXACT_DIGITS):
            missing = Price(missing.excl_vat - share.excl_vat, missing.incl_vat - share.incl_vat)
    adjustments.append(PricedLine(kind, None, shares[-1][0], missing))
    return adjustments


def _share(amount: Decimal) -> Decimal:
    return amount.quantize(_SHARE_QUANTUM, rounding=ROUND_HALF_UP)


def _target(value: Decimal, tariff: Tariff, side: str) -> tuple[Decimal, LineKind | None]:
    if tariff.min_price is not None and value < getattr(tariff.min_price, side):
        return getattr(tariff.min_price, side), LineKind.MIN_PRICE
    if tariff.max_price is not None and value > getattr(tariff.max_price, side):
        return getattr(tariff.max_price, side), LineKind.MAX_PRICE
    return value, None


def _sum_amounts(lines: Iterable[PricedLine]) -> Price:
    """The exact sum of the lines' amounts, whatever their order (see ``_EXACT_DIGITS``)."""
    excl = incl = ZERO
    with localcontext(prec=_EXACT_DIGITS):
        for line in lines:
            excl += line.amount.excl_vat
            incl += line.amount.incl_vat
    return Price(excl, incl)


def _by_rate(lines: Iterable[PricedLine]) -> dict[Decimal | None, Price]:
    """Exact sums per VAT rate (None = no VAT applies), in order of first appearance."""
    groups: dict[Decimal | None, Price] = {}
    with localcontext(prec=_EXACT_DIGITS):
        for line in lines:
            groups[line.vat_percent] = groups.get(line.vat_percent, ZERO_PRICE) + line.amount
    return groups
