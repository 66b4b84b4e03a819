"""Reservations (used and expired) and one-sided power/current facts of a period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rating_builders import D, element, energy, flat, price, time_fee

from ampyre.domain.rating.periods import ChargingPeriod
from ampyre.domain.rating.pricing import PricedSession, price_session
from ampyre.domain.rating.tariff import ReservationRestriction, Tariff

T0 = datetime(2024, 6, 3, 9, tzinfo=UTC)
EXPIRES = ReservationRestriction.RESERVATION_EXPIRES
RESERVED = ReservationRestriction.RESERVATION


def priced(tariff: Tariff, *periods: ChargingPeriod, hours: int = 2) -> PricedSession:
    return price_session(
        tariff, periods, session_start=T0, session_end=T0 + timedelta(hours=hours), tz=UTC
    )


EXPIRY_FEE = Tariff(
    "EUR",
    (
        element(flat("4.00", "20"), reservation=EXPIRES),
        element(time_fee("2.00", "20"), reservation=RESERVED),
        element(flat("0.50", "20"), energy("0.25", "10")),
    ),
)


def test_an_expired_reservation_takes_its_time_price_from_the_reservation_element() -> None:
    expired = ChargingPeriod(start=T0, reservation_s=D(3600), reservation=EXPIRES)
    result = priced(EXPIRY_FEE, expired, hours=1)
    assert result.rounded_totals()["total_cost"] == price("6.00", "7.20")
    assert result.rounded_totals()["total_reservation_cost"] == price("6.00", "7.20")
    assert result.rounded_totals()["total_fixed_cost"] == price("0.00", "0.00")


def test_a_used_reservation_is_reported_apart_from_charging() -> None:
    reserved = ChargingPeriod(start=T0, reservation_s=D(1800), reservation=RESERVED)
    charging = ChargingPeriod(
        start=T0 + timedelta(minutes=30), energy_kwh=D(20), charging_s=D(3600)
    )
    totals = priced(EXPIRY_FEE, reserved, charging).rounded_totals()
    assert totals["total_reservation_cost"] == price("1.00", "1.20")  # no expiry fee: used
    assert totals["total_fixed_cost"] == price("0.50", "0.60")
    assert totals["total_time_cost"] == price("0.00", "0.00")
    assert totals["total_cost"] == price("6.50", "7.30")


def test_a_reservation_element_never_prices_charging_and_expiry_never_a_used_one() -> None:
    charging = ChargingPeriod(start=T0, charging_s=D(3600))
    assert priced(EXPIRY_FEE, charging).rounded_totals()["total_cost"] == price("0.50", "0.60")


def test_a_one_sided_current_or_power_fact_stands_for_both_sides() -> None:
    tariff = Tariff(
        "EUR",
        (
            element(time_fee("1.00"), max_current=D(32)),
            element(time_fee("2.00"), min_power=D(22)),
        ),
    )
    only_max = ChargingPeriod(start=T0, charging_s=D(3600), max_current_a=D(16))
    only_min_power = ChargingPeriod(start=T0, charging_s=D(3600), min_power_kw=D(43))
    nothing = ChargingPeriod(start=T0, charging_s=D(3600))
    assert priced(tariff, only_max).rounded_totals()["total_cost"] == price("1.00", "1.00")
    assert priced(tariff, only_min_power).rounded_totals()["total_cost"] == price("2.00", "2.00")
    assert priced(tariff, nothing).rounded_totals()["total_cost"] == price("0.00", "0.00")
