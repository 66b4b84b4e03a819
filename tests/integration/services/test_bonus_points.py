"""Bonus points over SQLite and PostgreSQL: earned after rated sessions (:func:`earn_bonus`),
redeemed towards a later session, adjusted by hand; the ledger always balances.

Sessions are priced by the network tariff AC (1.00 per session + 0.30 per kWh, 23 % VAT),
so 10 kWh cost 4.92 and 2 kWh 1.97 including VAT. Plan GREEN gives 10 points per kWh and a
point is worth 0.05 EUR.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ampyre.domain.contracts import Contract
from ampyre.domain.customer_types import CustomerType
from ampyre.domain.customers import Customer, CustomerProfile
from ampyre.domain.emaid import Emaid
from ampyre.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ampyre.domain.plans import BonusBasis, BonusRule, Plan
from ampyre.domain.rating.assignment import AssignmentScope, TariffAssignment
from ampyre.domain.rating.cdr import Cdr
from ampyre.domain.rating.tariff import Dimension, PriceComponent, Tariff, TariffElement
from ampyre.domain.stations import Station
from ampyre.domain.tokens import BonusMovement
from ampyre.domain.transactions import StopReason, Transaction
from ampyre.services.access import Actor
from ampyre.services.bonus import BonusService, earn_bonus
from ampyre.services.clock import FixedClock
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.rating import RatingService
from ampyre.services.records import Role
from ampyre.services.tariffs import TariffService

T = datetime(2026, 1, 12, 20, 0, tzinfo=UTC)
ADMIN = Actor("token:admin", Role.ADMIN)
SUPPORT = Actor("token:support", Role.SUPPORT_L2)
CALL_CENTRE = Actor("token:call centre", Role.CALL_CENTRE)

GREEN = Emaid.new("PL", "AMP", "C00000001")
"""Plan GREEN: 10 points per kWh, a point is worth 0.05 EUR."""
PLAIN = Emaid.new("PL", "AMP", "C00000002")
"""Plan PLAIN: no bonus points."""
ZLOTY = Emaid.new("PL", "AMP", "C00000003")
"""Plan ZLOTY: points counted in PLN (sessions here are priced in EUR)."""
COSTLY = Emaid.new("PL", "AMP", "C00000004")
"""Plan COSTLY: 2 points per EUR paid, a point is worth 5.00 EUR."""
OPERATOR_TAG = None


def rule(basis: BonusBasis, per_unit: str, value: str) -> BonusRule:
    return BonusRule(basis, Decimal(per_unit), Decimal(value))


PLANS = {
    GREEN: ("GREEN", "EUR", rule(BonusBasis.ENERGY, "10", "0.05")),
    PLAIN: ("PLAIN", "EUR", None),
    ZLOTY: ("ZLOTY", "PLN", rule(BonusBasis.AMOUNT, "1", "0.10")),
    COSTLY: ("COSTLY", "EUR", rule(BonusBasis.AMOUNT, "2", "5.00")),
}


@dataclass
class World:
    uow: UnitOfWorkFactory
    clock: FixedClock
    rating: RatingService
    bonus: BonusService
    sessions: int = 0

    async def session(
        self, contract: Emaid | None, kwh: int, *, rated: bool = True, as_operator: bool = False
    ) -> tuple[Transaction, Cdr | None]:
        """A finished session of ``kwh`` under ``contract`` (its plan set at start, as the
        pipeline does), rated unless told otherwise. ``as_operator`` stores it without the
        contract (an operator tag) and returns it with the contract set, so the rating
        service can never have earned points for it."""
        self.sessions += 1
        start = T + timedelta(hours=self.sessions)
        stored_contract = None if as_operator or contract is None else contract
        session = Transaction(
            0,
            "CP-1",
            1,
            "CARD-1",
            0,
            start,
            start,
            f"session-{self.sessions}",
            contract_id=stored_contract.compact if stored_contract else None,
            plan_id=PLANS[stored_contract][0] if stored_contract else None,
        )
        if rated:
            end = start + timedelta(minutes=30)
            session.stop(meter_stop_wh=kwh * 1000, at=end, received_at=end, reason=StopReason.LOCAL)
        async with self.uow() as work:
            session.id = await work.transactions.add(session)
            await work.commit()
        cdr = await self.rating.do_rate_transaction(session.id) if rated else None
        if contract is not None:
            session = replace(session, contract_id=contract.compact, plan_id=PLANS[contract][0])
        return session, cdr

    async def earn(self, *sessions: tuple[Transaction, Cdr | None]) -> int:
        async with self.uow() as work:
            written = await earn_bonus(
                work, [(t, c) for t, c in sessions if c is not None], self.clock.now()
            )
            await work.commit()
        return written

    async def ledger(self, contract: Emaid) -> list[tuple[BonusMovement, int, str]]:
        statement = await self.bonus.ledger(ADMIN, contract.compact)
        return [(e.movement, e.points, e.reference) for e in statement.ledger.entries]


@pytest.fixture
async def world(uow: UnitOfWorkFactory) -> World:
    clock = FixedClock(T + timedelta(days=1))
    tariffs = TariffService(uow, clock)
    ac = Tariff(
        currency="EUR",
        elements=(
            TariffElement((PriceComponent(Dimension.FLAT, Decimal("1.00"), Decimal("23")),)),
            TariffElement((PriceComponent(Dimension.ENERGY, Decimal("0.30"), Decimal("23")),)),
        ),
    )
    await tariffs.do_create_tariff(ADMIN, "AC", "AC", ac)
    await tariffs.do_assign(ADMIN, TariffAssignment("AC", AssignmentScope.NETWORK))
    async with uow() as work:
        await work.stations.add(Station("CP-1"))
        await work.customers.add(
            Customer("c-1", CustomerType.PRIVATE, CustomerProfile.SUBSCRIBER, "Anna Nowak")
        )
        for contract, (plan_id, currency, bonus) in PLANS.items():
            zero = Decimal("0.00")
            await work.plans.add(Plan(plan_id, plan_id, currency, zero, zero, T, bonus=bonus))
            await work.contracts.add(Contract(contract, "c-1", plan_id, T))
        await work.commit()
    return World(uow, clock, RatingService(uow, clock), BonusService(uow, clock))


def session_ref(session: tuple[Transaction, Cdr | None]) -> str:
    return f"session:{session[0].id}"


async def test_points_are_earned_after_a_session_and_redeemed_on_a_later_one(
    world: World,
) -> None:
    first = await world.session(GREEN, 10)
    assert first[1] is not None
    assert first[1].total.incl_vat == Decimal("4.92")
    await world.earn(first)
    assert await world.ledger(GREEN) == [(BonusMovement.EARN, 100, session_ref(first))]
    assert await world.earn(first) == 0  # a re-run (or a second rater) writes nothing

    later = await world.session(GREEN, 2)
    assert later[1] is not None
    assert later[1].total.incl_vat == Decimal("1.97")
    await world.earn(later)
    assert (await world.bonus.ledger(ADMIN, GREEN.compact)).balance == 120

    redemption = await world.bonus.do_redeem(SUPPORT, str(GREEN), later[0].id)

    # 39 points of 0.05 fit in 1.97; a 40th would pay more than the session costs
    assert (redemption.points, redemption.value, redemption.currency) == (
        39,
        Decimal("1.95"),
        "EUR",
    )
    assert redemption.amount_due == Decimal("1.97")
    assert redemption.value <= redemption.amount_due
    assert redemption.remaining_due == Decimal("0.02")
    assert (redemption.balance, redemption.entry.actor) == (81, "token:support")
    statement = await world.bonus.ledger(ADMIN, GREEN.compact)
    assert await world.ledger(GREEN) == [
        (BonusMovement.EARN, 100, session_ref(first)),
        (BonusMovement.EARN, 20, session_ref(later)),
        (BonusMovement.REDEEM, -39, session_ref(later)),
    ]
    assert (statement.balance, statement.point_value) == (81, Decimal("0.05"))
    assert statement.balance_value == Decimal("4.05")

    with pytest.raises(Conflict, match="already been paid with points") as twice:
        await world.bonus.do_redeem(SUPPORT, GREEN.compact, later[0].id)
    assert twice.value.code == "already_recorded"
    assert await world.earn(first, later) == 0


async def test_the_ledger_balances_and_never_goes_negative(world: World) -> None:
    first = await world.session(GREEN, 10)
    second = await world.session(GREEN, 2)
    await world.earn(first, second)
    await world.bonus.do_redeem(SUPPORT, GREEN.compact, second[0].id)

    after = await world.bonus.do_adjust(SUPPORT, GREEN.compact, 10, "  goodwill: broken card ")
    assert after.balance == 91
    assert after.ledger.entries[-1].reference == "goodwill: broken card"
    assert after.ledger.entries[-1].actor == "token:support"
    with pytest.raises(Conflict, match="below zero") as refused:
        await world.bonus.do_adjust(SUPPORT, GREEN.compact, -92, "correction")
    assert refused.value.code == "insufficient_points"
    with pytest.raises(ValidationFailed, match="at least one point"):
        await world.bonus.do_adjust(SUPPORT, GREEN.compact, 0, "nothing")
    emptied = await world.bonus.do_adjust(SUPPORT, GREEN.compact, -91, "correction")

    entries = emptied.ledger.entries
    earned = sum(e.points for e in entries if e.movement is BonusMovement.EARN)
    redeemed = -sum(e.points for e in entries if e.movement is BonusMovement.REDEEM)
    adjusted = sum(e.points for e in entries if e.movement is BonusMovement.ADJUST)
    assert (earned, redeemed, adjusted) == (120, 39, -81)
    assert emptied.balance == earned - redeemed + adjusted == 0
    assert [e.points for e in entries] == [100, 20, -39, 10, -91]  # the refused one is not there
    with pytest.raises(Conflict, match="no bonus points to redeem") as empty:
        await world.bonus.do_redeem(SUPPORT, GREEN.compact, first[0].id)
    assert empty.value.code == "nothing_to_redeem"


async def test_redeeming_is_refused_with_a_reason(world: World) -> None:
    mine = await world.session(GREEN, 10)
    theirs = await world.session(PLAIN, 10)
    running = await world.session(GREEN, 0, rated=False)
    in_euro = await world.session(ZLOTY, 10)
    await world.earn(mine)
    await world.bonus.do_adjust(SUPPORT, PLAIN.compact, 50, "welcome")
    await world.bonus.do_adjust(SUPPORT, ZLOTY.compact, 50, "welcome")
    await world.bonus.do_adjust(SUPPORT, COSTLY.compact, 50, "welcome")
    costly = await world.session(COSTLY, 10)

    refusals = [
        (GREEN, theirs, "session_not_under_contract", "was not charged under contract"),
        (GREEN, running, "session_not_rated", "has no CDR yet"),
        (PLAIN, theirs, "no_bonus_rule", "has no bonus points rule"),
        (ZLOTY, in_euro, "currency_mismatch", "priced in EUR"),
        (COSTLY, costly, "nothing_to_redeem", "less than one point's value of 5.00 EUR"),
    ]
    for contract, (session, _), code, text in refusals:
        with pytest.raises(Conflict, match=text) as refused:
            await world.bonus.do_redeem(SUPPORT, contract.compact, session.id)
        assert refused.value.code == code, text

    with pytest.raises(NotFound, match="transaction 999999"):
        await world.bonus.do_redeem(SUPPORT, GREEN.compact, 999_999)
    unknown = Emaid.new("PL", "AMP", "C00000099").compact
    with pytest.raises(NotFound, match=f"contract {unknown} does not exist"):
        await world.bonus.do_redeem(SUPPORT, unknown, mine[0].id)
    with pytest.raises(ValidationFailed, match="not an eMA ID"):
        await world.bonus.ledger(ADMIN, "PL-AMP-1")
    with pytest.raises(Forbidden):
        await world.bonus.do_redeem(CALL_CENTRE, GREEN.compact, mine[0].id)
    with pytest.raises(Forbidden):
        await world.bonus.do_adjust(CALL_CENTRE, GREEN.compact, 5, "goodwill")
    with pytest.raises(Forbidden):
        await world.bonus.ledger(Actor("installer", Role.INSTALLER), GREEN.compact)
    assert (await world.bonus.ledger(CALL_CENTRE, str(GREEN))).balance == 100
    assert await world.ledger(GREEN) == [(BonusMovement.EARN, 100, session_ref(mine))]
    plain = await world.bonus.ledger(ADMIN, PLAIN.compact)
    assert (plain.balance, plain.point_value, plain.balance_value) == (50, None, None)


async def test_earn_bonus_writes_one_entry_per_earning_session(world: World) -> None:
    """Sessions stored without their contract (the rating service cannot have earned
    for them), handed to earn_bonus with it, as the rating service will."""
    ten = await world.session(GREEN, 10, as_operator=True)
    two = await world.session(GREEN, 2, as_operator=True)
    nothing = await world.session(GREEN, 0, as_operator=True)  # 0 kWh earns 0 points
    plain = await world.session(PLAIN, 10, as_operator=True)
    zloty = await world.session(ZLOTY, 10, as_operator=True)  # EUR session, PLN points
    operator = await world.session(OPERATOR_TAG, 10)
    costly = await world.session(COSTLY, 10, as_operator=True)  # 2 × 4.92 → 9 points
    rerated, cdr = await world.session(GREEN, 5, as_operator=True)
    assert cdr is not None
    second_cdr = (rerated, replace(cdr, sequence=2))  # only first CDRs earn

    batch = [second_cdr, ten, two, nothing, plain, zloty, operator, costly, ten]
    assert await world.earn(*batch) == 3

    assert await world.ledger(GREEN) == [
        (BonusMovement.EARN, 100, session_ref(ten)),
        (BonusMovement.EARN, 20, session_ref(two)),
    ]
    assert await world.ledger(COSTLY) == [(BonusMovement.EARN, 9, session_ref(costly))]
    assert await world.ledger(PLAIN) == await world.ledger(ZLOTY) == []
    entry = (await world.bonus.ledger(ADMIN, GREEN.compact)).ledger.entries[0]
    assert (entry.at, entry.actor) == (world.clock.now(), "system")
    assert await world.earn(*batch) == 0
    assert await world.earn() == 0


async def test_concurrent_earners_record_each_session_once(world: World) -> None:
    batch = [await world.session(GREEN, kwh, as_operator=True) for kwh in (1, 2, 3)]
    batch.append(await world.session(COSTLY, 10, as_operator=True))

    written = await asyncio.gather(*(world.earn(*batch) for _ in range(3)))

    assert sum(written) == 4
    assert [points for _, points, _ in await world.ledger(GREEN)] == [10, 20, 30]
    assert [points for _, points, _ in await world.ledger(COSTLY)] == [9]


async def test_concurrent_redemptions_never_spend_the_same_points_twice(world: World) -> None:
    big, small = await world.session(GREEN, 10), await world.session(GREEN, 2)
    await world.earn(big, small)  # 120 points: 98 fit in 4.92, 39 in 1.97
    # two pooled connections, so neither redemption waits for a new one and they overlap
    await asyncio.gather(*(world.bonus.ledger(ADMIN, GREEN.compact) for _ in range(2)))

    done = await asyncio.gather(
        world.bonus.do_redeem(SUPPORT, GREEN.compact, big[0].id),
        world.bonus.do_redeem(SUPPORT, GREEN.compact, small[0].id),
    )

    # whichever went first, the second got what was left
    assert sum(r.points for r in done) == 120
    assert sorted(r.balance for r in done) in ([0, 120 - 98], [0, 120 - 39])
    assert (await world.bonus.ledger(ADMIN, GREEN.compact)).balance == 0
