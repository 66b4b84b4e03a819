"""OCPI 2.2.1 Tariff objects (Tariffs module §11.3.1) to and from :class:`Tariff`.

Input is the decoded JSON with numbers read exactly: ``json.loads(text, parse_float=Decimal)``
(integers may stay ``int``; a ``float`` is refused, it may already have lost digits). Every
error is a :class:`ValidationFailed` whose message starts with the JSON path of the bad
value, e.g. ``elements[1].price_components[0].type: 'FOO' is not one of ...``.

Export goes through :meth:`Tariff.priced_elements`, so what Ampyre models natively but OCPI
cannot say is written the OCPI way: a parking grace period becomes a free PARKING_TIME
element with ``max_duration``, a per-minute price becomes the per-hour price OCPI requires.
Amounts stay ``Decimal`` in the returned dict; :func:`dumps_ocpi` writes them as exact JSON
numbers. Also here, shared with :mod:`ampyre.formats.ocpi_cdr`: :class:`JsonNode` (reading
with paths) and the OCPI DateTime format.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Any, NoReturn, TypeVar

from ampyre.domain.errors import ValidationFailed
from ampyre.domain.money import Price, check_currency
from ampyre.domain.rating.tariff import (
    DayOfWeek,
    Dimension,
    PriceComponent,
    ReservationRestriction,
    Restrictions,
    Tariff,
    TariffElement,
    TariffType,
)

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")

# OCPI 2.2.1 §16.2: RFC 3339, UTC; no designator means UTC. Offsets are accepted and converted.
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?")
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_RESERVATION_DIMENSIONS = frozenset({Dimension.FLAT, Dimension.TIME})
_DECIMAL_RESTRICTIONS = (
    "min_kwh",
    "max_kwh",
    "min_current",
    "max_current",
    "min_power",
    "max_power",
)


@dataclass(frozen=True, slots=True)
class JsonNode:
    """A value inside a decoded JSON document and its path (``""`` is the document itself).

    JSON ``null`` counts as absent, as OCPI's optional fields may be sent either way.
    """

    value: Any
    path: str = ""

    def fail(self, problem: str) -> NoReturn:
        raise ValidationFailed(f"{self.path}: {problem}" if self.path else problem)

    def build(self, factory: Callable[[], T]) -> T:
        """Run a domain constructor; its refusal is reported at this node's path."""
        try:
            return factory()
        except ValidationFailed as exc:
            self.fail(exc.message)

    @property
    def absent(self) -> bool:
        return self.value is None

    def field(self, key: str) -> JsonNode:
        """The member ``key`` of this object (absent if missing)."""
        return JsonNode(self.object().get(key), f"{self.path}.{key}" if self.path else key)

    def required(self) -> JsonNode:
        if self.value is None:
            self.fail("is required")
        return self

    def optional(self, read: Callable[[JsonNode], T]) -> T | None:
        return None if self.value is None else read(self)

    def object(self) -> Mapping[str, Any]:
        if not isinstance(self.value, Mapping):
            self.fail(f"must be a JSON object, not {_kind(self.value)}")
        return self.value

    def items(self, *, at_least: int = 0) -> list[JsonNode]:
        if not isinstance(self.value, list):
            self.fail(f"must be a JSON array, not {_kind(self.value)}")
        if len(self.value) < at_least:
            self.fail(f"must hold at least {at_least} item(s)")
        return [JsonNode(v, f"{self.path}[{i}]") for i, v in enumerate(self.value)]

    def string(self) -> str:
        if not isinstance(self.value, str):
            self.fail(f"must be a string, not {_kind(self.value)}")
        return self.value

    def boolean(self) -> bool:
        if not isinstance(self.value, bool):
            self.fail(f"must be true or false, not {_kind(self.value)}")
        return self.value

    def decimal(self, *, minimum: Decimal | None = None) -> Decimal:
        value = self.value
        if isinstance(value, float):
            self.fail(
                f"{value!r} was read as a float and may have lost digits; "
                "parse the JSON with parse_float=Decimal"
            )
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            self.fail(f"must be a number, not {_kind(value)}")
        number = Decimal(str(value)) if isinstance(value, int) else value
        if not number.is_finite():
            self.fail(f"must be a finite number, not {number}")
        if minimum is not None and number < minimum:
            self.fail(f"must be >= {minimum}, not {number}")
        return number

    def integer(self, *, minimum: int | None = None) -> int:
        number = self.decimal()
        if number != number.to_integral_value():
            self.fail(f"must be a whole number, not {number}")
        if minimum is not None and number < minimum:
            self.fail(f"must be >= {minimum}, not {number}")
        return int(number)

    def enum(self, kind: type[E]) -> E:
        text = self.string()
        try:
            return kind(text)
        except ValueError:
            self.fail(f"{text!r} is not one of {', '.join(m.value for m in kind)}")

    def timestamp(self) -> datetime:
        """An OCPI DateTime (§16.2) as an aware UTC datetime."""
        text = self.string()
        if not _DATETIME.fullmatch(text):
            self.fail(f"{text!r} is not an OCPI DateTime like 2015-06-29T20:39:09Z")
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError as exc:
            self.fail(f"{text!r} is not a valid date and time ({exc})")
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)

    def time_of_day(self) -> time:
        text = self.string()
        if not _TIME.fullmatch(text):
            self.fail(f"{text!r} is not a time of day like 08:30 (HH:MM, 24 hours)")
        return time(int(text[:2]), int(text[3:]))

    def day(self) -> date:
        text = self.string()
        problem = f"{text!r} is not a date like 2015-12-24 (YYYY-MM-DD)"
        if not _DATE.fullmatch(text):
            self.fail(problem)
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.fail(problem)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float | Decimal):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def format_datetime(value: datetime, what: str = "datetime") -> str:
    """An aware datetime as an OCPI DateTime: UTC with ``Z``, microseconds only if any."""
    if value.tzinfo is None:
        raise ValidationFailed(f"{what} needs a time zone")
    utc = value.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds" if utc.microsecond else "seconds") + "Z"


