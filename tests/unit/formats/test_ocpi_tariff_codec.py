"""OCPI 2.2.1 Tariff JSON <-> domain Tariff, with the public test vectors (tests/data)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ampyre.domain.errors import ValidationFailed
from ampyre.domain.money import Price
from ampyre.domain.rating.periods import ChargingPeriod
from ampyre.domain.rating.pricing import price_session
from ampyre.domain.rating.tariff import (
    DayOfWeek,
    Dimension,
    PriceComponent,
    ReservationRestriction,
    Restrictions,
    Tariff,
    TariffElement,
    TariffType,
    TimeUnit,
)
from ampyre.formats.ocpi_tariff import dumps_ocpi, parse_ocpi_tariff, tariff_to_ocpi

VECTORS = Path(__file__).parents[2] / "data" / "ocpi-tariffs"
CASES = sorted(p.name for p in VECTORS.iterdir() if p.is_dir())
NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
D = Decimal


def load(case: str, name: str = "tariff.json") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / case / name).read_text(), parse_float=Decimal)
    return data


def export(tariff: Tariff, **extra: Any) -> dict[str, Any]:
    return tariff_to_ocpi(
        tariff, id="T1", country_code="DE", party_id="AMP", last_updated=NOW, **extra
    )


def through_json(obj: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(dumps_ocpi(obj), parse_float=Decimal)
    return data


def test_every_vector_folder_is_present() -> None:
    # 24 folders (+ README and two licence files: 27 entries), 9 CDRs among them.
    assert len(CASES) == 24
    assert len(list(VECTORS.glob("*/cdr*.json"))) == 9


@pytest.mark.parametrize("case", CASES)
def test_every_vector_tariff_parses_component_by_component(case: str) -> None:
    data = load(case)
    parsed = parse_ocpi_tariff(data)
    assert parsed.id == data["id"]
    assert parsed.country_code == data.get("country_code")
    assert parsed.tariff.currency == data["currency"]
    assert len(parsed.tariff.elements) == len(data["elements"])
    for element, raw in zip(parsed.tariff.elements, data["elements"], strict=True):
        assert len(element.components) == len(raw["price_components"])
        for component, raw_c in zip(element.components, raw["price_components"], strict=True):
            assert component.dimension == raw_c["type"]
            assert component.price == raw_c["price"]
            assert component.vat_percent == raw_c.get("vat")
            assert component.step_size == raw_c["step_size"]
            assert component.time_unit is TimeUnit.HOUR
        assert element.restrictions.is_empty == ("restrictions" not in raw)


def test_complex_tariff_restrictions_and_envelope() -> None:
    parsed = parse_ocpi_tariff(load("complex"))
    tariff = parsed.tariff
    assert tariff.type is TariffType.REGULAR
    assert tariff.info_url == "https://company.com/tariffs/14"
    assert parsed.last_updated == datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)
    assert tariff.elements[1].restrictions == Restrictions(max_current=D("32.00"))
    weekdays = frozenset(DayOfWeek) - {DayOfWeek.SATURDAY, DayOfWeek.SUNDAY}
    assert tariff.elements[2].restrictions == Restrictions(min_current=D(32), days_of_week=weekdays)
    assert tariff.elements[4].restrictions == Restrictions(
        start_time=time(9), end_time=time(18), days_of_week=weekdays
    )


def test_texts_url_type_prices_and_validity() -> None:
    alt = parse_ocpi_tariff(load("alt_text")).tariff
    assert alt.type is TariffType.AD_HOC_PAYMENT
    assert alt.texts == {
        "en": "2.00 euro p/hour including VAT.",
        "nl": "2.00 euro p/uur inclusief BTW.",
    }
    capped = parse_ocpi_tariff(load("025kwh_start_max_price"))
    assert capped.tariff.max_price == Price(D("10.00"), D("11.00"))
    assert capped.valid_until == datetime(2019, 6, 30, 23, 59, 59, tzinfo=UTC)
    assert capped.valid_from is None
    assert capped.in_force_at(datetime(2019, 6, 30, tzinfo=UTC))
    assert not capped.in_force_at(datetime(2019, 7, 1, tzinfo=UTC))
    assert parse_ocpi_tariff(load("put_example")).last_updated is None
    assert parse_ocpi_tariff(load("free_of_charge")).tariff.elements[0].components[0] == (
        PriceComponent(Dimension.FLAT, D(0), None, 0)
    )
    grace = parse_ocpi_tariff(load("grace_period_parking_time")).tariff.elements[0]
    assert grace.restrictions == Restrictions(min_duration_s=0, max_duration_s=1800)
    reserved = parse_ocpi_tariff(load("reservation_with_expire_fee")).tariff.elements[0]
    assert reserved.restrictions.reservation is ReservationRestriction.RESERVATION_EXPIRES


def test_missing_incl_vat_equals_excl_vat_and_ints_are_exact() -> None:
    data = {
        "currency": "EUR",
        "min_price": {"excl_vat": 2},
        "elements": [{"price_components": [{"type": "ENERGY", "price": 1, "step_size": 1}]}],
        "start_date_time": "2024-01-01T00:00:00",
        "end_date_time": "2024-06-01T02:00:00+02:00",
    }
    parsed = parse_ocpi_tariff(data)
    assert parsed.tariff.min_price == Price(D(2), D(2))
    assert parsed.tariff.elements[0].components[0].price == D(1)
    assert parsed.valid_from == datetime(2024, 1, 1, tzinfo=UTC)  # no designator: UTC
    assert parsed.valid_until == datetime(2024, 6, 1, tzinfo=UTC)
    assert parsed.id is None
    assert parsed.party_id is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2016-12-29T17:45:09.2Z", datetime(2016, 12, 29, 17, 45, 9, 200_000, tzinfo=UTC)),
        ("2018-01-01T01:08:01.123", datetime(2018, 1, 1, 1, 8, 1, 123_000, tzinfo=UTC)),
        ("2015-06-29T20:39:09+02:00", datetime(2015, 6, 29, 18, 39, 9, tzinfo=UTC)),
    ],
)
def test_ocpi_datetimes_become_aware_utc(text: str, expected: datetime) -> None:
    data = {**_simple(), "last_updated": text}
    assert parse_ocpi_tariff(data).last_updated == expected


def _simple() -> dict[str, Any]:
    return {
        "currency": "EUR",
        "elements": [
            {"price_components": [{"type": "FLAT", "price": D("0.50"), "step_size": 1}]},
            {
                "price_components": [
                    {"type": "ENERGY", "price": D("0.25"), "vat": D(10), "step_size": 1}
                ],
                "restrictions": {"start_time": "08:00", "end_time": "20:00"},
            },
        ],
    }


def _set(path: list[Any], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(_simple())
    target: Any = data
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    elif isinstance(target, list) and path[-1] == len(target):
        target.append(value)
    else:
        target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            _set(["elements", 1, "price_components", 0, "type"], "FOO"),
            "elements[1].price_components[0].type: 'FOO' is not one of "
            "ENERGY, FLAT, PARKING_TIME, TIME",
        ),
        (_set(["currency"], KeyError), "currency: is required"),
        (_set(["currency"], "euro"), "currency: currency 'euro' is not an ISO 4217 code"),
        (_set(["elements"], []), "elements: must hold at least 1 item(s)"),
        (_set(["elements", 0], "x"), "elements[0]: must be a JSON object"),
        (
            _set(["elements", 1, "price_components", 0, "price"], 0.25),
            "elements[1].price_components[0].price: 0.25 was read as a float",
        ),
        (
            _set(["elements", 1, "price_components", 0, "price"], "0.25"),
            "elements[1].price_components[0].price: must be a number, not the string '0.25'",
        ),
        (
            _set(["elements", 1, "price_components", 0, "price"], D(-1)),
            "elements[1].price_components[0].price: must be >= 0",
        ),
        (
            _set(["elements", 1, "price_components", 0, "vat"], D(120)),
            "elements[1].price_components[0]: ENERGY VAT must be between 0 and 100 percent",
        ),
        (
            _set(["elements", 1, "price_components", 0, "step_size"], D("1.5")),
            "elements[1].price_components[0].step_size: must be a whole number",
        ),
        (
            _set(["elements", 1, "price_components", 0, "step_size"], KeyError),
            "elements[1].price_components[0].step_size: is required",
        ),
        (
            _set(["elements", 1, "restrictions", "start_time"], "8:00"),
            "elements[1].restrictions.start_time: '8:00' is not a time of day",
        ),
        (
            _set(["elements", 1, "restrictions", "end_time"], "08:00"),
            "elements[1].restrictions: restriction start_time and end_time are equal",
        ),
        (
            _set(["elements", 1, "restrictions", "start_date"], "2024-02-30"),
            "elements[1].restrictions.start_date: '2024-02-30' is not a date",
        ),
        (
            _set(["elements", 1, "restrictions", "day_of_week"], ["MONDAY", "FUNDAY"]),
            "elements[1].restrictions.day_of_week[1]: 'FUNDAY' is not one of MONDAY",
        ),
        (
            _set(["elements", 1, "restrictions", "max_duration"], D(-60)),
            "elements[1].restrictions.max_duration: must be >= 0",
        ),
        (
            _set(["elements", 1, "restrictions", "reservation"], "RESERVATION"),
            "elements[1].price_components[0].type: ENERGY is not allowed with a reservation",
        ),
        (
            _set(
                ["elements", 0, "price_components", 1],
                {"type": "FLAT", "price": 1, "step_size": 1},
            ),
            "elements[0].price_components[1].type: a second FLAT component",
        ),
        (
            _set(["tariff_alt_text"], [{"language": "en", "text": "a"}, {"language": "en"}]),
            "tariff_alt_text[1].language: 'en' appears twice",
        ),
        (_set(["min_price"], {"incl_vat": 1}), "min_price.excl_vat: is required"),
        (
            _set(["end_date_time"], "2024-13-01T00:00:00Z"),
            "end_date_time: '2024-13-01T00:00:00Z' is not a valid date and time",
        ),
        (_set(["last_updated"], "yesterday"), "last_updated: 'yesterday' is not an OCPI"),
        (_set(["type"], "CHEAP"), "type: 'CHEAP' is not one of AD_HOC_PAYMENT"),
    ],
)
def test_errors_name_the_json_path(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        parse_ocpi_tariff(data)
    assert raised.value.message.startswith(message)


def test_domain_rules_that_span_the_tariff_surface_too() -> None:
    data = _simple()
    data["min_price"] = {"excl_vat": D(5), "incl_vat": D(6)}
    data["max_price"] = {"excl_vat": D(4), "incl_vat": D(5)}
    with pytest.raises(ValidationFailed, match="max_price must not be below min_price"):
        parse_ocpi_tariff(data)
    data = _simple()
    data["start_date_time"] = "2024-02-01T00:00:00Z"
    data["end_date_time"] = "2024-01-01T00:00:00Z"
    with pytest.raises(ValidationFailed, match=r"^end_date_time: must be after start_date_time"):
        parse_ocpi_tariff(data)


@pytest.mark.parametrize("case", CASES)
def test_vector_tariffs_survive_export_and_parse_unchanged(case: str) -> None:
    parsed = parse_ocpi_tariff(load(case))
    exported = export(parsed.tariff, valid_from=parsed.valid_from, valid_until=parsed.valid_until)
    again = parse_ocpi_tariff(through_json(exported))
    assert again.tariff == parsed.tariff
    assert (again.valid_from, again.valid_until) == (parsed.valid_from, parsed.valid_until)
    assert (again.id, again.country_code, again.party_id) == ("T1", "DE", "AMP")
    assert again.last_updated == NOW


def test_the_exported_object_follows_ocpi() -> None:
    tariff = parse_ocpi_tariff(load("complex")).tariff
    exported = export(
        tariff, valid_from=datetime(2024, 1, 1, 1, tzinfo=timezone(timedelta(hours=1)))
    )
    assert list(exported) == [
        "country_code", "party_id", "id", "currency", "type", "tariff_alt_url", "elements",
        "start_date_time", "last_updated",
    ]  # fmt: skip
    assert exported["start_date_time"] == "2024-01-01T00:00:00Z"
    assert exported["last_updated"] == "2026-11-21T08:00:00Z"
    assert exported["elements"][2] == {
        "price_components": [
            {"type": "TIME", "price": D("2.00"), "vat": D("20.0"), "step_size": 600}
        ],
        "restrictions": {
            "min_current": D("32.00"),
            "day_of_week": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"],
        },
    }
    assert exported["elements"][4]["restrictions"]["start_time"] == "09:00"


def _native() -> Tariff:
    """What an operator writes in Ampyre: per-minute fees and 30 minutes' parking grace."""
    return Tariff(
        currency="EUR",
        elements=(
            TariffElement(
                components=(
                    PriceComponent(Dimension.FLAT, D("1.00"), D(19)),
                    PriceComponent(Dimension.ENERGY, D("0.3950"), D(19)),
                    PriceComponent(Dimension.TIME, D("0.05"), D(19), 60, TimeUnit.MINUTE),
                    PriceComponent(Dimension.PARKING_TIME, D("0.10"), D(19), 60, TimeUnit.MINUTE),
                ),
            ),
        ),
        type=TariffType.AD_HOC_PAYMENT,
        max_price=Price(D(50), D("59.50")),
        parking_grace_s=1800,
        texts={"en": "0.395 EUR/kWh", "de": "0,395 EUR/kWh"},
        info_url="https://example.org/prices",
    )


