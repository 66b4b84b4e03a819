"""Tariff model validation, tariff versions, and the currency table of money.py."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pytest
from babel.core import get_global
from babel.numbers import get_currency_precision, get_territory_currencies, list_currencies
from rating_builders import D, element, energy, flat, parking, price, tariff, time_fee

from ampyre.domain.errors import ValidationFailed
from ampyre.domain.money import check_currency, minor_units, round_money, with_vat
from ampyre.domain.rating.tariff import (
    Dimension,
    PriceComponent,
    ReservationRestriction,
    Restrictions,
    TariffElement,
    TariffVersion,
    TimeUnit,
    check_versions,
    version_in_force,
)

JAN = datetime(2024, 1, 1, tzinfo=UTC)
FEB = datetime(2024, 2, 1, tzinfo=UTC)
MAR = datetime(2024, 3, 1, tzinfo=UTC)


# --- price components and elements -----------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"price": D("-0.01")},
        {"price": D("NaN")},
        {"price": D("Infinity")},
        {"vat_percent": D("100.01")},
        {"vat_percent": D(-1)},
        {"step_size": -1},
    ],
)
def test_component_refuses(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed):
        PriceComponent(**{"dimension": Dimension.ENERGY, "price": D("0.30"), **kwargs})


def test_component_accepts_free_and_full_vat() -> None:
    assert PriceComponent(Dimension.TIME, D(0), D(100)).price_per_hour == D(0)
    assert PriceComponent(Dimension.TIME, D(0), D(0)).vat_percent == D(0)


def test_per_minute_price_only_for_time_dimensions() -> None:
    assert time_fee("0.05", unit=TimeUnit.MINUTE).price_per_hour == D("3.00")
    assert parking("0.10", unit=TimeUnit.MINUTE).price_per_hour == D("6.00")
    with pytest.raises(ValidationFailed, match="per-minute"):
        PriceComponent(Dimension.ENERGY, D("0.30"), time_unit=TimeUnit.MINUTE)


@pytest.mark.parametrize("component", [energy("0.30"), parking("1.00")])
def test_reservation_restriction_refuses_energy_and_parking(component: PriceComponent) -> None:
    with pytest.raises(ValidationFailed, match="element has a reservation restriction"):
        element(flat("1.00"), component, reservation=ReservationRestriction.RESERVATION)


def test_reservation_restriction_accepts_flat_and_time() -> None:
    t = tariff(
        element(flat("1"), time_fee("2"), reservation=ReservationRestriction.RESERVATION_EXPIRES)
    )

    assert t.dimensions == {Dimension.FLAT, Dimension.TIME}


def test_element_needs_components_without_duplicates() -> None:
    with pytest.raises(ValidationFailed, match="no price components"):
        tariff(TariffElement(()))
    with pytest.raises(ValidationFailed, match="two ENERGY components"):
        tariff(element(energy("0.30"), energy("0.40")))


# --- restrictions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_kwh": D(10), "max_kwh": D(10)},
        {"min_kwh": D(10), "max_kwh": D(5)},
        {"min_power": D(22), "max_power": D(11)},
        {"min_current": D(16), "max_current": D(16)},
        {"min_duration_s": 600, "max_duration_s": 600},
        {"start_date": date(2024, 5, 1), "end_date": date(2024, 5, 1)},
        {"start_time": time(8, 0), "end_time": time(8, 0)},
        {"min_kwh": D(-1)},
        {"max_duration_s": -1},
    ],
)
def test_restrictions_refuse(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed):
        Restrictions(**kwargs)


def test_restrictions_accept_a_window_wrapping_midnight_and_one_ending_at_midnight() -> None:
    assert Restrictions(start_time=time(22), end_time=time(6)).end_time == time(6)
    assert Restrictions(start_time=time(20), end_time=time(0)).end_time == time(0)
    assert Restrictions().is_empty
    assert not Restrictions(min_kwh=D(0)).is_empty


# --- tariff ------------------------------------------------------------------------------


def test_max_price_below_min_price_is_refused_on_either_side() -> None:
    with pytest.raises(ValidationFailed, match="max_price must not be below min_price"):
        tariff(element(energy("1")), min_price=price("5", "6"), max_price=price("4", "7"))
    with pytest.raises(ValidationFailed, match="max_price must not be below min_price"):
        tariff(element(energy("1")), min_price=price("5", "6"), max_price=price("5", "5.5"))


def test_equal_min_and_max_price_is_a_fixed_price() -> None:
    t = tariff(element(energy("1")), min_price=price("5", "6"), max_price=price("5", "6"))

    assert t.min_price == t.max_price


@pytest.mark.parametrize("bound", ["min_price", "max_price"])
def test_price_bound_must_include_its_vat(bound: str) -> None:
    for wrong in (price("5", "4"), price("-1", "0")):
        options: dict[str, Any] = {bound: wrong}
        with pytest.raises(ValidationFailed, match=bound):
            tariff(element(energy("1")), **options)


def test_negative_grace_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="grace"):
        tariff(element(parking("1")), parking_grace_s=-1)


def test_grace_becomes_a_free_parking_element_in_front() -> None:
    paid = element(energy("0.30", "19"), parking("6.00", "19"))
    t = tariff(paid, parking_grace_s=900)

    grace, *rest = t.priced_elements()

    assert rest == [paid]
    assert grace.restrictions == Restrictions(max_duration_s=900)
    assert grace.components == (PriceComponent(Dimension.PARKING_TIME, D(0), D(19)),)
    assert tariff(paid).priced_elements() == (paid,)


@pytest.mark.parametrize("code", ["eur", "EURO", "EU", "", "ÄUR", "E1R"])
def test_currency_must_look_like_iso_4217(code: str) -> None:
    with pytest.raises(ValidationFailed, match="ISO 4217"):
        tariff(element(energy("1")), currency=code)


def test_check_currency_returns_a_valid_code() -> None:
    assert check_currency("CHF") == "CHF"
    assert minor_units("XYZ") == 2  # well-formed but unknown: the usual 2 decimals


# --- versions ----------------------------------------------------------------------------


def version(number: int, start: datetime | None, end: datetime | None, cur: str = "EUR") -> Any:
    return TariffVersion(number, tariff(element(energy("0.30")), currency=cur), start, end)


def test_version_needs_aware_and_ordered_bounds() -> None:
    with pytest.raises(ValidationFailed, match="time zone"):
        version(1, datetime(2024, 1, 1), None)  # noqa: DTZ001 - naive on purpose
    with pytest.raises(ValidationFailed, match="end after it starts"):
        version(1, FEB, FEB)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ((JAN, MAR), (FEB, None)),
        ((None, FEB), (JAN, MAR)),
        ((None, None), (JAN, FEB)),
        ((JAN, None), (FEB, None)),
        ((JAN, MAR), (JAN, FEB)),
    ],
)
def test_overlapping_versions_are_refused(
    first: tuple[datetime | None, datetime | None], second: tuple[datetime | None, datetime | None]
) -> None:
    with pytest.raises(ValidationFailed, match="overlap"):
        check_versions([version(2, *second), version(1, *first)])


def test_adjacent_versions_are_accepted_and_the_boundary_belongs_to_the_later_one() -> None:
    versions = [version(1, None, FEB), version(2, FEB, MAR), version(3, MAR, None)]

    check_versions(versions)

    assert version_in_force(versions, FEB - dt.timedelta(microseconds=1)) is versions[0]
    assert version_in_force(versions, FEB) is versions[1]
    assert version_in_force(versions, MAR) is versions[2]


def test_no_version_in_force_in_a_gap() -> None:
    versions = [version(1, JAN, FEB), version(2, MAR, None)]

    assert version_in_force(versions, FEB) is None
    assert version_in_force(versions, JAN - dt.timedelta(seconds=1)) is None


def test_versions_share_one_currency() -> None:
    with pytest.raises(ValidationFailed, match="same currency"):
        check_versions([version(1, JAN, FEB), version(2, FEB, None, "CHF")])


# --- money -------------------------------------------------------------------------------


def active_iso_currencies() -> set[str]:
    """Codes some territory uses today, legal tender or not (e.g. the fund codes CLF, UYW)."""
    today = date.today()  # noqa: DTZ011 - CLDR currency validity is by calendar date
    return {
        code
        for territory in get_global("territory_currencies")
        for code in get_territory_currencies(territory, today, tender=True, non_tender=True)
    }


def test_minor_units_agree_with_cldr_for_every_active_currency() -> None:
    active = active_iso_currencies() & set(list_currencies())
    assert {"EUR", "JPY", "BHD", "CLF"} <= active

    disagree = {c: (minor_units(c), get_currency_precision(c)) for c in sorted(active)}
    disagree = {c: pair for c, pair in disagree.items() if pair[0] != pair[1]}

    assert disagree == {}


@pytest.mark.parametrize(("code", "digits"), [("EUR", 2), ("JPY", 0), ("BHD", 3), ("HUF", 2)])
def test_minor_units_examples(code: str, digits: int) -> None:
    assert minor_units(code) == digits


def test_round_money_is_half_up_and_with_vat_keeps_none_apart_from_zero() -> None:
    assert round_money(D("0.125"), "EUR") == D("0.13")
    assert round_money(D("-0.125"), "EUR") == D("-0.13")
    assert round_money(D("2.5"), "JPY") == D(3)
    assert with_vat(D("10"), None) == D(10)
    assert with_vat(D("10"), D(0)) == D(10)
    assert with_vat(D("10"), D("7.7")) == D("10.77")
    assert isinstance(with_vat(D(1), D(19)), Decimal)
