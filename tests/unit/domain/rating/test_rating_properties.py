"""Properties of the rating engine over random tariffs and random meter data (hypothesis).

Sessions start anywhere in 2024 (DST nights included) in a handful of zones (Lord Howe shifts
by 30 minutes), last up to 30 h, carry meter samples, stray samples (before the start, going
backwards, above the stop reading), suspended intervals (overlapping, inverted) and power
samples. Tariffs have 1–4 elements with random components and restrictions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import ROUND_FLOOR, Decimal, localcontext
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from ampyre.domain.money import ZERO, Price, minor_units, round_money, with_vat
from ampyre.domain.rating.engine import rate_session
from ampyre.domain.rating.periods import ChargingPeriod
from ampyre.domain.rating.pricing import LineKind, PricedLine, PricedSession, price_session
from ampyre.domain.rating.restrictions import restrictions_hold
from ampyre.domain.rating.tariff import (
    DayOfWeek,
    Dimension,
    PriceComponent,
    Restrictions,
    Tariff,
    TariffElement,
    TimeUnit,
)
from ampyre.domain.rating.usage import MeterReading, SessionUsage, build_periods

ZONES: list[tzinfo] = [
    UTC,
    ZoneInfo("Europe/Berlin"),
    ZoneInfo("America/New_York"),
    ZoneInfo("Australia/Lord_Howe"),
    ZoneInfo("Asia/Kolkata"),
    ZoneInfo("America/Santiago"),  # DST changes at midnight: some days have no 00:00
    ZoneInfo("America/Havana"),
]
YEAR_START = datetime(2024, 1, 1, tzinfo=UTC)
HOUR_US = 3_600_000_000
SETTINGS = settings(max_examples=150, deadline=None)

prices = st.decimals(min_value=0, max_value=5, places=4)
vats = st.sampled_from([None, Decimal(0), Decimal(7), Decimal(10), Decimal(19), Decimal("21.5")])
steps = st.sampled_from([1, 1, 60, 300, 500, 900, 1000])
clock = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))


# --- strategies ---------------------------------------------------------------------------


@st.composite
def components(draw: st.DrawFn, dimensions: list[Dimension]) -> tuple[PriceComponent, ...]:
    chosen = draw(st.lists(st.sampled_from(dimensions), min_size=1, unique=True))
    out = []
    for dimension in chosen:
        timed = dimension in (Dimension.TIME, Dimension.PARKING_TIME)
        unit = draw(st.sampled_from(list(TimeUnit))) if timed else TimeUnit.HOUR
        out.append(PriceComponent(dimension, draw(prices), draw(vats), draw(steps), unit))
    return tuple(out)


@st.composite
def ranges(
    draw: st.DrawFn, values: st.SearchStrategy[Decimal]
) -> tuple[Decimal | None, Decimal | None]:
    """(min, max) with either side possibly None and min < max when both are given."""
    low, high = draw(st.none() | values), draw(st.none() | values)
    if low is not None and high is not None and high <= low:
        low, high = (high, low) if high < low else (low, None)
    return low, high


@st.composite
def restrictions(draw: st.DrawFn) -> Restrictions:
    if draw(st.booleans()):
        return Restrictions()
    kwargs: dict[str, object] = {}
    if draw(st.booleans()):
        start, end = draw(st.none() | clock), draw(st.none() | clock)
        if start is not None and start == end:
            end = None
        kwargs.update(start_time=start, end_time=end)
    if draw(st.integers(0, 4)) == 0:
        kwargs["days_of_week"] = frozenset(draw(st.lists(st.sampled_from(list(DayOfWeek)))))
    if draw(st.integers(0, 4)) == 0:
        first = date(2024, 1, 1) + timedelta(days=draw(st.integers(0, 365)))
        kwargs["start_date"] = first
        kwargs["end_date"] = first + timedelta(days=draw(st.integers(1, 30)))
    if draw(st.integers(0, 2)) == 0:
        kwargs["min_kwh"], kwargs["max_kwh"] = draw(
            ranges(st.decimals(min_value=0, max_value=60, places=3))
        )
    if draw(st.integers(0, 2)) == 0:
        low, high = draw(ranges(st.integers(0, 40 * 3600).map(Decimal)))
        kwargs["min_duration_s"] = None if low is None else int(low)
        kwargs["max_duration_s"] = None if high is None else int(high)
    if draw(st.integers(0, 3)) == 0:
        kwargs["min_power"], kwargs["max_power"] = draw(
            ranges(st.decimals(min_value=0, max_value=50, places=1))
        )
    if draw(st.integers(0, 5)) == 0:
        kwargs["min_current"], kwargs["max_current"] = draw(ranges(st.integers(0, 64).map(Decimal)))
    return Restrictions(**kwargs)  # type: ignore[arg-type]


@st.composite
def bounds(draw: st.DrawFn) -> dict[str, Price | None]:
    """Random min_price / max_price that the tariff accepts (incl. >= excl., max >= min)."""
    amounts = st.decimals(min_value=0, max_value=30, places=2)
    min_excl = draw(amounts)
    min_incl = min_excl + draw(amounts) / 10
    max_excl = min_excl + draw(amounts)
    max_incl = max(max_excl, min_incl) + draw(amounts) / 10
    return {
        "min_price": draw(st.none() | st.just(Price(min_excl, min_incl))),
        "max_price": draw(st.none() | st.just(Price(max_excl, max_incl))),
    }


ALL_DIMENSIONS = list(Dimension)


@st.composite
def tariffs(
    draw: st.DrawFn,
    *,
    dimensions: list[Dimension] = ALL_DIMENSIONS,
    restricted: bool = True,
    clamped: bool = True,
    grace: bool = True,
) -> Tariff:
    elements = draw(
        st.lists(
            st.builds(
                TariffElement,
                components(dimensions),
                restrictions() if restricted else st.just(Restrictions()),
            ),
            min_size=1,
            max_size=4,
        )
    )
    return Tariff(
        currency=draw(st.sampled_from(["EUR", "EUR", "JPY", "BHD"])),
        elements=tuple(elements),
        parking_grace_s=draw(st.sampled_from([0, 0, 600, 3600])) if grace else 0,
        **(draw(bounds()) if clamped else {}),  # type: ignore[arg-type]
    )


@st.composite
def session_starts(draw: st.DrawFn) -> tuple[datetime, tzinfo]:
    """A start instant in 2024 and a location zone; the start is written in either zone."""
    tz = draw(st.sampled_from(ZONES))
    instant = YEAR_START + timedelta(
        seconds=draw(st.integers(0, 366 * 86_400)), microseconds=draw(st.integers(0, 999_999))
    )
    return (instant.astimezone(tz) if draw(st.booleans()) else instant), tz


@st.composite
def usages(draw: st.DrawFn, *, stray: bool = True) -> tuple[SessionUsage, tzinfo]:
    """A session with increasing meter samples (and, with ``stray``, samples out of line,
    suspended intervals and reported power)."""
    start, tz = draw(session_starts())
    base = start.astimezone(UTC)
    total_us = draw(st.integers(0, 30 * HOUR_US) | st.integers(0, 5_000_000))
    offsets = sorted(draw(st.lists(st.integers(0, max(total_us, 0)), max_size=8)))
    meter_start = draw(st.integers(0, 10**6))
    register = meter_start
    readings: list[MeterReading] = []
    for offset in offsets:
        register += draw(st.sampled_from([0, 0, draw(st.integers(0, 30_000))]))
        readings.append(MeterReading(base + timedelta(microseconds=offset), register_wh=register))
    meter_end = register + draw(st.integers(0, 30_000))
    suspended: list[tuple[datetime, datetime]] = []
    if stray:
        meter_end += draw(st.sampled_from([0, 0, 0, -draw(st.integers(0, 40_000))]))
        for _ in range(draw(st.integers(0, 3))):
            at = base + timedelta(microseconds=draw(st.integers(-HOUR_US, total_us + HOUR_US)))
            readings.append(MeterReading(at, register_wh=draw(st.integers(0, 2 * 10**6))))
        for _ in range(draw(st.integers(0, 3))):
            a, b = (draw(st.integers(-HOUR_US, total_us + HOUR_US)) for _ in range(2))
            suspended.append((base + timedelta(microseconds=a), base + timedelta(microseconds=b)))
        for _ in range(draw(st.integers(0, 4))):
            at = base + timedelta(microseconds=draw(st.integers(0, total_us)))
            watts = draw(st.decimals(min_value=0, max_value=60_000, places=0))
            readings.append(MeterReading(at, power_w=watts, current_a=watts / 690))
    usage = SessionUsage(
        started_at=start,
        ended_at=base + timedelta(microseconds=total_us),
        meter_start_wh=meter_start,
        meter_end_wh=meter_end,
        readings=tuple(draw(st.permutations(readings))),
        suspended=tuple(suspended),
    )
    return usage, tz


# --- helpers ------------------------------------------------------------------------------


def exact_sum(values: Iterable[Decimal]) -> Decimal:
    """Decimal addition at a precision where no digit of a line amount can be lost."""
    total = ZERO
    with localcontext(prec=500):
        for value in values:
            total += value
    return total


def usage_total(priced: PricedSession) -> Price:
    usage = [line.amount for line in priced.lines if line.kind is LineKind.USAGE]
    return Price(exact_sum(a.excl_vat for a in usage), exact_sum(a.incl_vat for a in usage))


def usage_lines(priced: PricedSession) -> dict[tuple[Dimension | None, int | None], PricedLine]:
    """USAGE lines by (dimension, element): their order follows the first period booked."""
    return {(ln.dimension, ln.element): ln for ln in priced.lines if ln.kind is LineKind.USAGE}


def clamp(value: Decimal, tariff: Tariff, side: str) -> Decimal:
    if tariff.min_price is not None:
        value = max(value, getattr(tariff.min_price, side))
    if tariff.max_price is not None:
        value = min(value, getattr(tariff.max_price, side))
    return value


def session_us(usage: SessionUsage) -> int:
    delta = usage.ended_at.astimezone(UTC) - usage.started_at.astimezone(UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


# --- (a) lines and totals -----------------------------------------------------------------


@SETTINGS
@given(tariffs(), usages())
def test_lines_add_up_to_the_usage_total_clamped_to_the_bounds(
    tariff: Tariff, usage_tz: tuple[SessionUsage, tzinfo]
) -> None:
    usage, tz = usage_tz

    priced = rate_session(tariff, usage, tz)

    raw = usage_total(priced)
    expected = Price(
        clamp(raw.excl_vat, tariff, "excl_vat"), clamp(raw.incl_vat, tariff, "incl_vat")
    )
    line_sum = Price(
        exact_sum(line.amount.excl_vat for line in priced.lines),
        exact_sum(line.amount.incl_vat for line in priced.lines),
    )
    assert line_sum == priced.total == expected
    assert priced.rounded_totals()["total_cost"] == expected.rounded(tariff.currency)
    by_dimension = [priced.dimension_cost(d) for d in Dimension]
    assert exact_sum(c.excl_vat for c in by_dimension) == raw.excl_vat
    # Each VAT rate is rounded on its own: the sum of n rounded rates is within n/2 minor
    # units of the exact total, the rounded total within 1/2.
    unit = Decimal(1).scaleb(-minor_units(tariff.currency))
    vat_excl = sum((v.excl_vat for v in priced.vat_totals()), ZERO)
    slack = (len(priced.vat_totals()) + 1) * unit / 2
    assert abs(vat_excl - round_money(expected.excl_vat, tariff.currency)) <= slack
    for line in priced.lines:
        if line.kind is not LineKind.USAGE:
            continue
        assert line.amount.excl_vat >= 0
        assert line.billed_quantity >= line.quantity
        assert line.amount.incl_vat == with_vat(line.amount.excl_vat, line.vat_percent)
        if line.dimension is Dimension.ENERGY:
            assert line.amount.excl_vat == line.billed_quantity * line.unit_price
        elif line.dimension is Dimension.FLAT:
            assert line.billed_quantity == 1
            assert line.amount.excl_vat == line.unit_price
        else:
            assert line.amount.excl_vat == line.billed_quantity * line.unit_price / 3600
    for dimension, measured in (
        (Dimension.ENERGY, priced.energy_kwh),
        (Dimension.PARKING_TIME, priced.parking_s),
    ):
        booked = sum((line.quantity for line in priced.lines if line.dimension is dimension), ZERO)
        assert booked <= measured


# --- (b) splitting a period, inserting a sample on the line -------------------------------


@st.composite
def period_lists(draw: st.DrawFn) -> list[ChargingPeriod]:
    start, _ = draw(session_starts())
    periods = []
    elapsed = Decimal(0)
    kwh = Decimal(0)
    for _ in range(draw(st.integers(1, 5))):
        seconds = Decimal(draw(st.integers(1, 4 * HOUR_US))).scaleb(-6)
        charging = draw(st.booleans())
        energy = Decimal(draw(st.integers(1, 20_000_000))).scaleb(-6) if charging else ZERO
        periods.append(
            ChargingPeriod(
                start=start + timedelta(seconds=float(elapsed)),
                energy_kwh=energy,
                charging_s=seconds if charging else ZERO,
                parking_s=ZERO if charging else seconds,
                kwh_before=kwh,
                elapsed_s=elapsed,
            )
        )
        elapsed += seconds
        kwh += energy
    return periods


def split(period: ChargingPeriod, at_us: int) -> list[ChargingPeriod]:
    """The period cut ``at_us`` after its start, energy shared in proportion (to 1 mWh)."""
    seconds = Decimal(at_us).scaleb(-6)
    share = (period.energy_kwh * seconds / period.duration_s).quantize(
        Decimal("0.000001"), rounding=ROUND_FLOOR
    )
    charging = period.charging_s > 0
    first = replace(
        period,
        energy_kwh=share,
        charging_s=seconds if charging else ZERO,
        parking_s=ZERO if charging else seconds,
    )
    second = replace(
        period,
        start=period.start + timedelta(microseconds=at_us),
        energy_kwh=period.energy_kwh - share,
        charging_s=period.charging_s - first.charging_s,
        parking_s=period.parking_s - first.parking_s,
        kwh_before=period.kwh_before + share,
        elapsed_s=period.elapsed_s + seconds,
    )
    return [first, second]


@SETTINGS
@given(tariffs(restricted=False, grace=False), period_lists(), st.data(), st.sampled_from(ZONES))
def test_splitting_a_period_does_not_change_the_price_of_an_unrestricted_tariff(
    tariff: Tariff, periods: list[ChargingPeriod], data: st.DataObject, tz: tzinfo
) -> None:
    index = data.draw(st.integers(0, len(periods) - 1))
    whole_us = int(periods[index].duration_s.scaleb(6))
    if whole_us < 2:
        return
    at_us = data.draw(st.integers(1, whole_us - 1))
    cut = [*periods[:index], *split(periods[index], at_us), *periods[index + 1 :]]
    start = periods[0].start
    end = start + timedelta(seconds=float(sum((p.duration_s for p in periods), ZERO)))

    whole = price_session(tariff, periods, session_start=start, session_end=end, tz=tz)
    parts = price_session(tariff, cut, session_start=start, session_end=end, tz=tz)

    assert usage_lines(parts) == usage_lines(whole)
    assert parts.total == whole.total


@st.composite
def straight_usages(draw: st.DrawFn) -> tuple[SessionUsage, int, tzinfo]:
    """A session whose samples sit on a grid (even durations and energies), and the index
    of a sample interval whose exact midpoint is a whole µs and a whole Wh."""
    start, tz = draw(session_starts())
    base = start.astimezone(UTC)
    halves = draw(
        st.lists(
            st.tuples(st.integers(1, HOUR_US), st.sampled_from([0, 0, 1, 7, 250, 11_000])),
            min_size=1,
            max_size=6,
        )
    )
    at, wh = 0, draw(st.integers(0, 10**6))
    meter_start = wh
    readings = []
    for half_us, half_wh in halves:
        at, wh = at + 2 * half_us, wh + 2 * half_wh
        readings.append(MeterReading(base + timedelta(microseconds=at), register_wh=wh))
    usage = SessionUsage(start, base + timedelta(microseconds=at), meter_start, wh, readings[:-1])
    return usage, draw(st.integers(0, len(halves) - 1)), tz


@SETTINGS
@given(tariffs(), straight_usages())
def test_a_sample_on_the_interpolated_line_does_not_change_the_price(
    tariff: Tariff, session: tuple[SessionUsage, int, tzinfo]
) -> None:
    usage, index, tz = session
    points = [
        (usage.started_at.astimezone(UTC), usage.meter_start_wh),
        *((r.at, r.register_wh or 0) for r in usage.readings),
        (usage.ended_at, usage.meter_end_wh),
    ]
    (t0, e0), (t1, e1) = points[index], points[index + 1]
    middle = MeterReading(t0 + (t1 - t0) / 2, register_wh=(e0 + e1) // 2)
    with_middle = replace(usage, readings=(*usage.readings, middle))

    before, after = rate_session(tariff, usage, tz), rate_session(tariff, with_middle, tz)

    assert usage_lines(after) == usage_lines(before)
    assert after.total == before.total


# --- (c) more energy never costs less -------------------------------------------------------


@st.composite
def energy_growth(draw: st.DrawFn, *, proportional: bool) -> tuple[SessionUsage, SessionUsage]:
    """A session and the same timeline with more energy: every sample interval gains at least
    as much (``proportional``: every interval's energy times the same whole factor)."""
    usage, _ = draw(usages(stray=False))
    factor = draw(st.integers(1, 5))
    start = usage.meter_start_wh
    previous, previous_more = start, start
    readings = []
    for reading in usage.readings:
        assert reading.register_wh is not None
        gained = reading.register_wh - previous
        extra = gained * (factor - 1) if proportional else draw(st.integers(0, 5_000))
        previous, previous_more = reading.register_wh, previous_more + gained + extra
        readings.append(reading._replace(register_wh=previous_more))
    gained = usage.meter_end_wh - previous
    extra = gained * (factor - 1) if proportional else draw(st.integers(0, 5_000))
    more = replace(usage, readings=tuple(readings), meter_end_wh=previous_more + gained + extra)
    return usage, more


@SETTINGS
@given(
    tariffs(dimensions=[Dimension.ENERGY, Dimension.FLAT], restricted=False),
    energy_growth(proportional=False),
    st.sampled_from(ZONES),
)
def test_more_energy_never_costs_less_at_one_energy_price(
    tariff: Tariff, sessions: tuple[SessionUsage, SessionUsage], tz: tzinfo
) -> None:
    less, more = sessions

    cheap, dear = rate_session(tariff, less, tz).total, rate_session(tariff, more, tz).total

    assert dear.excl_vat >= cheap.excl_vat
    assert dear.incl_vat >= cheap.incl_vat


@st.composite
def time_of_day_energy_tariffs(draw: st.DrawFn) -> Tariff:
    """Energy prices by time of day and weekday (step 1: a step billed at the last period's
    price can make more energy cheaper, see
    test_pricing_rules.test_step_billed_at_the_last_price_can_make_more_energy_cheaper)."""
    elements = []
    for _ in range(draw(st.integers(1, 4))):
        start, end = draw(clock), draw(clock)
        r = Restrictions(
            start_time=start,
            end_time=None if end == start else end,
            days_of_week=frozenset(draw(st.lists(st.sampled_from(list(DayOfWeek)), max_size=3))),
        )
        elements.append(TariffElement((PriceComponent(Dimension.ENERGY, draw(prices)),), r))
    elements.append(TariffElement((PriceComponent(Dimension.ENERGY, draw(prices)),)))
    return Tariff("EUR", tuple(elements), **draw(bounds()))  # type: ignore[arg-type]


@SETTINGS
@given(time_of_day_energy_tariffs(), energy_growth(proportional=True), st.sampled_from(ZONES))
def test_more_energy_never_costs_less_with_time_of_day_prices(
    tariff: Tariff, sessions: tuple[SessionUsage, SessionUsage], tz: tzinfo
) -> None:
    less, more = sessions

    cheap, dear = rate_session(tariff, less, tz), rate_session(tariff, more, tz)

    assert [p.start for p in dear.periods] == [p.start for p in cheap.periods]
    assert dear.total.excl_vat >= cheap.total.excl_vat


# --- (d) VAT --------------------------------------------------------------------------------


@SETTINGS
@given(tariffs(), usages())
def test_excl_vat_never_exceeds_incl_vat(
    tariff: Tariff, usage_tz: tuple[SessionUsage, tzinfo]
) -> None:
    priced = rate_session(tariff, *usage_tz)

    assert priced.total.excl_vat <= priced.total.incl_vat
    for total in priced.rounded_totals().values():
        assert total.excl_vat <= total.incl_vat
    for line in priced.lines:
        if line.kind is LineKind.USAGE:
            assert line.amount.excl_vat <= line.amount.incl_vat


# --- (e) period volumes ---------------------------------------------------------------------


@SETTINGS
@given(tariffs(), usages())
def test_period_volumes_add_up_to_the_session(
    tariff: Tariff, usage_tz: tuple[SessionUsage, tzinfo]
) -> None:
    usage, tz = usage_tz

    periods = build_periods(usage, tariff.priced_elements(), tz)

    total_s = Decimal(max(session_us(usage), 0)).scaleb(-6)
    energy_kwh = Decimal(max(usage.meter_end_wh - usage.meter_start_wh, 0)).scaleb(-3)
    assert sum((p.duration_s for p in periods), ZERO) == total_s
    assert sum((p.energy_kwh for p in periods), ZERO) == energy_kwh
    elapsed = kwh = ZERO
    start = usage.started_at.astimezone(UTC)
    for p in periods:
        assert p.start == start + timedelta(microseconds=int(elapsed.scaleb(6)))
        assert (p.elapsed_s, p.kwh_before) == (elapsed, kwh)
        assert p.duration_s > 0 or (total_s == 0 and p.energy_kwh > 0)
        assert p.energy_kwh >= 0
        assert p.charging_s == 0 or p.parking_s == 0
        if p.parking_s:
            assert p.energy_kwh == 0
        elapsed += p.duration_s
        kwh += p.energy_kwh
    priced = price_session(
        tariff, periods, session_start=usage.started_at, session_end=usage.ended_at, tz=tz
    )
    assert priced.total_time_s == total_s
    assert priced.charging_s + priced.parking_s == total_s


@SETTINGS
@given(tariffs(), usages(stray=False), st.data())
def test_clock_restrictions_give_one_answer_inside_each_period(
    tariff: Tariff, usage_tz: tuple[SessionUsage, tzinfo], data: st.DataObject
) -> None:
    usage, tz = usage_tz
    clocks = [
        Restrictions(
            start_time=e.restrictions.start_time,
            end_time=e.restrictions.end_time,
            start_date=e.restrictions.start_date,
            end_date=e.restrictions.end_date,
            days_of_week=e.restrictions.days_of_week,
        )
        for e in tariff.priced_elements()
    ]

    periods = build_periods(usage, tariff.priced_elements(), tz)

    for p in periods:
        length_us = int(p.duration_s.scaleb(6))
        if length_us == 0:
            continue
        inside = p.start + timedelta(microseconds=data.draw(st.integers(0, length_us - 1)))
        last = p.start + timedelta(microseconds=length_us - 1)
        for r in clocks:
            at_start = restrictions_hold(r, ChargingPeriod(start=p.start), p.start.astimezone(tz))
            for instant in (inside, last):
                here = restrictions_hold(r, ChargingPeriod(start=instant), instant.astimezone(tz))
                assert here == at_start, (r, p.start, instant)