def test_per_minute_prices_and_the_grace_period_are_exported_the_ocpi_way() -> None:
    exported = export(_native())
    assert exported["tariff_alt_text"] == [
        {"language": "en", "text": "0.395 EUR/kWh"},
        {"language": "de", "text": "0,395 EUR/kWh"},
    ]
    assert exported["max_price"] == {"excl_vat": D(50), "incl_vat": D("59.50")}
    grace, element = exported["elements"]
    assert grace == {
        "price_components": [{"type": "PARKING_TIME", "price": D(0), "vat": D(19), "step_size": 1}],
        "restrictions": {"max_duration": 1800},
    }
    prices = {c["type"]: c["price"] for c in element["price_components"]}
    assert prices == {"FLAT": D(1), "ENERGY": D("0.395"), "TIME": D(3), "PARKING_TIME": D(6)}
    text = dumps_ocpi(exported)
    assert '"price": 0.3950' in text
    assert '"price": 3.00' in text


def _sessions() -> list[tuple[datetime, datetime, list[ChargingPeriod]]]:
    start = datetime(2024, 3, 30, 22, 40, tzinfo=UTC)
    short = [ChargingPeriod(start=start, energy_kwh=D("4.2"), charging_s=D(1000))]
    long = [
        ChargingPeriod(start=start, energy_kwh=D("31.337"), charging_s=D(5000)),
        ChargingPeriod(
            start=start + timedelta(seconds=5000),
            parking_s=D(3000),
            kwh_before=D("31.337"),
            elapsed_s=D(5000),
        ),
    ]
    in_grace = [
        ChargingPeriod(start=start, energy_kwh=D(2), charging_s=D(600)),
        ChargingPeriod(
            start=start + timedelta(seconds=600),
            parking_s=D(1200),
            kwh_before=D(2),
            elapsed_s=D(600),
        ),
        ChargingPeriod(
            start=start + timedelta(seconds=1800),
            parking_s=D(1200),
            kwh_before=D(2),
            elapsed_s=D(1800),
        ),
    ]
    return [
        (start, start + timedelta(seconds=1000), short),
        (start, start + timedelta(seconds=8000), long),
        (start, start + timedelta(seconds=3000), in_grace),
    ]


