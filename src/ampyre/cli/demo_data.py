"""The demo network: sites in European cities, stations with connectors, an operator tag;
the demo customers and their cards are in ``demo_customers``.

Demo stations use well-known passwords (``demo-<id>-secret``) so the built-in simulator can
connect; never use them for a real network.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from ampyre.cli.context import CliContext
from ampyre.cli.demo_customers import DEPOT_GROUP, demo_vehicle_uid, seed_customers
from ampyre.cli.demo_tariffs import seed_tariffs
from ampyre.domain.errors import Conflict
from ampyre.domain.id_tags import IdTag, TagStatus
from ampyre.domain.locations import (
    Address,
    Contact,
    GeoPoint,
    Location,
    OpeningHours,
    OpeningPeriod,
)
from ampyre.domain.stations import ConnectorFormat, ConnectorStandard, PowerType
from ampyre.services.connectors_admin import ConnectorService, NewConnector
from ampyre.services.id_tags import IdTagService
from ampyre.services.locations import LocationService
from ampyre.services.stations_admin import NewStation, StationAdminService


@dataclass(frozen=True, slots=True)
class DemoSite:
    id: str
    name: str
    street: str
    city: str
    postal_code: str
    country: str
    latitude: str
    longitude: str
    time_zone: str
    dc: bool
    points_of_interest: tuple[str, ...]


SITES = (
    DemoSite(
        "PL-WAW-01",
        "Warszawa Centrum",
        "ul. Marszałkowska 104",
        "Warszawa",
        "00-017",
        "PL",
        "52.2319581",
        "21.0067249",
        "Europe/Warsaw",
        True,
        ("shopping mall", "cafe"),
    ),
    DemoSite(
        "PL-KRK-01",
        "Kraków Rynek Parking",
        "ul. Karmelicka 5",
        "Kraków",
        "31-133",
        "PL",
        "50.0647220",
        "19.9336170",
        "Europe/Warsaw",
        False,
        ("old town", "toilets"),
    ),
    DemoSite(
        "DE-BER-01",
        "Berlin Alexanderplatz",
        "Alexanderstraße 9",
        "Berlin",
        "10178",
        "DE",
        "52.5219184",
        "13.4132147",
        "Europe/Berlin",
        True,
        ("train station", "restaurant"),
    ),
    DemoSite(
        "FI-HEL-01",
        "Helsinki Kamppi",
        "Urho Kekkosen katu 1",
        "Helsinki",
        "00100",
        "FI",
        "60.1690233",
        "24.9327520",
        "Europe/Helsinki",
        True,
        ("supermarket",),
    ),
    DemoSite(
        "IT-MIL-01",
        "Milano Porta Nuova",
        "Via Gaetano de Castillia 23",
        "Milano",
        "20124",
        "IT",
        "45.4840853",
        "9.1903830",
        "Europe/Rome",
        False,
        ("park", "cafe"),
    ),
    DemoSite(
        "ES-MAD-01",
        "Madrid Atocha",
        "Calle de Méndez Álvaro 2",
        "Madrid",
        "28045",
        "ES",
        "40.4065591",
        "-3.6894970",
        "Europe/Madrid",
        True,
        ("train station",),
    ),
)

STATIONS_PER_SITE = 2
DEPOT_SITE = "PL-KRK-01"
"""Its stations form the fleet plan's depot group."""
DEMO_CARDS = tuple(f"DEMO{n:04d}" for n in range(1, 11))
"""RFID cards of the demo customers' contracts (see ``demo_customers``)."""
STAFF_TAG = "DEMO-STAFF"
"""An operator tag: a service card that belongs to no contract."""
DEMO_TAGS = (*DEMO_CARDS, demo_vehicle_uid(), STAFF_TAG)
"""What the simulated stations present: customers' cards, an autocharge car, a staff card."""


def demo_station_ids() -> list[str]:
    return [f"{site.id}-{n}" for site in SITES for n in range(1, STATIONS_PER_SITE + 1)]


