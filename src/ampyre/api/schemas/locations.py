"""Location request and response models."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field

from ampyre.api.schemas.common import ApiModel, PatchModel, given_value
from ampyre.domain.locations import (
    Address,
    Contact,
    GeoPoint,
    Location,
    OpeningHours,
    OpeningPeriod,
)
from ampyre.services.locations import LocationUpdate

Coordinate = Annotated[
    Decimal,
    Field(
        max_digits=10,
        decimal_places=7,
        description="WGS 84 decimal degrees, at most 7 decimals; sent back as a string.",
    ),
]
HourMinute = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["08:00"])]


class AddressModel(ApiModel):
    street: str = Field(min_length=1, max_length=255, examples=["ul. Długa 1"])
    city: str = Field(min_length=1, max_length=100, examples=["Kraków"])
    postal_code: str = Field(min_length=1, max_length=20, examples=["30-001"])
    country: str = Field(
        pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2, upper case.", examples=["PL"]
    )

    def to_domain(self) -> Address:
        return Address(self.street, self.city, self.postal_code, self.country)

    @classmethod
    def from_domain(cls, address: Address) -> AddressModel:
        return cls(
            street=address.street,
            city=address.city,
            postal_code=address.postal_code,
            country=address.country,
        )


class CoordinatesModel(ApiModel):
    latitude: Coordinate = Field(ge=-90, le=90, examples=["50.0614300"])
    longitude: Coordinate = Field(ge=-180, le=180, examples=["19.9365800"])

    def to_domain(self) -> GeoPoint:
        return GeoPoint(self.latitude, self.longitude)


class CoordinatesOut(BaseModel):
    """Coordinates with exactly 7 decimals, as stored."""

    latitude: Decimal = Field(examples=["50.0614300"])
    longitude: Decimal = Field(examples=["19.9365800"])

    @classmethod
    def from_domain(cls, point: GeoPoint) -> CoordinatesOut:
        return cls(latitude=_seven_places(point.latitude), longitude=_seven_places(point.longitude))


def _seven_places(value: Decimal) -> Decimal:
    return value.quantize(_SEVEN_PLACES)


_SEVEN_PLACES = Decimal("0.0000001")


class OpeningPeriodModel(ApiModel):
    weekday: int = Field(ge=1, le=7, description="ISO weekday: 1 = Monday .. 7 = Sunday.")
    begin: HourMinute
    end: HourMinute = Field(description="Earlier than `begin` means the period ends next day.")


class OpeningHoursModel(ApiModel):
    twentyfourseven: bool = True
    periods: list[OpeningPeriodModel] = Field(
        default_factory=list, description="Weekly periods, local time of the location."
    )

    def to_domain(self) -> OpeningHours:
        return OpeningHours(
            self.twentyfourseven,
            tuple(OpeningPeriod(p.weekday, p.begin, p.end) for p in self.periods),
        )

    @classmethod
    def from_domain(cls, hours: OpeningHours) -> OpeningHoursModel:
        return cls(
            twentyfourseven=hours.twentyfourseven,
            periods=[
                OpeningPeriodModel(weekday=p.weekday, begin=p.begin, end=p.end)
                for p in hours.periods
            ],
        )


class ContactModel(ApiModel):
    phone: str | None = Field(default=None, max_length=64, examples=["+48 12 345 67 89"])
    email: str | None = Field(default=None, max_length=255, examples=["ops@example.com"])
    website: str | None = Field(default=None, max_length=255)

    def to_domain(self) -> Contact:
        return Contact(self.phone, self.email, self.website)


PointsOfInterest = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=100)]],
    Field(max_length=50, description="Facilities nearby, shown to drivers."),
]


class LocationCreate(ApiModel):
    id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9._\-]{1,36}$",
        description="Your id for the site; a UUID is generated when absent.",
        examples=["krk-depot-1"],
    )
    name: str = Field(min_length=1, max_length=255, examples=["Kraków depot"])
    address: AddressModel
    coordinates: CoordinatesModel
    time_zone: str = Field(description="IANA time zone.", examples=["Europe/Warsaw"])
    opening_hours: OpeningHoursModel = Field(default_factory=OpeningHoursModel)
    contact: ContactModel = Field(default_factory=ContactModel)
    points_of_interest: PointsOfInterest = Field(default_factory=list)
    public: bool = Field(default=True, description="Shown on the public map.")

    def to_domain(self, location_id: str) -> Location:
        return Location(
            id=location_id,
            name=self.name,
            address=self.address.to_domain(),
            coordinates=self.coordinates.to_domain(),
            time_zone=self.time_zone,
            opening_hours=self.opening_hours.to_domain(),
            contact=self.contact.to_domain(),
            points_of_interest=tuple(self.points_of_interest),
            public=self.public,
        )


class LocationPatch(PatchModel):
    """Only the fields sent are changed."""

    not_nullable = (
        "name",
        "address",
        "coordinates",
        "time_zone",
        "opening_hours",
        "contact",
        "points_of_interest",
        "public",
    )

    name: str | None = Field(default=None, min_length=1, max_length=255)
    address: AddressModel | None = None
    coordinates: CoordinatesModel | None = None
    time_zone: str | None = None
    opening_hours: OpeningHoursModel | None = None
    contact: ContactModel | None = None
    points_of_interest: PointsOfInterest | None = None
    public: bool | None = None

    def to_update(self) -> LocationUpdate:
        return LocationUpdate(
            name=given_value(self, "name", self.name),
            address=given_value(
                self, "address", None if self.address is None else self.address.to_domain()
            ),
            coordinates=given_value(
                self,
                "coordinates",
                None if self.coordinates is None else self.coordinates.to_domain(),
            ),
            time_zone=given_value(self, "time_zone", self.time_zone),
            opening_hours=given_value(
                self,
                "opening_hours",
                None if self.opening_hours is None else self.opening_hours.to_domain(),
            ),
            contact=given_value(
                self, "contact", None if self.contact is None else self.contact.to_domain()
            ),
            points_of_interest=given_value(
                self,
                "points_of_interest",
                None if self.points_of_interest is None else tuple(self.points_of_interest),
            ),
            public=given_value(self, "public", self.public),
        )


class LocationOut(BaseModel):
    id: str
    name: str
    address: AddressModel
    coordinates: CoordinatesOut
    time_zone: str
    opening_hours: OpeningHoursModel
    contact: ContactModel
    points_of_interest: list[str]
    public: bool

    @classmethod
    def from_domain(cls, location: Location) -> LocationOut:
        return cls(
            id=location.id,
            name=location.name,
            address=AddressModel.from_domain(location.address),
            coordinates=CoordinatesOut.from_domain(location.coordinates),
            time_zone=location.time_zone,
            opening_hours=OpeningHoursModel.from_domain(location.opening_hours),
            contact=ContactModel(
                phone=location.contact.phone,
                email=location.contact.email,
                website=location.contact.website,
            ),
            points_of_interest=list(location.points_of_interest),
            public=location.public,
        )
