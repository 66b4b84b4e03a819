from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from ampyre.domain.errors import ValidationFailed
from ampyre.domain.locations import Address, GeoPoint, Location, OpeningHours, OpeningPeriod
from ampyre.domain.station_secrets import (
    generate_password,
    hash_password,
    validate_password,
    verify_password,
)
from ampyre.domain.stations import Connector, Station

WARSAW = ZoneInfo("Europe/Warsaw")


def test_opening_hours_with_a_period_past_midnight() -> None:
    hours = OpeningHours(
        twentyfourseven=False,
        periods=(OpeningPeriod(5, "18:00", "02:00"), OpeningPeriod(1, "08:00", "16:00")),
    )
    assert hours.is_open(datetime(2026, 11, 20, 23, 0, tzinfo=WARSAW))  # Friday night
    assert hours.is_open(datetime(2026, 11, 21, 1, 30, tzinfo=WARSAW))  # Saturday early
    assert not hours.is_open(datetime(2026, 11, 21, 2, 30, tzinfo=WARSAW))
    assert hours.is_open(datetime(2026, 11, 23, 8, 0, tzinfo=WARSAW))  # Monday
    assert not hours.is_open(datetime(2026, 11, 23, 16, 0, tzinfo=WARSAW))


def test_location_validates_zone_and_coordinates() -> None:
    address = Address("Marszałkowska 1", "Warszawa", "00-001", "PL")
    with pytest.raises(ValidationFailed):
        Location("L1", "x", address, GeoPoint(Decimal("52.2"), Decimal("21.0")), "Mars/Base")
    with pytest.raises(ValidationFailed):
        GeoPoint(Decimal("91"), Decimal("0"))


@pytest.mark.parametrize("bad", ["", "a b", "x" * 49, "slash/inside"])
def test_station_ids(bad: str) -> None:
    with pytest.raises(ValidationFailed):
        Station(bad)


def test_connector_zero_is_the_station_not_a_connector() -> None:
    with pytest.raises(ValidationFailed):
        Connector("CP-1", 0)


def test_station_password_rules_and_hashing() -> None:
    with pytest.raises(ValidationFailed):
        validate_password("short")
    password = generate_password()
    validate_password(password)
    stored = hash_password(password)
    assert password not in stored
    assert verify_password(password, stored)
    assert not verify_password(password + "x", stored)
    assert not verify_password(password, "garbage")
    assert hash_password(password) != stored  # salted
