"""Ampyre's own tariff document: the JSON form of :class:`~ampyre.domain.rating.tariff.Tariff`.

Used by the REST API, the CLI and for storage. Unlike OCPI it keeps what the operator wrote:
per-minute prices and the parking grace period. Amounts are written as strings ("0.35") so
no float ever touches them; numbers are accepted on input and read exactly.

Errors name the path of the bad field, e.g. ``elements[0].components[1].price``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, time
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, TypeVar

from ampyre.domain.errors import ValidationFailed
from ampyre.domain.money import Price
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

E = TypeVar("E", bound=StrEnum)

_DECIMAL_RESTRICTIONS = (
    "min_kwh",
    "max_kwh",
    "min_current",
    "max_current",
    "min_power",
    "max_power",
)
_INT_RESTRICTIONS = ("min_duration_s", "max_duration_s")


def tariff_to_document(tariff: Tariff) -> dict[str, Any]:
    """The JSON-ready document of a tariff (amounts as strings)."""
    return {
        "currency": tariff.currency,
        "type": tariff.type.value if tariff.type else None,
        "min_price": _price_out(tariff.min_price),
        "max_price": _price_out(tariff.max_price),
        "parking_grace_s": tariff.parking_grace_s,
        "texts": dict(tariff.texts),
        "info_url": tariff.info_url,
        "elements": [
            {
                "components": [
                    {
                        "dimension": c.dimension.value,
                        "price": str(c.price),
                        "vat_percent": None if c.vat_percent is None else str(c.vat_percent),
                        "step_size": c.step_size,
                        "time_unit": c.time_unit.value,
                    }
                    for c in element.components
                ],
                "restrictions": _restrictions_out(element.restrictions),
            }
            for element in tariff.elements
        ],
    }


def tariff_from_document(document: Any) -> Tariff:
    """Read a tariff document; raises ``ValidationFailed`` naming the bad field."""
    doc = _mapping(document, "tariff")
    elements_in = doc.get("elements")
    if not isinstance(elements_in, list):
        raise ValidationFailed("elements: must be a list of tariff elements")
    elements = tuple(_element(item, f"elements[{i}]") for i, item in enumerate(elements_in))
    texts = doc.get("texts") or {}
    if not isinstance(texts, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in texts.items()
    ):
        raise ValidationFailed("texts: must map a language code to a text")
    info_url = doc.get("info_url")
    if info_url is not None and not isinstance(info_url, str):
        raise ValidationFailed("info_url: must be a string")
    try:
        return Tariff(
            currency=_string(doc.get("currency"), "currency"),
            elements=elements,
            type=_enum(TariffType, doc.get("type"), "type"),
            min_price=_price_in(doc.get("min_price"), "min_price"),
            max_price=_price_in(doc.get("max_price"), "max_price"),
            parking_grace_s=_int(doc.get("parking_grace_s", 0) or 0, "parking_grace_s"),
            texts=dict(texts),
            info_url=info_url,
        )
    except ValidationFailed as exc:
        raise ValidationFailed(f"tariff: {exc}") from exc


def _element(item: Any, path: str) -> TariffElement:
    element = _mapping(item, path)
    components_in = element.get("components")
    if not isinstance(components_in, list):
        raise ValidationFailed(f"{path}.components: must be a list")
    components = tuple(
        _component(c, f"{path}.components[{i}]") for i, c in enumerate(components_in)
    )
    restrictions = _restrictions_in(element.get("restrictions"), f"{path}.restrictions")
    try:
        return TariffElement(components, restrictions)
    except ValidationFailed as exc:
        raise ValidationFailed(f"{path}: {exc}") from exc


def _component(item: Any, path: str) -> PriceComponent:
    c = _mapping(item, path)
    dimension = _enum(Dimension, c.get("dimension"), f"{path}.dimension")
    if dimension is None:
        raise ValidationFailed(f"{path}.dimension: is required")
    vat = c.get("vat_percent")
    try:
        return PriceComponent(
            dimension=dimension,
            price=_decimal(c.get("price"), f"{path}.price"),
            vat_percent=None if vat is None else _decimal(vat, f"{path}.vat_percent"),
            step_size=_int(c.get("step_size", 1), f"{path}.step_size"),
            time_unit=_enum(TimeUnit, c.get("time_unit"), f"{path}.time_unit") or TimeUnit.HOUR,
        )
    except ValidationFailed as exc:
        if str(exc).startswith(path):
            raise
        raise ValidationFailed(f"{path}: {exc}") from exc


def _restrictions_in(item: Any, path: str) -> Restrictions:
    if item is None:
        return Restrictions()
    r = _mapping(item, path)
    known = {
        "start_time",
        "end_time",
        "start_date",
        "end_date",
        "days_of_week",
        "reservation",
        *_DECIMAL_RESTRICTIONS,
        *_INT_RESTRICTIONS,
    }
    unknown = sorted(set(r) - known)
    if unknown:
        raise ValidationFailed(f"{path}: unknown restriction {unknown[0]!r}")
    values: dict[str, Any] = {}
    for name in ("start_time", "end_time"):
        if r.get(name) is not None:
            values[name] = _time(r[name], f"{path}.{name}")
    for name in ("start_date", "end_date"):
        if r.get(name) is not None:
            values[name] = _date(r[name], f"{path}.{name}")
    for name in _DECIMAL_RESTRICTIONS:
        if r.get(name) is not None:
            values[name] = _decimal(r[name], f"{path}.{name}")
    for name in _INT_RESTRICTIONS:
        if r.get(name) is not None:
            values[name] = _int(r[name], f"{path}.{name}")
    days = r.get("days_of_week") or []
    if not isinstance(days, list):
        raise ValidationFailed(f"{path}.days_of_week: must be a list of day names")
    values["days_of_week"] = frozenset(
        _enum(DayOfWeek, d, f"{path}.days_of_week[{i}]") for i, d in enumerate(days)
    )
    values["reservation"] = _enum(
        ReservationRestriction, r.get("reservation"), f"{path}.reservation"
    )
    try:
        return Restrictions(**values)
    except ValidationFailed as exc:
        raise ValidationFailed(f"{path}: {exc}") from exc


def _restrictions_out(r: Restrictions) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("start_time", "end_time"):
        value = getattr(r, name)
        if value is not None:
            out[name] = value.strftime("%H:%M")
    for name in ("start_date", "end_date"):
        value = getattr(r, name)
        if value is not None:
            out[name] = value.isoformat()
    for name in _DECIMAL_RESTRICTIONS:
        value = getattr(r, name)
        if value is not None:
            out[name] = str(value)
    for name in _INT_RESTRICTIONS:
        value = getattr(r, name)
        if value is not None:
            out[name] = value
    if r.days_of_week:
        order = list(DayOfWeek)
        out["days_of_week"] = [d.value for d in sorted(r.days_of_week, key=order.index)]
    if r.reservation is not None:
        out["reservation"] = r.reservation.value
    return out


def _price_out(price: Price | None) -> dict[str, str] | None:
    if price is None:
        return None
    return {"excl_vat": str(price.excl_vat), "incl_vat": str(price.incl_vat)}


def _price_in(item: Any, path: str) -> Price | None:
    if item is None:
        return None
    p = _mapping(item, path)
    excl = _decimal(p.get("excl_vat"), f"{path}.excl_vat")
    incl = p.get("incl_vat")
    return Price(excl, excl if incl is None else _decimal(incl, f"{path}.incl_vat"))


def _mapping(item: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(item, Mapping):
        raise ValidationFailed(f"{path}: must be an object")
    return item


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise ValidationFailed(f"{path}: must be a string")
    return value


def _decimal(value: Any, path: str) -> Decimal:
    """A number from a string, an int or a Decimal; floats are refused (they are inexact)."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValidationFailed(f"{path}: must be a decimal number written as a string")
    try:
        number = Decimal(value) if not isinstance(value, Decimal) else value
    except InvalidOperation as exc:
        raise ValidationFailed(f"{path}: {value!r} is not a number") from exc
    if not number.is_finite():
        raise ValidationFailed(f"{path}: must be a finite number")
    return number


def _int(value: Any, path: str) -> int:
    if isinstance(value, bool):
        raise ValidationFailed(f"{path}: must be a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal | str):
        try:
            number = Decimal(value)
        except InvalidOperation as exc:
            raise ValidationFailed(f"{path}: must be a whole number") from exc
        if number.is_finite() and number == number.to_integral_value():
            return int(number)
    raise ValidationFailed(f"{path}: must be a whole number")


def _enum(kind: type[E], value: Any, path: str) -> E | None:
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        names = ", ".join(m.value for m in kind)
        raise ValidationFailed(f"{path}: {value!r} is not one of {names}") from None


def _time(value: Any, path: str) -> time:
    text = _string(value, path)
    try:
        hours, minutes = text.split(":")
        if len(hours) != 2 or len(minutes) != 2:
            raise ValueError(text)
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValidationFailed(f"{path}: {text!r} is not a time like '22:00'") from None


def _date(value: Any, path: str) -> date:
    text = _string(value, path)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"{path}: {text!r} is not a date like '2026-01-31'") from None
