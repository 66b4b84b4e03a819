"""The demo network comes with prices (each demo station resolves to a tariff) and with
customers whose cards the simulated stations use."""

from __future__ import annotations

from datetime import UTC, datetime

from ampyre.cli.context import CliContext
from ampyre.cli.demo_data import DEMO_TAGS, SITES, seed
from ampyre.domain.authorization import AuthorizationTrigger
from ampyre.domain.id_tags import AuthorizationStatus
from ampyre.services.authorization import AuthorizationRequest, AuthorizationService
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
    # The network default, the two Polish sites, the Warsaw DC station, the fleet plan's
    # depot price.
    assert len(await tariffs.list_assignments(ctx.actor)) == 1 + 2 + 1 + 1
    depot = await tariffs.resolve(ctx.actor, f"{krk.id}-1", plan_id="DEMO-FLEET")
    elsewhere = await tariffs.resolve(ctx.actor, f"{waw.id}-2", plan_id="DEMO-FLEET")
    assert (depot.tariff_id, elsewhere.tariff_id) == ("DEMO-PL-FLEET", "DEMO-PL-AC")


async def test_every_demo_card_may_charge_and_the_lost_one_may_not(
    uow: UnitOfWorkFactory,
) -> None:
    ctx = CliContext(uow, FixedClock(NOW))
    await seed(ctx)
    service = AuthorizationService(uow, FixedClock(NOW))
    station = f"{SITES[0].id}-2"
    answers = {}
    async with uow() as work:
        for uid in (*DEMO_TAGS, "DEMO-LOST", "DEMO-BLOCKED"):
            request = AuthorizationRequest(uid, AuthorizationTrigger.AUTHORIZE, station)
            answers[uid] = (await service.decide(work, request)).authorization.status
    assert {uid: answers[uid] for uid in DEMO_TAGS} == dict.fromkeys(
        DEMO_TAGS, AuthorizationStatus.ACCEPTED
    )
    assert answers["DEMO-LOST"] is AuthorizationStatus.BLOCKED
    assert answers["DEMO-BLOCKED"] is AuthorizationStatus.BLOCKED
