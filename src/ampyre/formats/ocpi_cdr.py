"""OCPI 2.2.1 CDRs (CDRs module §10.3): charging periods in, priced CDRs and totals out.

- :func:`parse_cdr_usage` reads a CDR's ``charging_periods`` as the rating engine's
  :class:`ChargingPeriod` s, so a CDR from elsewhere can be (re)priced with a tariff.
- :func:`cdr_totals_json` gives the OCPI totals of a priced session.
- :func:`cdr_to_ocpi` writes a whole CDR for a session Ampyre priced.

Durations are OCPI hours. An hour value is written exactly when seconds ÷ 3600 terminates
(e.g. 1.25), otherwise rounded half-up to 6 decimals (3.6 ms; OCPI §16.4 asks for at least
4). Amounts are the engine's totals, each rounded once (:meth:`PricedSession.rounded_totals`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Context, Decimal, Inexact
from enum import StrEnum
from typing import Any

from ampyre.domain.durations import exact_seconds
from ampyre.domain.errors import ValidationFailed
from ampyre.domain.money import ZERO, Price, check_currency
from ampyre.domain.rating.periods import ChargingPeriod
from ampyre.domain.rating.pricing import PricedSession
from ampyre.domain.rating.tariff import ReservationRestriction
from ampyre.domain.stations import ConnectorFormat, PowerType
from ampyre.formats.ocpi_tariff import JsonNode, format_datetime, price_to_ocpi

_SECONDS_PER_HOUR = Decimal(3600)
_SIX_DECIMALS = Decimal("0.000001")
_EXACT = Context(prec=60)


class CdrDimensionType(StrEnum):
    """OCPI 2.2.1 CdrDimensionType (§10.4.3)."""

    CURRENT = "CURRENT"
    ENERGY = "ENERGY"
    ENERGY_EXPORT = "ENERGY_EXPORT"
    ENERGY_IMPORT = "ENERGY_IMPORT"
    MAX_CURRENT = "MAX_CURRENT"
    MAX_POWER = "MAX_POWER"
    MIN_CURRENT = "MIN_CURRENT"
    MIN_POWER = "MIN_POWER"
    PARKING_TIME = "PARKING_TIME"
    POWER = "POWER"
    RESERVATION_TIME = "RESERVATION_TIME"
    STATE_OF_CHARGE = "STATE_OF_CHARGE"
    TIME = "TIME"


_VOLUMES = frozenset(
    {
        CdrDimensionType.ENERGY,
        CdrDimensionType.TIME,
        CdrDimensionType.PARKING_TIME,
        CdrDimensionType.RESERVATION_TIME,
    }
)


class AuthMethod(StrEnum):
    """OCPI 2.2.1 AuthMethod (§10.4.1)."""

    AUTH_REQUEST = "AUTH_REQUEST"
    COMMAND = "COMMAND"
    WHITELIST = "WHITELIST"


class TokenType(StrEnum):
    """OCPI 2.2.1 TokenType (§12.4.4)."""

    AD_HOC_USER = "AD_HOC_USER"
    APP_USER = "APP_USER"
    OTHER = "OTHER"
    RFID = "RFID"


def to_hours(seconds: Decimal) -> Decimal:
    """Seconds as OCPI hours: exact if the quotient terminates, else half-up to 6 decimals."""
    context = _EXACT.copy()
    hours = context.divide(seconds, _SECONDS_PER_HOUR)
    if context.flags[Inexact]:
        return hours.quantize(_SIX_DECIMALS, rounding=ROUND_HALF_UP)
    return hours.normalize(context)


def seconds_between(start: datetime, end: datetime) -> Decimal:
    """Exact elapsed seconds (to the microsecond) from ``start`` to ``end``."""
    return exact_seconds(end - start)


@dataclass(frozen=True, slots=True)
class CdrUsage:
    """What a CDR says was used: the session's bounds and its charging periods.

    ``periods`` are in time order; each carries the facts restrictions are judged by
    (``kwh_before``: ENERGY of the earlier periods; ``elapsed_s``: since the session start).
    """

    session_start: datetime
    session_end: datetime
    currency: str
    periods: tuple[ChargingPeriod, ...]


def parse_cdr_usage(data: Mapping[str, Any]) -> CdrUsage:
    """Read an OCPI 2.2.1 CDR's bounds, currency and charging periods.

    Dimension volumes: ENERGY kWh; TIME, PARKING_TIME, RESERVATION_TIME hours (a
    RESERVATION_TIME period is a reservation period); MIN_/MAX_POWER kW and MIN_/MAX_CURRENT
    A, with POWER/CURRENT (averages) standing in for a missing minimum or maximum.
    STATE_OF_CHARGE, ENERGY_EXPORT and ENERGY_IMPORT are checked but do not affect the price.
    Each period must start within the session and not before the previous one; that one
    period's volumes overlap the next is not checked (public CDRs do that).

    A CDR whose periods are all reservation time (no charging, parking or energy at all) is
    a reservation that expired unused: its periods are priced as RESERVATION_EXPIRES.
    """
    root = JsonNode(data)
    root.object()
    start = root.field("start_date_time").required().timestamp()
    end_node = root.field("end_date_time").required()
    end = end_node.timestamp()
    if end < start:
        end_node.fail("must not be before start_date_time")
    currency_node = root.field("currency").required()
    currency_text = currency_node.string()
    currency = currency_node.build(lambda: check_currency(currency_text))
    periods: list[ChargingPeriod] = []
    kwh_before = ZERO
    for node in root.field("charging_periods").required().items(at_least=1):
        period = _period(node, start, end, periods[-1].start if periods else start, kwh_before)
        kwh_before += period.energy_kwh
        periods.append(period)
    if (
        all(p.reservation is not None and not p.duration_s - p.reservation_s for p in periods)
        and not kwh_before
    ):
        periods = [
            replace(p, reservation=ReservationRestriction.RESERVATION_EXPIRES) for p in periods
        ]
    return CdrUsage(session_start=start, session_end=end, currency=currency, periods=tuple(periods))


def _period(
    node: JsonNode,
    session_start: datetime,
    session_end: datetime,
    previous: datetime,
    kwh_before: Decimal,
) -> ChargingPeriod:
    start_node = node.field("start_date_time").required()
    start = start_node.timestamp()
    if start < session_start:
        start_node.fail("is before the session's start_date_time")
    if start > session_end:
        start_node.fail("is after the session's end_date_time")
    if start < previous:
        start_node.fail("is before the previous period's start (periods must be in time order)")
    volumes: dict[CdrDimensionType, Decimal] = {}
    dimensions = node.field("dimensions").required()
    for item in dimensions.items(at_least=1):
        type_node = item.field("type").required()
        kind = type_node.enum(CdrDimensionType)
        if kind in volumes:
            type_node.fail(f"{kind} appears twice in this period")
        minimum = ZERO if kind in _VOLUMES else None
        volumes[kind] = item.field("volume").required().decimal(minimum=minimum)
    power = _range(dimensions, volumes, "POWER")
    current = _range(dimensions, volumes, "CURRENT")
    reserved = CdrDimensionType.RESERVATION_TIME in volumes
    return ChargingPeriod(
        start=start,
        energy_kwh=volumes.get(CdrDimensionType.ENERGY, ZERO),
        charging_s=volumes.get(CdrDimensionType.TIME, ZERO) * _SECONDS_PER_HOUR,
        parking_s=volumes.get(CdrDimensionType.PARKING_TIME, ZERO) * _SECONDS_PER_HOUR,
        reservation_s=volumes.get(CdrDimensionType.RESERVATION_TIME, ZERO) * _SECONDS_PER_HOUR,
        kwh_before=kwh_before,
        elapsed_s=seconds_between(session_start, start),
        min_power_kw=power[0],
        max_power_kw=power[1],
        min_current_a=current[0],
        max_current_a=current[1],
        reservation=ReservationRestriction.RESERVATION if reserved else None,
    )


def _range(
    node: JsonNode, volumes: dict[CdrDimensionType, Decimal], name: str
) -> tuple[Decimal | None, Decimal | None]:
    """(minimum, maximum) of POWER or CURRENT; the average fills a side not given."""
    average = volumes.get(CdrDimensionType(name))
    low = volumes.get(CdrDimensionType(f"MIN_{name}"), average)
    high = volumes.get(CdrDimensionType(f"MAX_{name}"), average)
    if low is not None and high is not None and low > high:
        node.fail(f"the minimum {name.lower()} {low} is above the maximum {high}")
    return low, high


def cdr_totals_json(priced: PricedSession, usage: CdrUsage) -> dict[str, Any]:
    """The OCPI CDR totals of a priced session, plus ``currency``.

    Costs are ``{"excl_vat", "incl_vat"}`` rounded to the currency's minor unit (the dimension
    costs before min/max_price, ``total_cost`` after). ``total_energy`` is the measured kWh,
    ``total_time`` the session's hours from start to end, ``total_parking_time`` the parking
    hours (before step_size).
    """
    return {"currency": priced.currency, **_totals(priced, usage.session_start, usage.session_end)}


def _totals(priced: PricedSession, start: datetime, end: datetime) -> dict[str, Any]:
    costs = {key: price_to_ocpi(value) for key, value in priced.rounded_totals().items()}
    return {
        "total_cost": costs["total_cost"],
        "total_fixed_cost": costs["total_fixed_cost"],
        "total_energy": priced.energy_kwh.normalize(),
        "total_energy_cost": costs["total_energy_cost"],
        "total_time": to_hours(seconds_between(start, end)),
        "total_time_cost": costs["total_time_cost"],
        "total_parking_time": to_hours(priced.parking_s),
        "total_parking_cost": costs["total_parking_cost"],
        **(
            {"total_reservation_cost": costs["total_reservation_cost"]}
            if any(line.reservation for line in priced.lines)
            else {}
        ),
    }


@dataclass(frozen=True, slots=True)
class CdrToken:
    """The token that started the session (OCPI CdrToken). ``country_code``/``party_id`` are
    the eMSP's that issued it; None means Ampyre issued it (the CDR's own are used)."""

    uid: str
    type: TokenType
    contract_id: str
    country_code: str | None = None
    party_id: str | None = None


@dataclass(frozen=True, slots=True)
class CdrLocation:
    """Where the session took place, as it was at the session start (OCPI CdrLocation).

    ``country`` is ISO 3166-1 alpha-3; ``connector_standard`` an OCPI ConnectorType such
    as ``IEC_62196_T2``; coordinates are WGS 84 degrees (written with 6 decimals).
    """

    id: str
    address: str
    city: str
    country: str
    latitude: Decimal
    longitude: Decimal
    evse_uid: str
    evse_id: str
    connector_id: str
    connector_standard: str
    connector_format: ConnectorFormat
    power_type: PowerType
    name: str | None = None
    postal_code: str | None = None

    def __post_init__(self) -> None:
        if len(self.country) != 3 or not self.country.isalpha() or not self.country.isupper():
            raise ValidationFailed(f"location country {self.country!r} is not ISO 3166 alpha-3")
        if not -90 <= self.latitude <= 90 or not -180 <= self.longitude <= 180:
            raise ValidationFailed("location coordinates are out of range")


@dataclass(frozen=True, slots=True)
class CdrMetadata:
    """Everything a CDR says besides what the rating engine computed.

    ``country_code``/``party_id`` are the CPO's (Ampyre's operator); ``cdr_id`` is at most 36
    characters, 39 for a credit CDR (which must name the CDR it credits in
    ``credit_reference_id``). ``tariff_id`` is written on every charging period.
    """

    country_code: str
    party_id: str
    cdr_id: str
    start: datetime
    end: datetime
    token: CdrToken
    auth_method: AuthMethod
    location: CdrLocation
    currency: str
    session_id: str | None = None
    authorization_reference: str | None = None
    meter_id: str | None = None
    tariff_id: str | None = None
    credit: bool = False
    credit_reference_id: str | None = None
    remark: str | None = None

    def __post_init__(self) -> None:
        check_currency(self.currency)
        if len(self.country_code) != 2 or len(self.party_id) != 3:
            raise ValidationFailed("country_code must be 2 characters and party_id 3")
        if not 0 < len(self.cdr_id) <= (39 if self.credit else 36):
            raise ValidationFailed(f"CDR id {self.cdr_id!r} is too long or empty")
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValidationFailed("CDR start and end need a time zone")
        if self.end < self.start:
            raise ValidationFailed("a CDR must not end before it starts")
        if self.credit != (self.credit_reference_id is not None):
            raise ValidationFailed("a credit CDR, and only a credit CDR, has credit_reference_id")


def cdr_to_ocpi(
    priced: PricedSession,
    meta: CdrMetadata,
    *,
    last_updated: datetime,
    tariffs: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The OCPI 2.2.1 CDR object of a priced session (members in the spec's order).

    ``tariffs`` are the OCPI Tariff objects as they were at the session start (e.g. from
    :func:`~ampyre.formats.ocpi_tariff.tariff_to_ocpi`). A credit CDR carries the same data
    with only ``total_cost`` negated (OCPI §10.1.1). Charging periods list ENERGY, TIME,
    PARKING_TIME and RESERVATION_TIME when non-zero, and MIN/MAX_POWER and MIN/MAX_CURRENT
    when measured.
    """
    if meta.currency != priced.currency:
        raise ValidationFailed(
            f"the CDR is in {meta.currency} but the session was priced in {priced.currency}"
        )
    out: dict[str, Any] = {
        "country_code": meta.country_code,
        "party_id": meta.party_id,
        "id": meta.cdr_id,
        "start_date_time": format_datetime(meta.start),
        "end_date_time": format_datetime(meta.end),
    }
    if meta.session_id is not None:
        out["session_id"] = meta.session_id
    out["cdr_token"] = {
        "country_code": meta.token.country_code or meta.country_code,
        "party_id": meta.token.party_id or meta.party_id,
        "uid": meta.token.uid,
        "type": meta.token.type.value,
        "contract_id": meta.token.contract_id,
    }
    out["auth_method"] = meta.auth_method.value
    if meta.authorization_reference is not None:
        out["authorization_reference"] = meta.authorization_reference
    out["cdr_location"] = _location(meta.location)
    if meta.meter_id is not None:
        out["meter_id"] = meta.meter_id
    out["currency"] = meta.currency
    out["tariffs"] = [dict(t) for t in tariffs]
    out["charging_periods"] = [_period_out(p, meta.tariff_id) for p in priced.periods]
    totals = _totals(priced, meta.start, meta.end)
    if meta.credit:
        cost: Price = priced.rounded_totals()["total_cost"]
        totals["total_cost"] = price_to_ocpi(Price(ZERO - cost.excl_vat, ZERO - cost.incl_vat))
    out.update(totals)
    if meta.remark is not None:
        out["remark"] = meta.remark
    if meta.credit:
        out["credit"] = True
        out["credit_reference_id"] = meta.credit_reference_id
    out["last_updated"] = format_datetime(last_updated, "last_updated")
    return out