def dumps_ocpi(obj: Any, *, indent: int | None = None) -> str:
    """JSON text in which every ``Decimal`` is an exact JSON number (5.50 stays ``5.50``).

    Handles dicts (string keys), lists, tuples, strings, ints, bools, None and Decimals.
    Floats are refused (TypeError): an amount that is a float is a bug upstream. Infinite
    or NaN Decimals are refused (ValueError): JSON has no such number.
    """
    out: list[str] = []
    _write(obj, out, indent, 0)
    return "".join(out)


def _write(obj: Any, out: list[str], indent: int | None, level: int) -> None:
    if obj is None or isinstance(obj, bool | str):
        out.append(json.dumps(obj, ensure_ascii=False))
    elif isinstance(obj, int):
        out.append(str(obj))
    elif isinstance(obj, Decimal):
        if not obj.is_finite():
            raise ValueError(f"{obj} cannot be written as a JSON number")
        out.append(format(obj, "f"))
    elif isinstance(obj, Mapping):
        entries = list(obj.items())
        for key, _ in entries:
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be strings, not {key!r}")
        _container(entries, "{}", out, indent, level)
    elif isinstance(obj, list | tuple):
        _container(list(obj), "[]", out, indent, level)
    else:
        raise TypeError(f"{type(obj).__name__} is not written as JSON (floats never are)")


def _container(
    entries: Sequence[Any], brackets: str, out: list[str], indent: int | None, level: int
) -> None:
    out.append(brackets[0])
    if not entries:
        out.append(brackets[1])
        return
    inner = "" if indent is None else "\n" + " " * (indent * (level + 1))
    for i, entry in enumerate(entries):
        if i:
            out.append("," if indent is not None else ", ")
        out.append(inner)
        if brackets == "{}":
            key, value = entry
            out.append(json.dumps(key, ensure_ascii=False) + ": ")
            _write(value, out, indent, level + 1)
        else:
            _write(entry, out, indent, level + 1)
    if indent is not None:
        out.append("\n" + " " * (indent * level))
    out.append(brackets[1])


@dataclass(frozen=True, slots=True)
class OcpiTariff:
    """A parsed OCPI Tariff: the domain tariff plus the OCPI envelope.

    ``country_code``/``party_id``/``id`` are None when the input left them out (the public
    test vectors do). ``valid_from``/``valid_until`` are OCPI ``start_date_time`` (inclusive)
    and ``end_date_time`` (exclusive), aware UTC.
    """

    tariff: Tariff
    country_code: str | None = None
    party_id: str | None = None
    id: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    last_updated: datetime | None = None

    def in_force_at(self, instant: datetime) -> bool:
        return (self.valid_from is None or self.valid_from <= instant) and (
            self.valid_until is None or instant < self.valid_until
        )


