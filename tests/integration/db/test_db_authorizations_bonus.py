"""The authorisation log and bonus ledgers round-trip through their repositories."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from dbfactories import T0, at

from ampyre.db.repositories.authorizations import UIDS_PER_QUERY
from ampyre.domain.authorization import AuthorizationAttempt, AuthorizationTrigger
from ampyre.domain.contracts import Contract
from ampyre.domain.customer_types import CustomerType
from ampyre.domain.customers import Customer, CustomerProfile
from ampyre.domain.emaid import Emaid
from ampyre.domain.errors import Conflict
from ampyre.domain.id_tags import AuthorizationStatus
from ampyre.domain.plans import Plan
from ampyre.domain.tokens import BonusEntry, BonusLedger, BonusMovement, TokenKind
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.records import AuthorizationFilter, Page

ACCEPTED, BLOCKED, INVALID = (
    AuthorizationStatus.ACCEPTED,
    AuthorizationStatus.BLOCKED,
    AuthorizationStatus.INVALID,
)
START, STOP, AUTHORIZE = (
    AuthorizationTrigger.START,
    AuthorizationTrigger.STOP,
    AuthorizationTrigger.AUTHORIZE,
)
FIRST = Emaid.new("PL", "AMP", "C00000001").compact
SECOND = Emaid.new("PL", "AMP", "C00000002").compact


def attempt(seconds: float, uid: str = "CARD-1", **changes: Any) -> AuthorizationAttempt:
    values: dict[str, Any] = {
        "at": at(seconds),
        "trigger": START,
        "uid": uid,
        "status": ACCEPTED,
        "reason": "ok",
        "station_id": "ST-1",
    }
    values.update(changes)
    return AuthorizationAttempt(**values)


async def store(uow: UnitOfWorkFactory, *attempts: AuthorizationAttempt) -> list[int]:
    async with uow() as work:
        ids = [await work.authorizations.add(a) for a in attempts]
        await work.commit()
    return ids


async def search(uow: UnitOfWorkFactory, page: Page | None = None, **flt: Any) -> list[int]:
    async with uow() as work:
        found = await work.authorizations.search(AuthorizationFilter(**flt), page or Page())
    return [a.id for a in found if a.id is not None]


async def test_an_attempt_round_trips_with_every_field(uow: UnitOfWorkFactory) -> None:
    full = attempt(
        0,
        "04A1B2C3",
        trigger=AuthorizationTrigger.REMOTE_START,
        status=AuthorizationStatus.CONCURRENT_TX,
        reason="token is already in use in another session",
        connector_id=2,
        token_kind=TokenKind.RFID,
        contract_id=FIRST,
        customer_id="c-1",
        tariff_id="AC",
        transaction_id=17,
    )
    bare = attempt(5, "UNKNOWN", station_id=None, status=INVALID, reason="unknown token")
    first, second = await store(uow, full, bare)

    async with uow() as work:
        found = await work.authorizations.search(AuthorizationFilter(), Page())
    assert found == [replace(bare, id=second), replace(full, id=first)]
    assert second > first


async def test_search_is_newest_first_and_every_filter_narrows_it(
    uow: UnitOfWorkFactory,
) -> None:
    a, b, c, d, e = await store(
        uow,
        attempt(0, "CARD-1", contract_id=FIRST, customer_id="c-1"),
        attempt(60, "CARD-2", station_id="ST-2", status=BLOCKED, trigger=AUTHORIZE),
        attempt(120, "CARD-1", contract_id=FIRST, customer_id="c-1", trigger=STOP),
        attempt(120, "CARD-3", contract_id=SECOND, customer_id="c-2", status=INVALID),
        attempt(180, "CARD-1", station_id="ST-2", contract_id=FIRST, customer_id="c-1"),
    )

    assert await search(uow) == [e, d, c, b, a]  # same instant: the later recorded first
    assert await search(uow, uid="CARD-1") == [e, c, a]
    assert await search(uow, uid="card-1") == []
    assert await search(uow, station_id="ST-2") == [e, b]
    assert await search(uow, customer_id="c-1") == [e, c, a]
    assert await search(uow, contract_id=SECOND) == [d]
    assert await search(uow, status=BLOCKED) == [b]
    assert await search(uow, trigger=STOP) == [c]
    assert await search(uow, trigger=START, status=ACCEPTED) == [e, a]
    assert await search(uow, at_from=at(60), at_to=at(180)) == [d, c, b]
    assert await search(uow, at_from=at(120)) == [e, d, c]
    assert await search(uow, at_to=at(60)) == [a]
    assert await search(uow, uid="CARD-1", station_id="ST-1", at_from=at(1)) == [c]
    assert await search(uow, Page(limit=2, offset=1)) == [d, c]


async def test_stations_that_accepted_a_uid(uow: UnitOfWorkFactory) -> None:
    await store(
        uow,
        attempt(0, "CARD-1", station_id="ST-1"),
        attempt(1, "CARD-1", station_id="ST-2", status=BLOCKED),
        attempt(2, "CARD-2", station_id="ST-3"),
        attempt(3, "CARD-2", station_id=None, trigger=AuthorizationTrigger.REMOTE_START),
        attempt(4, "CARD-3", station_id="ST-4"),
        attempt(5, "CARD-1", station_id="ST-1"),
    )
    async with uow() as work:
        assert await work.authorizations.stations_that_accepted(["CARD-1"]) == {"ST-1"}
        assert await work.authorizations.stations_that_accepted(["CARD-1", "CARD-2"]) == {
            "ST-1",
            "ST-3",
        }
        assert await work.authorizations.stations_that_accepted([]) == set()
        many = [f"X-{n}" for n in range(UIDS_PER_QUERY * 2)] + ["CARD-3"]
        assert await work.authorizations.stations_that_accepted(many) == {"ST-4"}


async def contracts_for_bonus(uow: UnitOfWorkFactory) -> None:
    """Contracts FIRST and SECOND of one customer under a plan."""
    async with uow() as work:
        await work.customers.add(
            Customer("c-1", CustomerType.PRIVATE, CustomerProfile.SUBSCRIBER, "Anna Nowak")
        )
        await work.plans.add(Plan("BASIC", "Basic", "EUR", Decimal("0.00"), Decimal("0.00"), T0))
        for contract_id in (FIRST, SECOND):
            await work.contracts.add(Contract(Emaid.parse(contract_id), "c-1", "BASIC", T0))
        await work.commit()


def entry(movement: BonusMovement, points: int, seconds: float, ref: str) -> BonusEntry:
    actor = "system" if movement is BonusMovement.EARN else "token:support"
    value = Decimal(-points) / 10 if movement is BonusMovement.REDEEM else None
    return BonusEntry(movement, points, at(seconds), ref, actor, value)


async def test_a_ledger_keeps_its_entries_in_the_order_recorded(uow: UnitOfWorkFactory) -> None:
    await contracts_for_bonus(uow)
    earned = entry(BonusMovement.EARN, 40, 0, "session:1")
    redeemed = entry(BonusMovement.REDEEM, -30, 10, "session:2")
    goodwill = entry(BonusMovement.ADJUST, 5, 5, "goodwill")  # recorded last, dated earlier
    async with uow() as work:
        assert await work.bonus.ledger(FIRST) == BonusLedger()
        await work.bonus.append(FIRST, [earned, redeemed])
        await work.bonus.append(FIRST, [goodwill, goodwill])  # an adjustment may repeat
        await work.bonus.append(SECOND, [earned])  # the same session of another contract
        await work.bonus.append(SECOND, [])
        await work.commit()

    async with uow() as work:
        first = await work.bonus.ledger(FIRST)
        second = await work.bonus.ledger(SECOND)
    assert first.entries == (earned, redeemed, goodwill, goodwill)
    assert first.balance == 20
    assert second.entries == (earned,)


@pytest.mark.parametrize("movement", [BonusMovement.EARN, BonusMovement.REDEEM])
async def test_a_session_earns_or_redeems_once_and_the_unit_of_work_goes_on(
    uow: UnitOfWorkFactory, movement: BonusMovement
) -> None:
    await contracts_for_bonus(uow)
    points = 10 if movement is BonusMovement.EARN else -10
    async with uow() as work:
        await work.bonus.append(FIRST, [entry(BonusMovement.EARN, 50, 0, "session:0")])
        await work.bonus.append(FIRST, [entry(movement, points, 1, "session:1")])
        await work.commit()

    again = entry(movement, points, 2, "session:1")
    fresh = entry(BonusMovement.EARN, 7, 3, "session:9")
    async with uow() as work:
        with pytest.raises(Conflict, match="'session:1' is already recorded as") as refused:
            await work.bonus.append(FIRST, [fresh, again])
        assert refused.value.code == "already_recorded"
        with pytest.raises(Conflict, match="appears twice") as twice:
            await work.bonus.append(FIRST, [fresh, fresh])
        assert twice.value.code == "already_recorded"
        await work.bonus.append(FIRST, [fresh])
        await work.commit()

    async with uow() as work:
        stored = await work.bonus.ledger(FIRST)
    assert [e.reference for e in stored.entries] == ["session:0", "session:1", "session:9"]