def _location(location: CdrLocation) -> dict[str, Any]:
    out: dict[str, Any] = {"id": location.id}
    if location.name is not None:
        out["name"] = location.name
    out["address"] = location.address
    out["city"] = location.city
    if location.postal_code is not None:
        out["postal_code"] = location.postal_code
    out["country"] = location.country
    out["coordinates"] = {
        "latitude": _degrees(location.latitude),
        "longitude": _degrees(location.longitude),
    }
    out.update(
        evse_uid=location.evse_uid,
        evse_id=location.evse_id,
        connector_id=location.connector_id,
        connector_standard=location.connector_standard,
        connector_format=location.connector_format.value,
        connector_power_type=location.power_type.value,
    )
    return out


def _degrees(value: Decimal) -> str:
    return format(value.quantize(_SIX_DECIMALS, rounding=ROUND_HALF_UP), "f")


def _period_out(period: ChargingPeriod, tariff_id: str | None) -> dict[str, Any]:
    dimensions: list[dict[str, Any]] = []

    def add(kind: CdrDimensionType, volume: Decimal | None) -> None:
        if volume is not None:
            dimensions.append({"type": kind.value, "volume": volume})

    add(CdrDimensionType.ENERGY, period.energy_kwh.normalize() if period.energy_kwh else None)
    add(CdrDimensionType.TIME, to_hours(period.charging_s) if period.charging_s else None)
    add(CdrDimensionType.PARKING_TIME, to_hours(period.parking_s) if period.parking_s else None)
    add(
        CdrDimensionType.RESERVATION_TIME,
        to_hours(period.reservation_s) if period.reservation_s else None,
    )
    add(CdrDimensionType.MIN_POWER, period.min_power_kw)
    add(CdrDimensionType.MAX_POWER, period.max_power_kw)
    add(CdrDimensionType.MIN_CURRENT, period.min_current_a)
    add(CdrDimensionType.MAX_CURRENT, period.max_current_a)
    if not dimensions:
        # OCPI needs at least one dimension: an empty period (a session with no usage).
        add(CdrDimensionType.TIME, ZERO)
    out: dict[str, Any] = {
        "start_date_time": format_datetime(period.start),
        "dimensions": dimensions,
    }
    if tariff_id is not None:
        out["tariff_id"] = tariff_id
    return out