def parse_ocpi_tariff(data: Mapping[str, Any]) -> OcpiTariff:
    """Read an OCPI 2.2.1 Tariff object; unknown members (e.g. ``energy_mix``) are ignored."""
    root = JsonNode(data)
    root.object()
    currency_node = root.field("currency").required()
    currency_text = currency_node.string()
    currency = currency_node.build(lambda: check_currency(currency_text))
    elements = tuple(_element(n) for n in root.field("elements").required().items(at_least=1))
    valid_from = root.field("start_date_time").optional(JsonNode.timestamp)
    until_node = root.field("end_date_time")
    valid_until = until_node.optional(JsonNode.timestamp)
    if valid_from and valid_until and valid_until <= valid_from:
        until_node.fail("must be after start_date_time")
    texts = _texts(root.field("tariff_alt_text"))
    kind = root.field("type").optional(lambda n: n.enum(TariffType))
    min_price = root.field("min_price").optional(_price)
    max_price = root.field("max_price").optional(_price)
    info_url = root.field("tariff_alt_url").optional(JsonNode.string)
    tariff = root.build(
        lambda: Tariff(
            currency=currency,
            elements=elements,
            type=kind,
            min_price=min_price,
            max_price=max_price,
            texts=texts,
            info_url=info_url,
        )
    )
    return OcpiTariff(
        tariff=tariff,
        country_code=root.field("country_code").optional(JsonNode.string),
        party_id=root.field("party_id").optional(JsonNode.string),
        id=root.field("id").optional(JsonNode.string),
        valid_from=valid_from,
        valid_until=valid_until,
        last_updated=root.field("last_updated").optional(JsonNode.timestamp),
    )


def _texts(node: JsonNode) -> dict[str, str]:
    texts: dict[str, str] = {}
    if node.absent:
        return texts
    for item in node.items():
        language_node = item.field("language").required()
        language = language_node.string()
        if language in texts:
            language_node.fail(f"{language!r} appears twice")
        texts[language] = item.field("text").required().string()
    return texts


def _price(node: JsonNode) -> Price:
    excl = node.field("excl_vat").required().decimal(minimum=Decimal(0))
    incl = node.field("incl_vat").optional(lambda n: n.decimal(minimum=Decimal(0)))
    return Price(excl, excl if incl is None else incl)


def _element(node: JsonNode) -> TariffElement:
    restrictions_node = node.field("restrictions")
    restrictions = restrictions_node.optional(_restrictions) or Restrictions()
    components: list[PriceComponent] = []
    seen: set[Dimension] = set()
    for item in node.field("price_components").required().items(at_least=1):
        type_node = item.field("type").required()
        dimension = type_node.enum(Dimension)
        if dimension in seen:
            type_node.fail(f"a second {dimension} component in the same element")
        if restrictions.reservation and dimension not in _RESERVATION_DIMENSIONS:
            type_node.fail(
                f"{dimension} is not allowed with a reservation restriction "
                f"(only FLAT and TIME are)"
            )
        seen.add(dimension)
        components.append(_component(item, dimension))
    return TariffElement(components=tuple(components), restrictions=restrictions)


def _component(node: JsonNode, dimension: Dimension) -> PriceComponent:
    price = node.field("price").required().decimal(minimum=Decimal(0))
    vat = node.field("vat").optional(JsonNode.decimal)
    step = node.field("step_size").required().integer(minimum=0)
    return node.build(lambda: PriceComponent(dimension, price, vat, step))


