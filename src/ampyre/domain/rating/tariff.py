"""Tariffs: what a session costs, as an operator writes it down.

The model is OCPI 2.2.1's (Tariff → TariffElement → PriceComponent + TariffRestrictions) so
every OCPI tariff can be expressed, plus what the seeds need that OCPI lacks:

- a time fee entered per minute instead of per hour (``TimeUnit.MINUTE``),
- a parking grace period: parking is free during the first N minutes of the session, then
  billed (:attr:`Tariff.parking_grace_s`; exported to OCPI as a duration restriction),
- a name and per-language texts for display.

Validation (:meth:`Tariff.__post_init__`) refuses what cannot be priced or is certainly a
mistake, with a message that names the element and component.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum

from ampyre.domain.errors import ValidationFailed
from ampyre.domain.money import ZERO, Price, check_currency

SECONDS_PER_HOUR = 3600
SECONDS_PER_MINUTE = 60


class Dimension(StrEnum):
    """What a price component charges for (OCPI 2.2.1 TariffDimensionType)."""

    ENERGY = "ENERGY"
    """Per kWh delivered; step size in Wh."""
    FLAT = "FLAT"
    """Once per session (a start fee)."""
    PARKING_TIME = "PARKING_TIME"
    """Per hour connected but not drawing power; step size in seconds."""
    TIME = "TIME"
    """Per hour of charging; step size in seconds."""


class TariffType(StrEnum):
    """OCPI 2.2.1 TariffType."""

    AD_HOC_PAYMENT = "AD_HOC_PAYMENT"
    PROFILE_CHEAP = "PROFILE_CHEAP"
    PROFILE_FAST = "PROFILE_FAST"
    PROFILE_GREEN = "PROFILE_GREEN"
    REGULAR = "REGULAR"


class TimeUnit(StrEnum):
    """The unit a time or parking price is written in; rating always works per second."""

    HOUR = "hour"
    MINUTE = "minute"

    @property
    def seconds(self) -> int:
        return SECONDS_PER_HOUR if self is TimeUnit.HOUR else SECONDS_PER_MINUTE


class DayOfWeek(StrEnum):
    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"

    @classmethod
    def of(cls, day: date) -> DayOfWeek:
        return _DAYS[day.weekday()]


_DAYS = tuple(DayOfWeek)


class ReservationRestriction(StrEnum):
    """OCPI 2.2.1 ReservationRestrictionType."""

    RESERVATION = "RESERVATION"
    RESERVATION_EXPIRES = "RESERVATION_EXPIRES"


@dataclass(frozen=True, slots=True)
class PriceComponent:
    """One price of one dimension, excluding VAT.

    ``price`` is per kWh (ENERGY), per ``time_unit`` (TIME, PARKING_TIME) or per session (FLAT).
    ``vat_percent`` None means no VAT applies, which an invoice shows differently from 0 %.
    ``step_size`` is in Wh (ENERGY) or seconds (TIME, PARKING_TIME); ignored for FLAT. It is
    applied once per session (OCPI 2.2.1 §11.4.5 step_size, DOMAIN.md §1).
    """

    dimension: Dimension
    price: Decimal
    vat_percent: Decimal | None = None
    step_size: int = 1
    time_unit: TimeUnit = TimeUnit.HOUR

    def __post_init__(self) -> None:
        if not self.price.is_finite() or self.price < ZERO:
            raise ValidationFailed(f"{self.dimension} price must be a number >= 0")
        if self.vat_percent is not None and (
            not self.vat_percent.is_finite() or not ZERO <= self.vat_percent <= 100
        ):
            raise ValidationFailed(f"{self.dimension} VAT must be between 0 and 100 percent")
        if self.step_size < 0:
            raise ValidationFailed(f"{self.dimension} step_size must not be negative")
        if self.time_unit is TimeUnit.MINUTE and self.dimension not in _TIMED:
            raise ValidationFailed(
                f"a per-minute price only exists for time and parking, not {self.dimension}"
            )

    @property
    def price_per_hour(self) -> Decimal:
        """Price per hour for TIME/PARKING_TIME (exact: a per-minute price × 60)."""
        return self.price * (SECONDS_PER_HOUR // self.time_unit.seconds)


_TIMED = frozenset({Dimension.TIME, Dimension.PARKING_TIME})


@dataclass(frozen=True, slots=True)
class Restrictions:
    """When an element applies (OCPI 2.2.1 TariffRestrictions); all given conditions must hold.

    Times and dates are local to the location. ``end_time`` before ``start_time`` wraps past
    midnight. ``end_date`` and every ``max_*`` are exclusive; every ``min_*`` inclusive.
    kWh count the session's cumulative energy; power (kW) and current (A) are instantaneous;
    durations (seconds) count from the session start, parking included.
    """

    start_time: time | None = None
    end_time: time | None = None
    start_date: date | None = None
    end_date: date | None = None
    min_kwh: Decimal | None = None
    max_kwh: Decimal | None = None
    min_current: Decimal | None = None
    max_current: Decimal | None = None
    min_power: Decimal | None = None
    max_power: Decimal | None = None
    min_duration_s: int | None = None
    max_duration_s: int | None = None
    days_of_week: frozenset[DayOfWeek] = frozenset()
    reservation: ReservationRestriction | None = None

    def __post_init__(self) -> None:
        for name in (
            "min_kwh",
            "max_kwh",
            "min_current",
            "max_current",
            "min_power",
            "max_power",
            "min_duration_s",
            "max_duration_s",
        ):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValidationFailed(f"restriction {name} must not be negative")
        for low, high in (
            ("min_kwh", "max_kwh"),
            ("min_current", "max_current"),
            ("min_power", "max_power"),
            ("min_duration_s", "max_duration_s"),
            ("start_date", "end_date"),
        ):
            lo, hi = getattr(self, low), getattr(self, high)
            if lo is not None and hi is not None and hi <= lo:
                raise ValidationFailed(
                    f"restriction {high} must be after {low}: nothing could ever match"
                )
        if self.start_time is not None and self.start_time == self.end_time:
            raise ValidationFailed(
                "restriction start_time and end_time are equal: leave both out for a whole day"
            )

    @property
    def is_empty(self) -> bool:
        return self == _NO_RESTRICTIONS


_NO_RESTRICTIONS = Restrictions()


@dataclass(frozen=True, slots=True)
class TariffElement:
    """Price components that apply together under the same restrictions."""

    components: tuple[PriceComponent, ...]
    restrictions: Restrictions = _NO_RESTRICTIONS

    def __post_init__(self) -> None:
        _check_element(self)

    def component(self, dimension: Dimension) -> PriceComponent | None:
        for candidate in self.components:
            if candidate.dimension is dimension:
                return candidate
        return None


@dataclass(frozen=True, slots=True)
class Tariff:
    """One version of a tariff: everything needed to price a session.

    ``parking_grace_s`` makes parking free during the first seconds of the session (the fee
    starts after a set time, counted from the plug-in, as OCPI's min_duration does). Parking is
    time connected but not drawing power, so with no grace the fee starts when the car is full.
    ``min_price``/``max_price`` clamp the session total, excl. and incl. VAT each.
    ``texts`` maps a language code to a human description (OCPI tariff_alt_text).
    """

    currency: str
    elements: tuple[TariffElement, ...]
    type: TariffType | None = None
    min_price: Price | None = None
    max_price: Price | None = None
    parking_grace_s: int = 0
    texts: dict[str, str] = field(default_factory=dict)
    info_url: str | None = None
    _priced: tuple[TariffElement, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_currency(self.currency)
        if self.parking_grace_s < 0:
            raise ValidationFailed("parking grace period must not be negative")
        if (
            self.min_price
            and self.max_price
            and (
                self.max_price.excl_vat < self.min_price.excl_vat
                or self.max_price.incl_vat < self.min_price.incl_vat
            )
        ):
            raise ValidationFailed("max_price must not be below min_price")
        for label, bound in (("min_price", self.min_price), ("max_price", self.max_price)):
            if bound is not None and (bound.excl_vat < 0 or bound.incl_vat < bound.excl_vat):
                raise ValidationFailed(f"{label} must be >= 0 with incl_vat >= excl_vat")
        object.__setattr__(self, "_priced", self._with_grace())

    def priced_elements(self) -> tuple[TariffElement, ...]:
        """The elements the rating engine evaluates, the grace period made explicit.

        A grace period becomes a free PARKING_TIME element in front with
        ``max_duration`` = the grace, which is how OCPI expresses it. Computed once.
        """
        return self._priced

    def _with_grace(self) -> tuple[TariffElement, ...]:
        if not self.parking_grace_s:
            return self.elements
        vat = next(
            (
                c.vat_percent
                for e in self.elements
                for c in e.components
                if c.dimension is Dimension.PARKING_TIME
            ),
            None,
        )
        grace = TariffElement(
            components=(PriceComponent(Dimension.PARKING_TIME, ZERO, vat, 1),),
            restrictions=Restrictions(max_duration_s=self.parking_grace_s),
        )
        return (grace, *self.elements)

    @property
    def needs_power(self) -> bool:
        """Whether an element's restrictions look at the instantaneous power."""
        return any(
            e.restrictions.min_power is not None or e.restrictions.max_power is not None
            for e in self.elements
        )

    @property
    def needs_current(self) -> bool:
        """Whether an element's restrictions look at the instantaneous current."""
        return any(
            e.restrictions.min_current is not None or e.restrictions.max_current is not None
            for e in self.elements
        )

    @property
    def dimensions(self) -> frozenset[Dimension]:
        return frozenset(c.dimension for e in self.elements for c in e.components)


def _check_element(element: TariffElement) -> None:
    where = "a tariff element"
    if not element.components:
        raise ValidationFailed(f"{where} has no price components")
    seen: set[Dimension] = set()
    for component in element.components:
        if component.dimension in seen:
            raise ValidationFailed(f"{where} has two {component.dimension} components")
        seen.add(component.dimension)
    if element.restrictions.reservation is not None:
        allowed = {Dimension.FLAT, Dimension.TIME}
        wrong = sorted(seen - allowed)
        if wrong:
            raise ValidationFailed(
                f"{where} has a reservation restriction, which only FLAT and TIME components "
                f"may carry (OCPI 2.2.1), not {', '.join(wrong)}"
            )


@dataclass(frozen=True, slots=True)
class TariffVersion:
    """A tariff as in force from ``valid_from`` (inclusive) until ``valid_until`` (exclusive).

    The version in force at a session's start prices the whole session.
    """

    number: int
    tariff: Tariff
    valid_from: datetime | None = None
    valid_until: datetime | None = None

    def __post_init__(self) -> None:
        for bound in (self.valid_from, self.valid_until):
            if bound is not None and bound.tzinfo is None:
                raise ValidationFailed("tariff validity needs a time zone")
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            raise ValidationFailed("a tariff version must end after it starts")

    def in_force_at(self, instant: datetime) -> bool:
        return (self.valid_from is None or self.valid_from <= instant) and (
            self.valid_until is None or instant < self.valid_until
        )

    def overlaps(self, other: TariffVersion) -> bool:
        starts_before_other_ends = (
            self.valid_from is None
            or other.valid_until is None
            or self.valid_from < other.valid_until
        )
        ends_after_other_starts = (
            self.valid_until is None
            or other.valid_from is None
            or other.valid_from < self.valid_until
        )
        return starts_before_other_ends and ends_after_other_starts


def check_versions(versions: list[TariffVersion]) -> None:
    """Refuse versions whose validity overlaps (which one would apply would be ambiguous)."""
    ordered = sorted(versions, key=lambda v: v.number)
    for i, first in enumerate(ordered):
        for second in ordered[i + 1 :]:
            if first.overlaps(second):
                raise ValidationFailed(
                    f"tariff versions {first.number} and {second.number} overlap in time"
                )
            if first.tariff.currency != second.tariff.currency:
                raise ValidationFailed("all versions of a tariff use the same currency")


def version_in_force(versions: list[TariffVersion], at: datetime) -> TariffVersion | None:
    """The version in force at an instant (None: the tariff did not apply then)."""
    for version in versions:
        if version.in_force_at(at):
            return version
    return None