def demo_password(station_id: str) -> str:
    return f"demo-{station_id}-secret"


def evse_id(country: str, station_id: str, connector_id: int) -> str:
    """An eMI3-style EVSE id shown to drivers, e.g. ``PL*AMP*EPLWAW011*1``."""
    return f"{country}*AMP*E{station_id.replace('-', '')}*{connector_id}"


async def seed(ctx: CliContext, *, country: str = "PL", provider: str = "AMP") -> None:
    """Create whatever of the demo network is missing (running it twice changes nothing).

    ``country`` and ``provider`` make the demo contracts' eMAIDs (the operator's country and
    eMSP party id)."""
    locations = LocationService(ctx.uow_factory)
    stations = StationAdminService(ctx.uow_factory, ctx.clock)
    connectors = ConnectorService(ctx.uow_factory)
    tags = IdTagService(ctx.uow_factory)
    weekdays = tuple(OpeningPeriod(day, "06:00", "23:00") for day in range(1, 8))
    for site in SITES:
        location = Location(
            id=site.id,
            name=site.name,
            address=Address(site.street, site.city, site.postal_code, site.country),
            coordinates=GeoPoint(Decimal(site.latitude), Decimal(site.longitude)),
            time_zone=site.time_zone,
            opening_hours=OpeningHours() if site.dc else OpeningHours(False, weekdays),
            contact=Contact(phone="+48 22 000 00 00", email="support@ampyre.example"),
            points_of_interest=site.points_of_interest,
        )
        await _ignore_existing(locations.do_create_location(ctx.actor, location))
        for n in range(1, STATIONS_PER_SITE + 1):
            station_id = f"{site.id}-{n}"
            dc = site.dc and n == 1
            await _ignore_existing(
                stations.do_create_station(
                    ctx.actor,
                    NewStation(
                        id=station_id,
                        password=demo_password(station_id),
                        location_id=site.id,
                        name=f"{site.name} #{n}",
                        max_power_w=50_000 if dc else 22_000,
                        groups=(DEPOT_GROUP,) if site.id == DEPOT_SITE else (),
                    ),
                )
            )
            await stations.do_set_station_password(ctx.actor, station_id, demo_password(station_id))
            for connector_id in (1, 2):
                standard = (
                    (
                        ConnectorStandard.TYPE2_COMBO
                        if connector_id == 1
                        else ConnectorStandard.CHADEMO
                    )
                    if dc
                    else ConnectorStandard.TYPE2
                )
                await _ignore_existing(
                    connectors.do_create_connector(
                        ctx.actor,
                        NewConnector(
                            station_id=station_id,
                            connector_id=connector_id,
                            standard=standard,
                            format=ConnectorFormat.CABLE if dc else ConnectorFormat.SOCKET,
                            power_type=PowerType.DC if dc else PowerType.AC_3_PHASE,
                            max_power_w=50_000 if dc else 22_000,
                            evse_id=evse_id(site.country, station_id, connector_id),
                        ),
                    )
                )
    now: datetime = ctx.clock.now()
    await _ignore_existing(tags.do_add_tag(ctx.actor, IdTag(STAFF_TAG, note="service card")))
    await _ignore_existing(
        tags.do_add_tag(ctx.actor, IdTag("DEMO-BLOCKED", TagStatus.BLOCKED, note="lost card"))
    )
    await _ignore_existing(
        tags.do_add_tag(ctx.actor, IdTag("DEMO-EXPIRED", expires_at=now - timedelta(days=30)))
    )
    await seed_tariffs(
        ctx,
        polish_sites=[site.id for site in SITES if site.country == "PL"],
        dc_stations=[f"{site.id}-1" for site in SITES if site.country == "PL" and site.dc],
    )
    await seed_customers(ctx, country=country, provider=provider)


async def _ignore_existing(action: Awaitable[object]) -> None:
    with contextlib.suppress(Conflict):
        await action