def _restrictions(node: JsonNode) -> Restrictions:
    node.object()
    decimals = {
        name: node.field(name).optional(lambda n: n.decimal(minimum=Decimal(0)))
        for name in _DECIMAL_RESTRICTIONS
    }
    days = node.field("day_of_week")
    start_time = node.field("start_time").optional(JsonNode.time_of_day)
    end_time = node.field("end_time").optional(JsonNode.time_of_day)
    start_date = node.field("start_date").optional(JsonNode.day)
    end_date = node.field("end_date").optional(JsonNode.day)
    min_duration = node.field("min_duration").optional(lambda n: n.integer(minimum=0))
    max_duration = node.field("max_duration").optional(lambda n: n.integer(minimum=0))
    days_of_week = frozenset(() if days.absent else (d.enum(DayOfWeek) for d in days.items()))
    reservation = node.field("reservation").optional(lambda n: n.enum(ReservationRestriction))
    return node.build(
        lambda: Restrictions(
            start_time=start_time,
            end_time=end_time,
            start_date=start_date,
            end_date=end_date,
            min_duration_s=min_duration,
            max_duration_s=max_duration,
            days_of_week=days_of_week,
            reservation=reservation,
            **decimals,
        )
    )


def tariff_to_ocpi(
    tariff: Tariff,
    *,
    id: str,
    country_code: str,
    party_id: str,
    last_updated: datetime,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
) -> dict[str, Any]:
    """The OCPI 2.2.1 Tariff object of a tariff (members in the spec's order).

    ``country_code`` (ISO 3166 alpha-2) and ``party_id`` (3 characters) are the CPO's;
    ``id`` is at most 36 characters. Refuses (ValidationFailed) what OCPI cannot carry: a
    restriction time with seconds, a naive datetime.
    """
    for label, value, size in (("country_code", country_code, 2), ("party_id", party_id, 3)):
        if len(value) != size:
            raise ValidationFailed(f"{label} must be {size} characters, not {value!r}")
    if not 0 < len(id) <= 36:
        raise ValidationFailed(f"tariff id must be 1 to 36 characters, not {id!r}")
    out: dict[str, Any] = {
        "country_code": country_code,
        "party_id": party_id,
        "id": id,
        "currency": tariff.currency,
    }
    if tariff.type is not None:
        out["type"] = tariff.type.value
    if tariff.texts:
        out["tariff_alt_text"] = [{"language": k, "text": v} for k, v in tariff.texts.items()]
    if tariff.info_url:
        out["tariff_alt_url"] = tariff.info_url
    for label, bound in (("min_price", tariff.min_price), ("max_price", tariff.max_price)):
        if bound is not None:
            out[label] = price_to_ocpi(bound)
    out["elements"] = [_element_out(e) for e in tariff.priced_elements()]
    if valid_from is not None:
        out["start_date_time"] = format_datetime(valid_from, "start_date_time")
    if valid_until is not None:
        out["end_date_time"] = format_datetime(valid_until, "end_date_time")
    out["last_updated"] = format_datetime(last_updated, "last_updated")
    return out


def price_to_ocpi(price: Price) -> dict[str, Decimal]:
    return {"excl_vat": price.excl_vat, "incl_vat": price.incl_vat}


def _element_out(element: TariffElement) -> dict[str, Any]:
    out: dict[str, Any] = {"price_components": [_component_out(c) for c in element.components]}
    if not element.restrictions.is_empty:
        out["restrictions"] = _restrictions_out(element.restrictions)
    return out


def _component_out(component: PriceComponent) -> dict[str, Any]:
    timed = component.dimension in (Dimension.TIME, Dimension.PARKING_TIME)
    out: dict[str, Any] = {
        "type": component.dimension.value,
        "price": component.price_per_hour if timed else component.price,
    }
    if component.vat_percent is not None:
        out["vat"] = component.vat_percent
    out["step_size"] = component.step_size
    return out


def _restrictions_out(r: Restrictions) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for label, moment in (("start_time", r.start_time), ("end_time", r.end_time)):
        if moment is not None:
            if moment.second or moment.microsecond:
                raise ValidationFailed(
                    f"restriction {label} {moment} has seconds, which OCPI cannot carry (HH:MM)"
                )
            out[label] = moment.strftime("%H:%M")
    for label, day in (("start_date", r.start_date), ("end_date", r.end_date)):
        if day is not None:
            out[label] = day.isoformat()
    for name in _DECIMAL_RESTRICTIONS:
        value = getattr(r, name)
        if value is not None:
            out[name] = value
    if r.min_duration_s is not None:
        out["min_duration"] = r.min_duration_s
    if r.max_duration_s is not None:
        out["max_duration"] = r.max_duration_s
    if r.days_of_week:
        out["day_of_week"] = [d.value for d in DayOfWeek if d in r.days_of_week]
    if r.reservation is not None:
        out["reservation"] = r.reservation.value
    return out
