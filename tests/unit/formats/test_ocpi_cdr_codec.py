"""OCPI 2.2.1 CDRs: charging periods -> ChargingPeriod, priced sessions -> totals and CDRs."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ampyre.domain.errors import ValidationFailed
from ampyre.domain.rating.periods import ChargingPeriod
from ampyre.domain.rating.pricing import PricedSession, price_session
from ampyre.domain.rating.tariff import ReservationRestriction, Tariff
from ampyre.domain.stations import ConnectorFormat, PowerType
from ampyre.formats.ocpi_cdr import (
    AuthMethod,
    CdrLocation,
    CdrMetadata,
    CdrToken,
    CdrUsage,
    TokenType,
    cdr_to_ocpi,
    cdr_totals_json,
    parse_cdr_usage,
    seconds_between,
    to_hours,
)
from ampyre.formats.ocpi_tariff import dumps_ocpi, parse_ocpi_tariff, tariff_to_ocpi

VECTORS = Path(__file__).parents[2] / "data" / "ocpi-tariffs"
D = Decimal
T0 = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)


def load(case: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / case / name).read_text(), parse_float=Decimal)
    return data


def _cdr() -> dict[str, Any]:
    return {
        "start_date_time": "2024-05-06T10:00:00Z",
        "end_date_time": "2024-05-06T12:00:00.5Z",
        "currency": "EUR",
        "charging_periods": [
            {
                "start_date_time": "2024-05-06T10:00:00Z",
                "dimensions": [
                    {"type": "ENERGY", "volume": D("12.5")},
                    {"type": "TIME", "volume": D("0.75")},
                    {"type": "MIN_POWER", "volume": D("7.2")},
                    {"type": "MAX_POWER", "volume": 11},
                    {"type": "MAX_CURRENT", "volume": 16},
                    {"type": "STATE_OF_CHARGE", "volume": 80},
                ],
                "tariff_id": "12",
            },
            {
                "start_date_time": "2024-05-06T10:45:00Z",
                "dimensions": [
                    {"type": "ENERGY", "volume": D("3.25")},
                    {"type": "TIME", "volume": D("0.25")},
                    {"type": "POWER", "volume": D("13.0")},
                    {"type": "MIN_POWER", "volume": D("12.5")},
                    {"type": "CURRENT", "volume": D("18.5")},
                ],
            },
            {
                "start_date_time": "2024-05-06T11:00:00Z",
                "dimensions": [{"type": "PARKING_TIME", "volume": D("1.000138")}],
            },
        ],
    }


def test_periods_map_dimensions_to_volumes_and_facts() -> None:
    usage = parse_cdr_usage(_cdr())
    assert usage.session_start == T0
    assert usage.session_end == T0 + timedelta(hours=2, microseconds=500_000)
    assert usage.currency == "EUR"
    assert usage.periods == (
        ChargingPeriod(
            start=T0,
            energy_kwh=D("12.5"),
            charging_s=D(2700),
            min_power_kw=D("7.2"),
            max_power_kw=D(11),
            min_current_a=None,
            max_current_a=D(16),
        ),
        ChargingPeriod(
            start=T0 + timedelta(minutes=45),
            energy_kwh=D("3.25"),
            charging_s=D(900),
            kwh_before=D("12.5"),
            elapsed_s=D(2700),
            min_power_kw=D("12.5"),
            max_power_kw=D(13),
            min_current_a=D("18.5"),
            max_current_a=D("18.5"),
        ),
        ChargingPeriod(
            start=T0 + timedelta(hours=1),
            parking_s=D("3600.4968"),
            kwh_before=D("15.75"),
            elapsed_s=D(3600),
        ),
    )


def test_reservation_time_is_a_reservation_period() -> None:
    data = _cdr()
    data["charging_periods"][0]["dimensions"] = [{"type": "RESERVATION_TIME", "volume": D("0.5")}]
    first = parse_cdr_usage(data).periods[0]
    assert first.reservation is ReservationRestriction.RESERVATION
    assert first.reservation_s == D(1800)
    assert first.charging_s == 0


def test_elapsed_time_counts_microseconds_exactly() -> None:
    data = _cdr()
    data["charging_periods"][1]["start_date_time"] = "2024-05-06T10:45:00.000001Z"
    assert parse_cdr_usage(data).periods[1].elapsed_s == D("2700.000001")


def _with(path: list[Any], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(_cdr())
    target: Any = data
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_with(["start_date_time"], KeyError), "start_date_time: is required"),
        (_with(["end_date_time"], "2024-05-06T09:00:00Z"), "end_date_time: must not be before"),
        (_with(["currency"], "Euro"), "currency: currency 'Euro' is not an ISO 4217 code"),
        (_with(["charging_periods"], []), "charging_periods: must hold at least 1 item(s)"),
        (
            _with(["charging_periods", 1, "dimensions", 0, "type"], "KWH"),
            "charging_periods[1].dimensions[0].type: 'KWH' is not one of CURRENT, ENERGY",
        ),
        (
            _with(["charging_periods", 1, "dimensions", 1, "type"], "ENERGY"),
            "charging_periods[1].dimensions[1].type: ENERGY appears twice in this period",
        ),
        (
            _with(["charging_periods", 0, "dimensions", 1, "volume"], D("-0.1")),
            "charging_periods[0].dimensions[1].volume: must be >= 0",
        ),
        (
            _with(["charging_periods", 0, "dimensions", 0, "volume"], 12.5),
            "charging_periods[0].dimensions[0].volume: 12.5 was read as a float",
        ),
        (
            _with(["charging_periods", 0, "dimensions", 2, "volume"], D(12)),
            "charging_periods[0].dimensions: the minimum power 12 is above the maximum 11",
        ),
        (
            _with(["charging_periods", 0, "start_date_time"], "2024-05-06T09:59:59Z"),
            "charging_periods[0].start_date_time: is before the session's start_date_time",
        ),
        (
            _with(["charging_periods", 2, "start_date_time"], "2024-05-06T10:30:00Z"),
            "charging_periods[2].start_date_time: is before the previous period's start",
        ),
        (
            _with(["charging_periods", 2, "start_date_time"], "2024-05-06T13:00:00Z"),
            "charging_periods[2].start_date_time: is after the session's end_date_time",
        ),
        (
            _with(["charging_periods", 2, "dimensions"], KeyError),
            "charging_periods[2].dimensions: is required",
        ),
    ],
)
def test_errors_name_the_json_path(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        parse_cdr_usage(data)
    assert raised.value.message.startswith(message)


@pytest.mark.parametrize(
    ("seconds", "hours"),
    [
        (D(4500), "1.25"),
        (D(720), "0.2"),
        (D("120.24"), "0.0334"),
        (D(0), "0"),
        (D(1), "0.000278"),
        (D(7200), "2"),
        (D("0.0018"), "0.0000005"),
        (D("0.0017"), "0.000000"),
    ],
)
def test_hours_are_exact_when_they_terminate_else_six_decimals(
    seconds: Decimal, hours: str
) -> None:
    assert format(to_hours(seconds), "f") == hours


def test_seconds_between_is_exact() -> None:
    later = T0 + timedelta(days=1, seconds=5, microseconds=7)
    assert seconds_between(T0, later) == D("86405.000007")


def _priced(case: str, cdr: str) -> tuple[PricedSession, CdrUsage]:
    tariff = parse_ocpi_tariff(load(case, "tariff.json")).tariff
    usage = parse_cdr_usage(load(case, cdr))
    priced = price_session(
        tariff,
        usage.periods,
        session_start=usage.session_start,
        session_end=usage.session_end,
        tz=UTC,
    )
    return priced, usage


def test_totals_have_exactly_the_ocpi_keys_and_exact_numbers() -> None:
    priced, usage = _priced("grace_period_parking_time", "cdr.json")
    totals = cdr_totals_json(priced, usage)
    assert totals == {
        "currency": "EUR",
        "total_cost": {"excl_vat": D("3.25"), "incl_vat": D("3.50")},
        "total_fixed_cost": {"excl_vat": D(0), "incl_vat": D(0)},
        "total_energy": D(10),
        "total_energy_cost": {"excl_vat": D("2.50"), "incl_vat": D("2.75")},
        "total_time": D("1.25"),
        "total_time_cost": {"excl_vat": D(0), "incl_vat": D(0)},
        "total_parking_time": D("0.75"),
        "total_parking_cost": {"excl_vat": D("0.75"), "incl_vat": D("0.75")},
    }
    assert '"incl_vat": 3.50' in dumps_ocpi(totals)


LOCATION = CdrLocation(
    id="LOC1",
    name="Gent Zuid",
    address="F.Rooseveltlaan 3A",
    city="Gent",
    postal_code="9000",
    country="BEL",
    latitude=D("51.047599"),
    longitude=D("3.729944"),
    evse_uid="3256",
    evse_id="BE*BEC*E041503003",
    connector_id="1",
    connector_standard="IEC_62196_T2",
    connector_format=ConnectorFormat.SOCKET,
    power_type=PowerType.AC_1_PHASE,
)


def _meta(**changes: Any) -> CdrMetadata:
    fields: dict[str, Any] = {
        "country_code": "BE",
        "party_id": "BEC",
        "cdr_id": "CDR-1",
        "start": T0,
        "end": T0 + timedelta(hours=2, microseconds=500_000),
        "token": CdrToken("012345678", TokenType.RFID, "DE8ACC12E46L89", "DE", "TNM"),
        "auth_method": AuthMethod.WHITELIST,
        "location": LOCATION,
        "currency": "EUR",
        "session_id": "S-1",
        "meter_id": "M-1",
        "tariff_id": "12",
    }
    fields.update(changes)
    return CdrMetadata(**fields)


def _tariff() -> Tariff:
    return parse_ocpi_tariff(
        {
            "currency": "EUR",
            "elements": [
                {
                    "price_components": [
                        {"type": "FLAT", "price": D("0.50"), "vat": 20, "step_size": 1},
                        {"type": "ENERGY", "price": D("0.25"), "vat": 10, "step_size": 1},
                        {"type": "TIME", "price": D(1), "vat": 10, "step_size": 60},
                        {"type": "PARKING_TIME", "price": D(2), "vat": 20, "step_size": 300},
                    ],
                    "restrictions": {"max_power": 12},
                },
                {
                    "price_components": [
                        {"type": "ENERGY", "price": D("0.35"), "vat": 10, "step_size": 1},
                        {"type": "TIME", "price": D(1), "vat": 10, "step_size": 60},
                        {"type": "PARKING_TIME", "price": D(2), "vat": 20, "step_size": 300},
                    ]
                },
            ],
        }
    ).tariff


def _price(usage: CdrUsage) -> PricedSession:
    return price_session(
        _tariff(),
        usage.periods,
        session_start=usage.session_start,
        session_end=usage.session_end,
        tz=UTC,
    )


def test_a_whole_cdr_is_written_and_reads_back_to_the_same_price() -> None:
    usage = parse_cdr_usage(_cdr())
    priced = _price(usage)
    tariffs = [
        tariff_to_ocpi(_tariff(), id="12", country_code="BE", party_id="BEC", last_updated=T0)
    ]
    cdr = cdr_to_ocpi(priced, _meta(), last_updated=T0 + timedelta(days=1), tariffs=tariffs)
    assert list(cdr) == [
        "country_code", "party_id", "id", "start_date_time", "end_date_time", "session_id",
        "cdr_token", "auth_method", "cdr_location", "meter_id", "currency", "tariffs",
        "charging_periods", "total_cost", "total_fixed_cost", "total_energy",
        "total_energy_cost", "total_time", "total_time_cost", "total_parking_time",
        "total_parking_cost", "last_updated",
    ]  # fmt: skip
    assert cdr["end_date_time"] == "2024-05-06T12:00:00.500000Z"
    assert cdr["cdr_token"] == {
        "country_code": "DE",
        "party_id": "TNM",
        "uid": "012345678",
        "type": "RFID",
        "contract_id": "DE8ACC12E46L89",
    }
    assert cdr["cdr_location"]["coordinates"] == {"latitude": "51.047599", "longitude": "3.729944"}
    assert cdr["cdr_location"]["connector_power_type"] == "AC_1_PHASE"
    assert cdr["charging_periods"][0] == {
        "start_date_time": "2024-05-06T10:00:00Z",
        "dimensions": [
            {"type": "ENERGY", "volume": D("12.5")},
            {"type": "TIME", "volume": D("0.75")},
            {"type": "MIN_POWER", "volume": D("7.2")},
            {"type": "MAX_POWER", "volume": D(11)},
            {"type": "MAX_CURRENT", "volume": D(16)},
        ],
        "tariff_id": "12",
    }
    assert cdr["charging_periods"][2]["dimensions"] == [
        {"type": "PARKING_TIME", "volume": D("1.000138")}
    ]
    # 12.5 kWh at 0.25 (power below 12 kW) + 3.25 kWh at 0.35; 1 h charging at 1.00;
    # parking 3600.4968 s rounded up to 3900 s at 2.00/h; FLAT 0.50.
    assert cdr["total_energy_cost"] == {"excl_vat": D("4.26"), "incl_vat": D("4.69")}
    assert cdr["total_time_cost"] == {"excl_vat": D("1.00"), "incl_vat": D("1.10")}
    assert cdr["total_parking_cost"] == {"excl_vat": D("2.17"), "incl_vat": D("2.60")}
    assert cdr["total_cost"] == {"excl_vat": D("7.93"), "incl_vat": D("8.99")}
    assert cdr["total_time"] == D("2.000139")
    assert cdr["total_parking_time"] == D("1.000138")

    read = json.loads(dumps_ocpi(cdr), parse_float=Decimal)
    again = parse_cdr_usage(read)
    assert again.periods == usage.periods
    assert cdr_totals_json(_price(again), again) == cdr_totals_json(priced, usage)
    assert parse_ocpi_tariff(read["tariffs"][0]).tariff == _tariff()


def test_a_credit_cdr_negates_only_the_total_cost() -> None:
    usage = parse_cdr_usage(_cdr())
    priced = _price(usage)
    credit = cdr_to_ocpi(
        priced,
        _meta(cdr_id="CDR-1-C", credit=True, credit_reference_id="CDR-1"),
        last_updated=T0,
    )
    assert credit["total_cost"] == {"excl_vat": D("-7.93"), "incl_vat": D("-8.99")}
    assert credit["total_energy_cost"] == {"excl_vat": D("4.26"), "incl_vat": D("4.69")}
    assert credit["credit"] is True
    assert credit["credit_reference_id"] == "CDR-1"
    assert "credit" not in cdr_to_ocpi(priced, _meta(), last_updated=T0)


def test_an_empty_session_still_has_a_dimension_and_free_totals_are_not_negative_zero() -> None:
    start = T0
    tariff = parse_ocpi_tariff(load("free_of_charge", "tariff.json")).tariff
    priced = price_session(tariff, [], session_start=start, session_end=start, tz=UTC)
    meta = _meta(end=start, credit=True, credit_reference_id="CDR-0", tariff_id=None)
    cdr = cdr_to_ocpi(priced, meta, last_updated=T0)
    assert cdr["charging_periods"] == [
        {"start_date_time": "2024-05-06T10:00:00Z", "dimensions": [{"type": "TIME", "volume": 0}]}
    ]
    assert dumps_ocpi(cdr["total_cost"]) == '{"excl_vat": 0.00, "incl_vat": 0.00}'


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"credit": True}, "a credit CDR, and only a credit CDR, has credit_reference_id"),
        ({"credit_reference_id": "X"}, "a credit CDR, and only a credit CDR"),
        ({"cdr_id": "C" * 37}, "CDR id"),
        ({"end": T0 - timedelta(seconds=1)}, "a CDR must not end before it starts"),
        ({"currency": "eur"}, "currency 'eur'"),
        ({"party_id": "BE"}, "country_code must be 2 characters and party_id 3"),
    ],
)
def test_metadata_is_checked(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        _meta(**changes)


def test_a_cdr_in_another_currency_than_the_price_is_refused() -> None:
    priced = _price(parse_cdr_usage(_cdr()))
    with pytest.raises(ValidationFailed, match="the CDR is in CHF"):
        cdr_to_ocpi(priced, _meta(currency="CHF"), last_updated=T0)


def test_location_values_are_checked() -> None:
    with pytest.raises(ValidationFailed, match="alpha-3"):
        CdrLocation(**{**_location_fields(), "country": "BE"})
    with pytest.raises(ValidationFailed, match="coordinates"):
        CdrLocation(**{**_location_fields(), "latitude": D(91)})


def _location_fields() -> dict[str, Any]:
    return {name: getattr(LOCATION, name) for name in LOCATION.__dataclass_fields__}