@pytest.mark.parametrize("session", [0, 1, 2])
@pytest.mark.parametrize("case", [*CASES, "native"])
def test_the_exported_tariff_prices_sessions_identically(case: str, session: int) -> None:
    tariff = _native() if case == "native" else parse_ocpi_tariff(load(case)).tariff
    again = parse_ocpi_tariff(through_json(export(tariff))).tariff
    start, end, periods = _sessions()[session]
    zone = ZoneInfo("Europe/Berlin")
    before = price_session(tariff, periods, session_start=start, session_end=end, tz=zone)
    after = price_session(again, periods, session_start=start, session_end=end, tz=zone)
    assert after.total == before.total
    assert after.rounded_totals() == before.rounded_totals()


def test_the_native_tariff_prices_the_grace_and_per_minute_fees() -> None:
    # 8000 s: 5000 s charging (83.33 min × 0.05, step 60 s not applied: parking follows),
    # then parking from 5000 s: the grace (1800 s) is over, 3000 s × 0.10/min.
    start, end, periods = _sessions()[1]
    priced = price_session(_native(), periods, session_start=start, session_end=end, tz=UTC)
    totals = priced.rounded_totals()
    assert totals["total_time_cost"].excl_vat == D("4.17")
    assert totals["total_parking_cost"].excl_vat == D("5.00")
    assert totals["total_energy_cost"].excl_vat == D("12.38")
    # Parking from 600 s: free until the grace ends at 1800 s, then 1200 s × 0.10/min.
    start, end, periods = _sessions()[2]
    priced = price_session(_native(), periods, session_start=start, session_end=end, tz=UTC)
    assert priced.rounded_totals()["total_parking_cost"].excl_vat == D("2.00")


