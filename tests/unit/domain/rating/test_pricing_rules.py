"""price_session rules (pricing.py docstring, DOMAIN.md §1–2), on hand-made charging periods."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from rating_builders import (
    BERLIN,
    T0,
    D,
    element,
    energy,
    flat,
    minutes,
    parking,
    price,
    session,
    tariff,
    time_fee,
)

from ampyre.domain.money import Price, round_money
from ampyre.domain.rating.engine import rate_session
from ampyre.domain.rating.periods import ChargingPeriod
from ampyre.domain.rating.pricing import LineKind, PricedSession, price_session
from ampyre.domain.rating.restrictions import restrictions_hold
from ampyre.domain.rating.tariff import (
    Dimension,
    ReservationRestriction,
    Restrictions,
    Tariff,
    TimeUnit,
)


def period(offset_min: float = 0, **facts: Any) -> ChargingPeriod:
    """A period starting ``offset_min`` after T0, with ``elapsed_s`` to match."""
    facts = {"elapsed_s": D(int(offset_min * 60)), **facts}
    return ChargingPeriod(start=T0 + minutes(offset_min), **facts)


def charge(offset_min: float, seconds: int, kwh: str = "0", **facts: Any) -> ChargingPeriod:
    return period(offset_min, charging_s=D(seconds), energy_kwh=D(kwh), **facts)


def park(offset_min: float, seconds: int, **facts: Any) -> ChargingPeriod:
    return period(offset_min, parking_s=D(seconds), **facts)


def priced(t: Tariff, periods: Sequence[ChargingPeriod]) -> PricedSession:
    end = periods[-1].start + timedelta(seconds=float(periods[-1].duration_s)) if periods else T0
    return price_session(t, periods, session_start=T0, session_end=end, tz=BERLIN)


def usage_lines(session: PricedSession) -> dict[tuple[Dimension | None, int | None], Decimal]:
    """Billed quantity per (dimension, element index) of the USAGE lines."""
    return {
        (line.dimension, line.element): line.billed_quantity
        for line in session.lines
        if line.kind is LineKind.USAGE
    }


# --- lookup per dimension ---------------------------------------------------------------


def test_each_dimension_takes_the_first_element_that_has_it() -> None:
    t = tariff(
        element(time_fee("3.00"), min_duration_s=3600),
        element(energy("0.25"), time_fee("1.00")),
        element(parking("2.00"), energy("9.99")),
    )
    periods = [
        charge(0, 3600, "10"),
        charge(60, 1800, "5", kwh_before=D(10)),
        park(90, 1800, kwh_before=D(15)),
    ]

    result = priced(t, periods)

    assert usage_lines(result) == {
        (Dimension.ENERGY, 1): D(15),
        (Dimension.TIME, 1): D(3600),
        (Dimension.TIME, 0): D(1800),
        (Dimension.PARKING_TIME, 2): D(1800),
    }
    # 15 kWh × 0.25 + 1 h × 1.00 + 0.5 h × 3.00 + 0.5 h × 2.00
    assert result.total.excl_vat == D("7.25")


def test_a_dimension_no_element_prices_is_free() -> None:
    t = tariff(element(energy("0.25")), element(time_fee("1.00"), min_duration_s=99_999))

    result = priced(t, [charge(0, 3600, "10"), park(60, 7200)])

    assert usage_lines(result) == {(Dimension.ENERGY, 0): D(10)}
    assert result.total == price("2.50", "2.50")
    assert result.parking_s == D(7200)


# --- FLAT -------------------------------------------------------------------------------


def test_flat_is_charged_once_per_session_over_many_periods() -> None:
    t = tariff(element(flat("0.50", "20"), energy("0.30", "20")))

    result = priced(t, [charge(0, 600, "1"), charge(10, 600, "1"), park(20, 600)])

    flats = [line for line in result.lines if line.dimension is Dimension.FLAT]
    assert [(f.billed_quantity, f.amount) for f in flats] == [(D(1), price("0.50", "0.60"))]
    assert result.total.excl_vat == D("1.10")


def test_flat_from_a_restricted_element_is_charged_by_the_first_matching_period() -> None:
    t = tariff(element(flat("1.00"), min_duration_s=600), element(energy("0.30")))

    result = priced(t, [charge(0, 600, "1"), charge(10, 600, "1"), charge(20, 600, "1")])

    assert usage_lines(result)[(Dimension.FLAT, 0)] == D(1)
    assert result.total.excl_vat == D("1.90")


def test_reservation_is_priced_by_reservation_elements_and_has_its_own_flat() -> None:
    reserved = ReservationRestriction.RESERVATION
    t = tariff(
        element(flat("1.00"), time_fee("6.00"), reservation=reserved),
        element(flat("0.50"), energy("0.30")),
    )
    periods = [
        period(0, reservation_s=D(600), reservation=reserved),
        charge(10, 3600, "10"),
    ]

    result = priced(t, periods)

    # Reservation: 1.00 + 10 min × 6.00/h; charging: 0.50 + 10 kWh × 0.30, its time free.
    assert usage_lines(result) == {
        (Dimension.FLAT, 0): D(1),
        (Dimension.TIME, 0): D(600),
        (Dimension.FLAT, 1): D(1),
        (Dimension.ENERGY, 1): D(10),
    }
    assert result.total.excl_vat == D("5.50")


def test_empty_session_is_priced_as_one_empty_period_for_its_flat() -> None:
    t = tariff(element(flat("0.50"), energy("0.30")))

    result = price_session(t, [], session_start=T0, session_end=T0, tz=BERLIN)

    assert result.total.excl_vat == D("0.50")
    assert result.periods == (ChargingPeriod(start=T0),)


# --- step_size --------------------------------------------------------------------------


def test_energy_step_applies_once_to_the_total_with_the_last_component() -> None:
    t = tariff(
        element(energy("0.30", step=1000), max_duration_s=1800),
        element(energy("0.50", step=500)),
    )

    result = priced(t, [charge(0, 1800, "1.2"), charge(30, 1800, "0.1")])

    # 1.3 kWh → 1.5 kWh in 500 Wh steps; the extra 0.2 kWh at the last price.
    assert usage_lines(result) == {(Dimension.ENERGY, 0): D("1.2"), (Dimension.ENERGY, 1): D("0.3")}
    assert result.total.excl_vat == D("0.51")
    assert result.energy_kwh == D("1.3")


def test_energy_already_a_multiple_of_the_step_is_not_rounded() -> None:
    t = tariff(element(energy("0.30", step=500)))

    result = priced(t, [charge(0, 1800, "1.5")])

    assert result.total.excl_vat == D("0.45")


def test_charging_time_alone_is_rounded_up() -> None:
    t = tariff(element(time_fee("6.00", step=900)))

    result = priced(t, [charge(0, 601)])

    assert usage_lines(result) == {(Dimension.TIME, 0): D(900)}
    assert result.total.excl_vat == D("1.50")


def test_charging_followed_by_parking_rounds_only_parking() -> None:
    t = tariff(element(time_fee("6.00", step=900), parking("12.00", step=300)))

    result = priced(t, [charge(0, 600), park(10, 120)])

    assert usage_lines(result) == {
        (Dimension.TIME, 0): D(600),
        (Dimension.PARKING_TIME, 0): D(300),
    }
    assert result.total.excl_vat == D("2.00")


def test_free_parking_at_the_end_rounds_the_last_billable_time_dimension() -> None:
    # OCPI 2.2.1 "switching to Free-of-Charge Tariff Element": parking free after 20 min,
    # the 8 billable parking minutes are rounded to 15 at the paid parking element's step.
    t = tariff(
        element(time_fee("2.40", step=900), parking("2.40", step=900), max_duration_s=1200),
        element(time_fee("2.40", step=900)),
    )

    result = priced(t, [charge(0, 720), park(12, 480), park(20, 720)])

    assert usage_lines(result) == {
        (Dimension.TIME, 0): D(720),
        (Dimension.PARKING_TIME, 0): D(900),
    }
    assert result.total.excl_vat == D("1.08")  # 12 min and 15 min at 2.40/h


def test_step_billed_at_the_last_price_can_make_more_energy_cheaper() -> None:
    # OCPI's rule has this consequence: the rounding extra follows the last period's price,
    # so shifting energy into a cheaper earlier period can lower the bill.
    t = tariff(
        element(energy("0.10"), max_duration_s=1800),
        element(energy("1.00", step=1000)),
    )

    less = priced(t, [charge(0, 1800, "0.3"), charge(30, 1800, "0.01")])
    more = priced(t, [charge(0, 1800, "0.6"), charge(30, 1800, "0.02")])

    # 0.3 × 0.10 + (0.01 + 0.69) × 1.00 against 0.6 × 0.10 + (0.02 + 0.38) × 1.00.
    assert (less.total.excl_vat, more.total.excl_vat) == (D("0.73"), D("0.46"))


# --- min / max price --------------------------------------------------------------------


def test_min_price_raises_excl_and_incl_with_one_line_per_vat_rate() -> None:
    t = tariff(
        element(energy("0.25", "10"), flat("0.50", "20")),
        min_price=price("5.00", "6.00"),
    )

    result = priced(t, [charge(0, 600, "4")])

    # Raw: 1.00 + 0.50 = 1.50 excl., 1.10 + 0.60 = 1.70 incl.
    assert result.total == price("5.00", "6.00")
    adjustments = [line for line in result.lines if line.kind is not LineKind.USAGE]
    assert {line.kind for line in adjustments} == {LineKind.MIN_PRICE}
    assert sorted(line.vat_percent for line in adjustments if line.vat_percent) == [D(10), D(20)]
    assert result.dimension_cost(Dimension.ENERGY) == price("1.00", "1.10")
    vat = {v.vat_percent: (v.excl_vat, v.incl_vat) for v in result.vat_totals()}
    assert sum(e for e, _ in vat.values()) == D("5.00")
    assert sum(i for _, i in vat.values()) == D("6.00")


def test_adjustment_shares_add_up_exactly_even_when_the_ratio_does_not_terminate() -> None:
    t = tariff(
        element(energy("1", "10"), flat("1", "20"), time_fee("1")),
        max_price=price("1", "1.1"),
    )

    result = priced(t, [charge(0, 3600, "1")])

    # Raw 3 excl.: each rate's share is a third of the adjustment.
    assert result.total == price("1", "1.1")
    assert len([line for line in result.lines if line.kind is LineKind.MAX_PRICE]) == 3


def test_only_the_side_over_the_bound_is_clamped() -> None:
    t = tariff(element(energy("1", "10")), max_price=price("1.00", "1.05"))

    result = priced(t, [charge(0, 3600, "1")])

    assert result.total == price("1", "1.05")
    (adjustment,) = [line for line in result.lines if line.kind is LineKind.MAX_PRICE]
    assert adjustment.amount == price("0", "-0.05")


def test_min_price_of_a_session_that_cost_nothing_carries_the_implied_vat_rate() -> None:
    t = tariff(element(energy("0.30", "19")), min_price=price("1.00", "1.19"))

    result = priced(t, [park(0, 600)])

    (line,) = result.lines
    assert (line.kind, line.vat_percent, line.amount) == (
        LineKind.MIN_PRICE,
        D(19),
        price("1.00", "1.19"),
    )


def test_min_price_without_vat_on_a_free_session() -> None:
    t = tariff(element(energy("0.30")), min_price=price("1.00", "1.00"))

    (line,) = priced(t, [park(0, 600)]).lines

    assert (line.vat_percent, line.amount) == (None, price("1.00", "1.00"))


def test_total_within_bounds_has_no_adjustment() -> None:
    t = tariff(element(energy("0.30")), min_price=price("1", "1"), max_price=price("10", "10"))

    result = priced(t, [charge(0, 600, "10")])

    assert [line.kind for line in result.lines] == [LineKind.USAGE]


# --- VAT --------------------------------------------------------------------------------


def test_no_vat_and_zero_vat_are_separate_totals() -> None:
    t = tariff(element(energy("0.30", "0"), flat("1.00")))

    result = priced(t, [charge(0, 600, "10")])

    assert [(v.vat_percent, v.excl_vat, v.incl_vat) for v in result.vat_totals()] == [
        (D(0), D("3.00"), D("3.00")),
        (None, D("1.00"), D("1.00")),
    ]
    assert Decimal(0) in {v.vat_percent for v in result.vat_totals()}
    assert None in {v.vat_percent for v in result.vat_totals()}


def test_vat_totals_are_rounded_per_rate_from_their_exact_sums() -> None:
    # Two lines at 10 %: 0.0044 + 0.0044 = 0.0088 → 0.01 (each alone would round to 0.00).
    t = tariff(
        element(energy("0.0044", "10"), max_duration_s=600),
        element(energy("0.0044", "10")),
    )

    result = priced(t, [charge(0, 600, "1"), charge(10, 600, "1")])

    (total,) = result.vat_totals()
    assert (total.excl_vat, total.incl_vat) == (D("0.01"), D("0.01"))


# --- restrictions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("restrictions", "facts", "holds"),
    [
        (Restrictions(min_kwh=D(10)), {"kwh_before": D(10)}, True),
        (Restrictions(min_kwh=D(10)), {"kwh_before": D("9.999999")}, False),
        (Restrictions(max_kwh=D(10)), {"kwh_before": D(10)}, False),
        (Restrictions(max_kwh=D(10)), {"kwh_before": D("9.999999")}, True),
        (Restrictions(min_duration_s=600), {"elapsed_s": D(600)}, True),
        (Restrictions(max_duration_s=600), {"elapsed_s": D(600)}, False),
        (Restrictions(max_duration_s=600), {"elapsed_s": D("599.999999")}, True),
        (Restrictions(min_power=D(11)), {"min_power_kw": D(11), "max_power_kw": D(22)}, True),
        (Restrictions(min_power=D(11)), {"min_power_kw": D(10), "max_power_kw": D(22)}, False),
        (Restrictions(max_power=D(22)), {"min_power_kw": D(11), "max_power_kw": D(22)}, False),
        (Restrictions(max_power=D(22)), {"min_power_kw": D(11), "max_power_kw": D(21)}, True),
        (Restrictions(min_power=D(11)), {}, False),
        (Restrictions(min_current=D(16)), {"min_current_a": D(16), "max_current_a": D(16)}, True),
        (Restrictions(max_current=D(16)), {"min_current_a": D(16), "max_current_a": D(16)}, False),
    ],
)
def test_min_is_inclusive_and_max_exclusive(
    restrictions: Restrictions, facts: dict[str, Any], holds: bool
) -> None:
    p = period(**facts)

    assert restrictions_hold(restrictions, p, p.start.astimezone(BERLIN)) is holds


@pytest.mark.parametrize(
    ("local_start", "holds"),
    [
        (datetime(2024, 5, 9, 23, 59, tzinfo=BERLIN), False),
        (datetime(2024, 5, 10, 0, 0, tzinfo=BERLIN), True),
        (datetime(2024, 5, 11, 23, 59, tzinfo=BERLIN), True),
        (datetime(2024, 5, 12, 0, 0, tzinfo=BERLIN), False),
    ],
)
def test_start_date_inclusive_end_date_exclusive_in_local_time(
    local_start: datetime, holds: bool
) -> None:
    r = Restrictions(start_date=date(2024, 5, 10), end_date=date(2024, 5, 12))
    p = ChargingPeriod(start=local_start.astimezone(UTC))

    assert restrictions_hold(r, p, p.start.astimezone(BERLIN)) is holds


def test_reservation_elements_price_only_reservation_periods_of_their_kind() -> None:
    reservation = Restrictions(reservation=ReservationRestriction.RESERVATION)
    expires = Restrictions(reservation=ReservationRestriction.RESERVATION_EXPIRES)
    normal = period()
    reserving = period(reservation=ReservationRestriction.RESERVATION)
    local = T0.astimezone(BERLIN)

    assert not restrictions_hold(reservation, normal, local)
    assert restrictions_hold(reservation, reserving, local)
    assert not restrictions_hold(expires, reserving, local)
    assert not restrictions_hold(Restrictions(), reserving, local)


def test_periods_are_judged_in_the_location_time_zone() -> None:
    t = tariff(
        element(energy("1.00"), start_time=time(18, 0)),
        element(energy("0.10")),
    )
    # 17:30 UTC is 18:30 in Berlin (CET): the evening price applies.
    winter = ChargingPeriod(start=datetime(2024, 1, 10, 17, 30, tzinfo=UTC), energy_kwh=D(1))

    result = price_session(
        t, [winter], session_start=winter.start, session_end=winter.start, tz=BERLIN
    )

    assert result.total.excl_vat == D("1.00")


# --- time units, grace, rounding ---------------------------------------------------------


def test_time_price_per_minute() -> None:
    t = tariff(element(time_fee("0.05", unit=TimeUnit.MINUTE)))

    result = priced(t, [charge(0, 5400)])

    (line,) = result.lines
    assert (line.unit_price, line.billed_quantity) == (D("3.00"), D(5400))
    assert result.total.excl_vat == D("4.50")


def test_parking_grace_counts_from_plug_in() -> None:
    # Charging 0–30 min, parking 30–60 min, grace 45 min: 15 min of parking billed.
    t = tariff(element(energy("0.30", "19"), parking("6.00", "19")), parking_grace_s=2700)
    usage = session(T0, minutes(60), 10_000, [(minutes(30), 10_000)])

    result = rate_session(t, usage, BERLIN)

    assert usage_lines(result) == {
        (Dimension.ENERGY, 1): D(10),
        (Dimension.PARKING_TIME, 0): D(900),
        (Dimension.PARKING_TIME, 1): D(900),
    }
    assert result.dimension_cost(Dimension.PARKING_TIME) == price("1.50", "1.785")
    assert {v.vat_percent for v in result.vat_totals()} == {D(19)}


def test_parking_grace_longer_than_the_session_makes_parking_free() -> None:
    t = tariff(element(parking("6.00")), parking_grace_s=7200)
    usage = session(T0, minutes(60), 0)

    result = rate_session(t, usage, BERLIN)

    assert result.total == price("0", "0")


def test_totals_are_rounded_half_up_once_from_the_exact_value() -> None:
    # Energy 0.15 kWh × 0.30 = 0.045 and time 81 s × 2.00/h = 0.045: each part rounds to 0.05,
    # the session total 0.090 to 0.09 — not 0.10.
    t = tariff(element(energy("0.30"), time_fee("2.00")))

    result = priced(t, [charge(0, 81, "0.15")])

    totals = result.rounded_totals()
    assert totals["total_energy_cost"] == price("0.05", "0.05")
    assert totals["total_time_cost"] == price("0.05", "0.05")
    assert totals["total_cost"] == price("0.09", "0.09")


@pytest.mark.parametrize(
    ("currency", "kwh", "unit_price", "rounded"),
    [
        ("EUR", "0.15", "0.30", "0.05"),  # 0.045; half-even would give 0.04
        ("JPY", "25", "0.5", "13"),  # 12.5; half-even would give 12
        ("BHD", "2.001", "0.5", "1.001"),  # 1.0005; half-even would give 1.000
    ],
)
def test_half_up_to_the_currency_minor_unit(
    currency: str, kwh: str, unit_price: str, rounded: str
) -> None:
    t = tariff(element(energy(unit_price)), currency=currency)

    result = priced(t, [charge(0, 600, kwh)])

    total = result.rounded_totals()["total_cost"]
    assert total == Price(D(rounded), D(rounded))
    assert str(total.excl_vat) == rounded
    assert round_money(D(kwh) * D(unit_price), currency) == D(rounded)
