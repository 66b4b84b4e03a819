"""Locations: where stations stand, when they are open, and how to reach the operator.

Coordinates are WGS 84 decimal degrees kept as ``Decimal`` so they round-trip exactly
(OCPI 2.2.1 GeoLocation uses strings with up to 7 decimals).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ampyre.domain.errors import ValidationFailed

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True, slots=True)
class Address:
    street: str
    city: str
    postal_code: str
    country: str
    """ISO 3166-1 alpha-2 country code, upper case."""


@dataclass(frozen=True, slots=True)
class GeoPoint:
    latitude: Decimal
    longitude: Decimal

    def __post_init__(self) -> None:
        if not Decimal(-90) <= self.latitude <= Decimal(90):
            raise ValidationFailed(f"latitude {self.latitude} is outside -90..90")
        if not Decimal(-180) <= self.longitude <= Decimal(180):
            raise ValidationFailed(f"longitude {self.longitude} is outside -180..180")


@dataclass(frozen=True, slots=True)
class OpeningPeriod:
    """One weekly opening period, local time of the location (OCPI RegularHours).

    ``weekday`` is ISO (1 = Monday .. 7 = Sunday); ``begin``/``end`` are "HH:MM".
    An ``end`` earlier than ``begin`` means the period runs past midnight.
    """

    weekday: int
    begin: str
    end: str

    def __post_init__(self) -> None:
        if not 1 <= self.weekday <= 7:
            raise ValidationFailed(f"weekday {self.weekday} is not 1 (Monday) .. 7 (Sunday)")
        for value in (self.begin, self.end):
            if not _HHMM.match(value):
                raise ValidationFailed(f"opening hour {value!r} is not HH:MM")
        if self.begin == self.end:
            raise ValidationFailed("an opening period must not begin and end at the same time")


@dataclass(frozen=True, slots=True)
class OpeningHours:
    """Always open (``twentyfourseven``) or open only during ``periods``."""

    twentyfourseven: bool = True
    periods: tuple[OpeningPeriod, ...] = ()

    def is_open(self, at_local: datetime) -> bool:
        """Whether the location is open at ``at_local`` (a datetime in the location's zone)."""
        if self.twentyfourseven:
            return True
        now = at_local.time()
        weekday = at_local.isoweekday()
        yesterday = 7 if weekday == 1 else weekday - 1
        for period in self.periods:
            begin, end = time.fromisoformat(period.begin), time.fromisoformat(period.end)
            if begin < end:
                if period.weekday == weekday and begin <= now < end:
                    return True
            elif (period.weekday == weekday and now >= begin) or (
                period.weekday == yesterday and now < end
            ):
                return True
        return False


@dataclass(frozen=True, slots=True)
class Contact:
    phone: str | None = None
    email: str | None = None
    website: str | None = None


@dataclass(slots=True)
class Location:
    """A site with one or more stations.

    ``points_of_interest`` are free-text facilities near the site (e.g. "supermarket",
    "toilets"), shown to drivers on the map.
    """

    id: str
    name: str
    address: Address
    coordinates: GeoPoint
    time_zone: str
    opening_hours: OpeningHours = field(default_factory=OpeningHours)
    contact: Contact = field(default_factory=Contact)
    points_of_interest: tuple[str, ...] = ()
    public: bool = True

    def __post_init__(self) -> None:
        validate_time_zone(self.time_zone)


def validate_time_zone(name: str) -> ZoneInfo:
    """The IANA zone called ``name``; raises ``ValidationFailed`` for unknown names."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed(f"unknown time zone {name!r}") from exc
