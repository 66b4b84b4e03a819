"""The prices of a tariff as a driver reads them, per locale (EU AFIR).

AFIR (Regulation (EU) 2023/1804, art. 5; DOMAIN.md §1) wants prices shown before charging
starts, in this order: per kWh, per minute, per session, then the other components (parking
or occupancy fee, reservation, minimum and maximum price). :func:`describe_tariff` returns them
in that order, one :class:`PriceLine` per priced component, with the element's restrictions
as conditions ("22:00–06:00", "Mon–Fri", "after 60 min").

Amounts are gross (incl. VAT) unless ``include_vat=False``. Per-hour time and parking prices
are shown per minute. Numbers, currencies, times, dates and day names come from Babel (CLDR)
for the locale; the words around them from a small phrase table per language (English, Polish,
German). A locale whose language has no table is shown in English.

Shown amounts keep the currency's minor unit when that is exact ("€0.35", "€0.05") and
otherwise up to 4 decimals, rounded half-up at the 4th ("€0.4305", "€0.0417" for €2.50/h):
the driver sees the unit price the session is rated with, not a rounded-away one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_interval, format_time, get_day_names
from babel.numbers import format_currency, format_decimal, format_percent

from ampyre.domain.errors import ValidationFailed
from ampyre.domain.money import HUNDRED, ZERO, Price, minor_units, with_vat
from ampyre.domain.rating.tariff import (
    SECONDS_PER_MINUTE,
    DayOfWeek,
    Dimension,
    PriceComponent,
    ReservationRestriction,
    Restrictions,
    Tariff,
    TariffElement,
)

LineKind = Literal["energy", "time", "flat", "parking", "other"]
LineUnit = Literal["kWh", "min", "session", "reservation"]

KIND_ORDER: tuple[LineKind, ...] = ("energy", "time", "flat", "parking", "other")
"""AFIR order of the lines: per kWh, per minute, per session, then the rest."""

MAX_SHOWN_DECIMALS = 4
"""Most decimals a shown unit price has (more only if the currency's minor unit has more)."""

FALLBACK_LANGUAGE = "en"


@dataclass(frozen=True, slots=True)
class PriceLine:
    """One price as shown: ``text`` is the price fragment ("€0.35 per kWh", "energy: free").

    ``amount`` is the shown figure (gross unless the display is net; per minute for time and
    parking; per session for flat, minimum and maximum) in the display's currency.
    ``conditions`` lists when it applies ("" = always); ``vat_note`` is set only when the
    lines do not share one VAT rate (otherwise :attr:`PriceDisplay.vat_note` covers all).
    ``vat_percent`` is the component's rate (None: no VAT applies, or minimum/maximum price).
    """

    kind: LineKind
    text: str
    amount: Decimal
    unit: LineUnit
    conditions: str = ""
    vat_percent: Decimal | None = None
    vat_note: str = ""

    @property
    def display(self) -> str:
        """The text with its conditions and VAT note in brackets, if any."""
        extra = ", ".join(part for part in (self.conditions, self.vat_note) if part)
        return f"{self.text} ({extra})" if extra else self.text


@dataclass(frozen=True, slots=True)
class PriceDisplay:
    """A tariff's prices for one locale; ``locale`` is the one actually used (after fallback)."""

    locale: str
    currency: str
    lines: tuple[PriceLine, ...]
    vat_note: str = ""
    """Set when every component has the same VAT rate ("incl. 23% VAT" for all lines)."""

    @property
    def summary(self) -> str:
        """All lines in order, joined with "; ", then the shared VAT note."""
        parts = [line.display for line in self.lines]
        if self.vat_note:
            parts.append(self.vat_note)
        return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class _Phrases:
    """The words of one language; ``{price}``, ``{rate}`` etc. are filled in by Babel output."""

    per_kwh: str
    per_min: str
    per_session: str
    parking_per_min: str
    reservation_per_min: str
    reservation_once: str
    expired_per_min: str
    expired_once: str
    minimum: str
    maximum: str
    free_energy: str
    free_time: str
    free_session: str
    free_parking: str
    free_reservation: str
    free_expired: str
    free_charging: str
    time_from: str
    time_until: str
    date_from: str
    date_before: str
    range_from_to: str
    range_from: str
    range_up_to: str
    minutes_first: str
    minutes_after: str
    minutes_between: str
    incl_rate: str
    excl_rate: str
    incl_vat: str
    excl_vat: str
    no_vat: str
    all_incl_rate: str
    all_excl_rate: str


_PHRASES: dict[str, _Phrases] = {
    "en": _Phrases(
        per_kwh="{price} per kWh",
        per_min="{price} per min",
        per_session="{price} per session",
        parking_per_min="parking fee {price} per min",
        reservation_per_min="reservation {price} per min",
        reservation_once="reservation fee {price}",
        expired_per_min="expired reservation {price} per min",
        expired_once="expired reservation fee {price}",
        minimum="minimum {price} per session",
        maximum="maximum {price} per session",
        free_energy="energy: free",
        free_time="charging time: free",
        free_session="session start: free",
        free_parking="parking: free",
        free_reservation="reservation: free",
        free_expired="expired reservation: free",
        free_charging="free charging",
        time_from="from {start}",
        time_until="until {end}",
        date_from="from {date}",
        date_before="before {date}",
        range_from_to="from {low} to {high} {unit}",
        range_from="from {low} {unit}",
        range_up_to="up to {high} {unit}",
        minutes_first="for the first {high} min",
        minutes_after="after {low} min",
        minutes_between="from {low} to {high} min",
        incl_rate="incl. {rate} VAT",
        excl_rate="excl. {rate} VAT",
        incl_vat="incl. VAT",
        excl_vat="excl. VAT",
        no_vat="no VAT",
        all_incl_rate="all prices incl. {rate} VAT",
        all_excl_rate="all prices excl. {rate} VAT",
    ),
    "pl": _Phrases(
        per_kwh="{price} za kWh",
        per_min="{price} za min",
        per_session="{price} za sesję",
        parking_per_min="opłata postojowa {price} za min",
        reservation_per_min="rezerwacja {price} za min",
        reservation_once="opłata za rezerwację {price}",
        expired_per_min="wygasła rezerwacja {price} za min",
        expired_once="opłata za wygasłą rezerwację {price}",
        minimum="minimalna opłata {price} za sesję",
        maximum="maksymalna opłata {price} za sesję",
        free_energy="energia: bezpłatnie",
        free_time="czas ładowania: bezpłatnie",
        free_session="rozpoczęcie sesji: bezpłatnie",
        free_parking="postój: bezpłatnie",
        free_reservation="rezerwacja: bezpłatnie",
        free_expired="wygasła rezerwacja: bezpłatnie",
        free_charging="ładowanie bezpłatne",
        time_from="od {start}",
        time_until="do {end}",
        date_from="od {date}",
        date_before="przed {date}",
        range_from_to="od {low} do {high} {unit}",
        range_from="od {low} {unit}",
        range_up_to="do {high} {unit}",
        minutes_first="przez pierwsze {high} min",
        minutes_after="po {low} min",
        minutes_between="od {low} do {high} min",
        incl_rate="w tym {rate} VAT",
        excl_rate="+ {rate} VAT",
        incl_vat="brutto",
        excl_vat="netto",
        no_vat="bez VAT",
        all_incl_rate="ceny zawierają {rate} VAT",
        all_excl_rate="ceny nie zawierają {rate} VAT",
    ),
    "de": _Phrases(
        per_kwh="{price} pro kWh",
        per_min="{price} pro Min.",
        per_session="{price} pro Ladevorgang",
        parking_per_min="Blockiergebühr {price} pro Min.",
        reservation_per_min="Reservierung {price} pro Min.",
        reservation_once="Reservierungsgebühr {price}",
        expired_per_min="abgelaufene Reservierung {price} pro Min.",
        expired_once="Gebühr für abgelaufene Reservierung {price}",
        minimum="mindestens {price} pro Ladevorgang",
        maximum="höchstens {price} pro Ladevorgang",
        free_energy="Energie: kostenlos",
        free_time="Ladezeit: kostenlos",
        free_session="Ladestart: kostenlos",
        free_parking="Parken: kostenlos",
        free_reservation="Reservierung: kostenlos",
        free_expired="abgelaufene Reservierung: kostenlos",
        free_charging="kostenloses Laden",
        time_from="ab {start}",
        time_until="bis {end}",
        date_from="ab {date}",
        date_before="vor dem {date}",
        range_from_to="von {low} bis {high} {unit}",
        range_from="ab {low} {unit}",
        range_up_to="bis {high} {unit}",
        minutes_first="in den ersten {high} Min.",
        minutes_after="nach {low} Min.",
        minutes_between="von {low} bis {high} Min.",
        incl_rate="inkl. {rate} MwSt.",
        excl_rate="zzgl. {rate} MwSt.",
        incl_vat="inkl. MwSt.",
        excl_vat="zzgl. MwSt.",
        no_vat="ohne MwSt.",
        all_incl_rate="alle Preise inkl. {rate} MwSt.",
        all_excl_rate="alle Preise zzgl. {rate} MwSt.",
    ),
}

SUPPORTED_LANGUAGES = frozenset(_PHRASES)

_LOCALE_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")
_DAY_INDEX = {day: index for index, day in enumerate(DayOfWeek)}  # Monday = 0, as Babel


def resolve_locale(tag: str) -> Locale:
    """The Babel locale for a tag like "pl", "de-AT" or "en_GB".

    A well-formed tag Babel does not know falls back to its language ("pl-XX" → "pl"); a
    language without a phrase table to English ("fr" → "en"), so words and number formats
    always agree. A malformed tag ("", "en_US.UTF-8", "1") raises ValidationFailed.
    """
    if not _LOCALE_TAG.fullmatch(tag):
        raise ValidationFailed(f"locale {tag!r} is not a language tag like 'pl' or 'de-AT'")
    identifier = tag.replace("-", "_")
    try:
        found = Locale.parse(identifier)
    except UnknownLocaleError:
        language = identifier.split("_", 1)[0].lower()
        found = Locale(language) if language in SUPPORTED_LANGUAGES else Locale(FALLBACK_LANGUAGE)
    except ValueError as exc:
        raise ValidationFailed(f"locale {tag!r} is not a valid locale identifier") from exc
    return found if found.language in SUPPORTED_LANGUAGES else Locale(FALLBACK_LANGUAGE)


def shown_amount(amount: Decimal, currency: str) -> Decimal:
    """``amount`` as shown: the currency's minor unit if exact, else up to 4 decimals.

    Extra decimals are kept only as far as they are needed (0.435 stays 0.435); beyond
    :data:`MAX_SHOWN_DECIMALS` the amount is rounded half-up (0.041666… → 0.0417).
    """
    digits = minor_units(currency)
    most = max(digits, MAX_SHOWN_DECIMALS)
    for places in range(digits, most + 1):
        candidate = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        if candidate == amount:
            return candidate
    return amount.quantize(Decimal(1).scaleb(-most), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class _Draft:
    """A line before the VAT notes are decided (they depend on all the lines)."""

    kind: LineKind
    text: str
    amount: Decimal
    unit: LineUnit
    conditions: str
    vat_percent: Decimal | None
    has_vat_rate: bool = True
    """False for minimum/maximum: a Price carries no rate, only excl. and incl. amounts."""
    some_vat: bool = False
    """For minimum/maximum: whether the gross amount differs from the net."""
    free: bool = False
    """The component's price is zero (a tiny price that rounds to 0.0000 is not free)."""


class _Writer:
    """Formats the parts of one display: Babel for figures, the phrase table for words."""

    def __init__(self, locale: Locale, currency: str, include_vat: bool) -> None:
        self.locale = locale
        self.currency = currency
        self.include_vat = include_vat
        self.words = _PHRASES[locale.language]

    def money(self, amount: Decimal) -> str:
        return format_currency(
            amount, self.currency, locale=self.locale, decimal_quantization=False
        )

    def number(self, value: Decimal) -> str:
        return format_decimal(value, locale=self.locale)

    def rate(self, vat_percent: Decimal) -> str:
        return format_percent(vat_percent / HUNDRED, locale=self.locale, decimal_quantization=False)

    def clock(self, moment: time) -> str:
        detail = "medium" if moment.second or moment.microsecond else "short"
        return format_time(moment, format=detail, locale=self.locale)

    # -- conditions ---------------------------------------------------------------------

    def conditions(self, restrictions: Restrictions) -> str:
        """Everything but the reservation restriction (which is the line's wording)."""
        r = restrictions
        parts = (
            self.days(r.days_of_week),
            self.times(r.start_time, r.end_time),
            self.dates(r.start_date, r.end_date),
            self.span(r.min_kwh, r.max_kwh, "kWh"),
            self.minutes(r.min_duration_s, r.max_duration_s),
            self.span(r.min_power, r.max_power, "kW"),
            self.span(r.min_current, r.max_current, "A"),
        )
        return ", ".join(part for part in parts if part)

    def days(self, days: frozenset[DayOfWeek]) -> str:
        """Abbreviated day names, Monday first; 3+ consecutive days as a range ("Mon–Fri")."""
        chosen = sorted(_DAY_INDEX[day] for day in days)
        if len(chosen) in (0, 7):
            return ""
        names = get_day_names("abbreviated", context="stand-alone", locale=self.locale)
        runs: list[list[int]] = []
        for index in chosen:
            if runs and runs[-1][-1] + 1 == index:
                runs[-1].append(index)
            else:
                runs.append([index])
        shown: list[str] = []
        for run in runs:
            if len(run) >= 3:
                shown.append(f"{names[run[0]]}–{names[run[-1]]}")
            else:
                shown.extend(names[index] for index in run)
        return ", ".join(shown)

    def times(self, start: time | None, end: time | None) -> str:
        """Local time of day; an end before the start wraps past midnight (22:00–06:00)."""
        if start is not None and end is not None:
            return f"{self.clock(start)}–{self.clock(end)}"
        if start is not None:
            return self.words.time_from.format(start=self.clock(start))
        if end is not None:
            return self.words.time_until.format(end=self.clock(end))
        return ""

    def dates(self, start: date | None, end: date | None) -> str:
        """start inclusive, end exclusive: a range shows its last day (end - 1 day)."""
        if start is not None and end is not None:
            return format_interval(start, end - timedelta(days=1), "yMMMd", locale=self.locale)
        if start is not None:
            return self.words.date_from.format(date=format_date(start, "medium", self.locale))
        if end is not None:
            return self.words.date_before.format(date=format_date(end, "medium", self.locale))
        return ""

    def span(self, low: Decimal | None, high: Decimal | None, unit: str) -> str:
        """A kWh / kW / A range, low inclusive and high exclusive."""
        if low is not None and high is not None:
            return self.words.range_from_to.format(
                low=self.number(low), high=self.number(high), unit=unit
            )
        if low is not None:
            return self.words.range_from.format(low=self.number(low), unit=unit)
        if high is not None:
            return self.words.range_up_to.format(high=self.number(high), unit=unit)
        return ""

    def minutes(self, low_s: int | None, high_s: int | None) -> str:
        """A duration since the session start, in minutes; a minimum of 0 is no minimum."""
        low = self.number(Decimal(low_s) / SECONDS_PER_MINUTE) if low_s else None
        high = self.number(Decimal(high_s) / SECONDS_PER_MINUTE) if high_s is not None else None
        if low is not None and high is not None:
            return self.words.minutes_between.format(low=low, high=high)
        if low is not None:
            return self.words.minutes_after.format(low=low)
        if high is not None:
            return self.words.minutes_first.format(high=high)
        return ""

    # -- lines --------------------------------------------------------------------------

    def component(self, component: PriceComponent, restrictions: Restrictions) -> _Draft:
        """The line of one component; per-hour time/parking prices become per minute."""
        kind, unit, template, free = self._wording(component.dimension, restrictions.reservation)
        amount = component.price
        if self.include_vat:
            amount = with_vat(amount, component.vat_percent)
        if unit == "min":
            amount = amount * SECONDS_PER_MINUTE / component.time_unit.seconds
        shown = shown_amount(amount, self.currency)
        is_free = component.price == ZERO
        text = free if is_free else template.format(price=self.money(shown))
        conditions = self.conditions(restrictions)
        return _Draft(kind, text, shown, unit, conditions, component.vat_percent, free=is_free)

    def _wording(
        self, dimension: Dimension, reservation: ReservationRestriction | None
    ) -> tuple[LineKind, LineUnit, str, str]:
        w = self.words
        if reservation is ReservationRestriction.RESERVATION:
            if dimension is Dimension.TIME:
                return "other", "min", w.reservation_per_min, w.free_reservation
            return "other", "reservation", w.reservation_once, w.free_reservation
        if reservation is ReservationRestriction.RESERVATION_EXPIRES:
            if dimension is Dimension.TIME:
                return "other", "min", w.expired_per_min, w.free_expired
            return "other", "reservation", w.expired_once, w.free_expired
        if dimension is Dimension.ENERGY:
            return "energy", "kWh", w.per_kwh, w.free_energy
        if dimension is Dimension.TIME:
            return "time", "min", w.per_min, w.free_time
        if dimension is Dimension.FLAT:
            return "flat", "session", w.per_session, w.free_session
        return "parking", "min", w.parking_per_min, w.free_parking

    def bound(self, template: str, bound: Price) -> _Draft:
        """A minimum or maximum session price (a Price: net and gross, no rate)."""
        amount = bound.incl_vat if self.include_vat else bound.excl_vat
        shown = shown_amount(amount, self.currency)
        return _Draft(
            "other",
            template.format(price=self.money(shown)),
            shown,
            "session",
            "",
            None,
            has_vat_rate=False,
            some_vat=bound.incl_vat != bound.excl_vat,
        )


def describe_tariff(tariff: Tariff, locale: str, *, include_vat: bool = True) -> PriceDisplay:
    """The tariff's prices for a driver, in AFIR order, in ``locale``'s language and formats.

    Elements keep their order within a kind (the first matching element prices a dimension,
    DOMAIN.md §1). Parking lines carry the tariff's grace period as "after N min". Elements
    with a reservation restriction are "other" lines worded as reservation fees. A tariff
    whose every component is free (or that has none), with no minimum price, is one line
    "free charging". VAT: one note for the display when all components share a rate, else a
    note per line.
    """
    writer = _Writer(resolve_locale(locale), tariff.currency, include_vat)
    drafts = [
        writer.component(component, restrictions)
        for element in tariff.elements
        for component, restrictions in _priced(element, tariff.parking_grace_s)
    ]
    no_minimum = tariff.min_price is None or tariff.min_price.incl_vat == ZERO
    if no_minimum and all(draft.free for draft in drafts):
        free = _Draft(
            "flat",
            writer.words.free_charging,
            shown_amount(ZERO, tariff.currency),
            "session",
            "",
            None,
            free=True,
        )
        return _display(writer, [free])
    if tariff.min_price is not None:
        drafts.append(writer.bound(writer.words.minimum, tariff.min_price))
    if tariff.max_price is not None:
        drafts.append(writer.bound(writer.words.maximum, tariff.max_price))
    return _display(writer, drafts)


def _priced(
    element: TariffElement, parking_grace_s: int
) -> list[tuple[PriceComponent, Restrictions]]:
    """Each component with the restrictions it is shown with.

    Parking starts after the grace period at the earliest (Tariff.priced_elements puts a free
    parking element first); a parking component whose element ends before that never
    applies and is left out.
    """
    result: list[tuple[PriceComponent, Restrictions]] = []
    restrictions = element.restrictions
    for component in element.components:
        if component.dimension is not Dimension.PARKING_TIME or not parking_grace_s:
            result.append((component, restrictions))
            continue
        start = max(parking_grace_s, restrictions.min_duration_s or 0)
        end = restrictions.max_duration_s
        if end is not None and end <= start:
            continue
        result.append((component, replace(restrictions, min_duration_s=start)))
    return result


def _display(writer: _Writer, drafts: list[_Draft]) -> PriceDisplay:
    """Order the drafts (stable within a kind) and attach the VAT notes."""
    ordered = sorted(drafts, key=lambda draft: KIND_ORDER.index(draft.kind))
    rates = {draft.vat_percent for draft in ordered if draft.has_vat_rate}
    per_line = len(rates) > 1
    display_note = ""
    if len(rates) == 1:
        (shared,) = rates
        if shared is not None:
            words = writer.words
            template = words.all_incl_rate if writer.include_vat else words.all_excl_rate
            display_note = template.format(rate=writer.rate(shared))
    lines = tuple(
        PriceLine(
            draft.kind,
            draft.text,
            draft.amount,
            draft.unit,
            draft.conditions,
            draft.vat_percent,
            _line_note(writer, draft) if per_line else "",
        )
        for draft in ordered
    )
    return PriceDisplay(str(writer.locale), writer.currency, lines, display_note)


def _line_note(writer: _Writer, draft: _Draft) -> str:
    words = writer.words
    if not draft.has_vat_rate:
        if not draft.some_vat:
            return ""
        return words.incl_vat if writer.include_vat else words.excl_vat
    if draft.vat_percent is None:
        return words.no_vat
    template = words.incl_rate if writer.include_vat else words.excl_rate
    return template.format(rate=writer.rate(draft.vat_percent))
