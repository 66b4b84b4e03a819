"""The demo network comes with prices: each demo station resolves to a tariff."""

from __future__ import annotations

from datetime import UTC, datetime

from ampyre.cli.context import CliContext
from ampyre.cli.demo_data import SITES, seed
from ampyre.services.clock import FixedClock
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.tariffs import TariffService

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)


async def test_demo_seed_assigns_tariffs_and_is_repeatable(uow: UnitOfWorkFactory) -> None:
    ctx = CliContext(uow, FixedClock(NOW))
    await seed(ctx)
    await seed(ctx)
    tariffs = TariffService(uow, FixedClock(NOW))
    waw, krk, berlin = SITES[0], SITES[1], SITES[2]
    assert (waw.country, krk.country, berlin.country) == ("PL", "PL", "DE")
    assert (waw.dc, krk.dc) == (True, False)
    resolved = {
        station: (await tariffs.resolve(ctx.actor, station)).tariff_id
        for station in (f"{waw.id}-1", f"{waw.id}-2", f"{krk.id}-1", f"{berlin.id}-1")
    }
    assert resolved == {
        f"{waw.id}-1": "DEMO-PL-DC",
        f"{waw.id}-2": "DEMO-PL-AC",
        f"{krk.id}-1": "DEMO-PL-AC",
        f"{berlin.id}-1": "DEMO-EU",
    }
    assert len(await tariffs.list_assignments(ctx.actor)) == 1 + 2 + 1