def test_export_refuses_what_ocpi_cannot_carry() -> None:
    odd = Tariff(
        currency="EUR",
        elements=(
            TariffElement(
                components=(PriceComponent(Dimension.ENERGY, D("0.3")),),
                restrictions=Restrictions(start_time=time(8, 0, 30), end_time=time(9)),
            ),
        ),
    )
    with pytest.raises(ValidationFailed, match="has seconds"):
        export(odd)
    naive = datetime(2024, 1, 1)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValidationFailed, match="needs a time zone"):
        tariff_to_ocpi(_native(), id="T", country_code="DE", party_id="AMP", last_updated=naive)
    with pytest.raises(ValidationFailed, match="party_id must be 3 characters"):
        tariff_to_ocpi(_native(), id="T", country_code="DE", party_id="AM", last_updated=NOW)


def test_dates_and_day_order_are_written_as_ocpi_expects() -> None:
    tariff = Tariff(
        currency="EUR",
        elements=(
            TariffElement(
                components=(PriceComponent(Dimension.ENERGY, D("0.3")),),
                restrictions=Restrictions(
                    start_date=date(2024, 12, 24),
                    end_date=date(2024, 12, 27),
                    days_of_week=frozenset({DayOfWeek.SUNDAY, DayOfWeek.MONDAY}),
                    min_kwh=D("0.5"),
                    max_power=D(22),
                ),
            ),
        ),
    )
    assert export(tariff)["elements"][0]["restrictions"] == {
        "start_date": "2024-12-24",
        "end_date": "2024-12-27",
        "min_kwh": D("0.5"),
        "max_power": D(22),
        "day_of_week": ["MONDAY", "SUNDAY"],
    }


def test_dumps_ocpi_writes_decimals_exactly() -> None:
    obj = {
        "a": D("5.50"),
        "b": [D("1E+2"), D("-0.000001"), 3, True, None, 'é"'],
        "c": {},
        "d": [],
    }
    assert dumps_ocpi(obj) == (
        '{"a": 5.50, "b": [100, -0.000001, 3, true, null, "é\\""], "c": {}, "d": []}'
    )
    assert json.loads(dumps_ocpi(obj, indent=2), parse_float=Decimal) == obj
    assert dumps_ocpi({"x": [D(1)]}, indent=2) == '{\n  "x": [\n    1\n  ]\n}'


@pytest.mark.parametrize(
    ("value", "error"),
    [(0.1, TypeError), (D("NaN"), ValueError), ({1: D(1)}, TypeError), (object(), TypeError)],
)
def test_dumps_ocpi_refuses_what_is_not_exact_json(value: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        dumps_ocpi([value])
