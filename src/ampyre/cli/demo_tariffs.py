"""Demo prices: a day/night AC tariff in złoty for the Polish sites, a DC tariff with an
occupancy fee, and a euro network default for the rest, so demo sessions end in CDRs."""

from __future__ import annotations

import contextlib
from typing import Any

from ampyre.cli.context import CliContext
from ampyre.domain.errors import Conflict
from ampyre.domain.rating.assignment import AssignmentScope, TariffAssignment
from ampyre.formats.tariff_document import tariff_from_document
from ampyre.services.tariffs import TariffService


def _vat(price: str, dimension: str, vat: str, **extra: Any) -> dict[str, Any]:
    return {"dimension": dimension, "price": price, "vat_percent": vat, **extra}


DEMO_TARIFFS: dict[str, tuple[str, dict[str, Any]]] = {
    "DEMO-PL-AC": (
        "AC dzień/noc",
        {
            "currency": "PLN",
            "type": "AD_HOC_PAYMENT",
            "parking_grace_s": 7200,
            "texts": {"pl": "Ładowanie AC, taniej w nocy", "en": "AC charging, cheaper at night"},
            "elements": [
                {"components": [_vat("1.00", "FLAT", "23")]},
                {
                    "components": [_vat("1.89", "ENERGY", "23")],
                    "restrictions": {"start_time": "06:00", "end_time": "22:00"},
                },
                {
                    "components": [_vat("1.49", "ENERGY", "23")],
                    "restrictions": {"start_time": "22:00", "end_time": "06:00"},
                },
                {
                    "components": [
                        _vat("0.40", "PARKING_TIME", "23", time_unit="minute", step_size=60)
                    ]
                },
            ],
        },
    ),
    "DEMO-PL-DC": (
        "DC szybkie",
        {
            "currency": "PLN",
            "type": "AD_HOC_PAYMENT",
            "elements": [
                {"components": [_vat("2.69", "ENERGY", "23")]},
                {
                    "components": [_vat("0.50", "TIME", "23", time_unit="minute", step_size=60)],
                    "restrictions": {"min_duration_s": 2700},
                },
            ],
        },
    ),
    "DEMO-PL-FLEET": (
        "Fleet depot AC (plan price)",
        {
            "currency": "PLN",
            "type": "REGULAR",
            "elements": [{"components": [_vat("1.19", "ENERGY", "23")]}],
        },
    ),
    "DEMO-EU": (
        "Network default (EUR)",
        {
            "currency": "EUR",
            "type": "AD_HOC_PAYMENT",
            "min_price": {"excl_vat": "0.50", "incl_vat": "0.60"},
            "elements": [
                {"components": [_vat("0.39", "ENERGY", "20")]},
                {
                    "components": [
                        _vat("0.10", "PARKING_TIME", "20", time_unit="minute", step_size=60)
                    ]
                },
            ],
        },
    ),
}


async def seed_tariffs(ctx: CliContext, *, polish_sites: list[str], dc_stations: list[str]) -> None:
    """Create the demo tariffs and assign them (existing ones are left as they are)."""
    service = TariffService(ctx.uow_factory, ctx.clock)
    for tariff_id, (name, document) in DEMO_TARIFFS.items():
        with contextlib.suppress(Conflict):
            await service.do_create_tariff(
                ctx.actor, tariff_id, name, tariff_from_document(document)
            )
    assignments = [TariffAssignment("DEMO-EU", AssignmentScope.NETWORK)]
    assignments += [
        TariffAssignment("DEMO-PL-AC", AssignmentScope.LOCATION, site) for site in polish_sites
    ]
    assignments += [
        TariffAssignment("DEMO-PL-DC", AssignmentScope.STATION, station) for station in dc_stations
    ]
    for assignment in assignments:
        with contextlib.suppress(Conflict):
            await service.do_assign(ctx.actor, assignment)
