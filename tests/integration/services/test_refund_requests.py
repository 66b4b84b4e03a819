"""Refund requests over real databases (issue 5, Done-when 4): the rules approve a refund for
a session that went wrong and it is paid back within 20 minutes of simulated time, once;
any other waits for support, who approve or reject it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.integration.payment_fakes import FakeProvider, OneProvider

from ampyre.db.tables import connector_status_history
from ampyre.domain.customer_types import CustomerType
from ampyre.domain.customers import Customer, CustomerProfile
from ampyre.domain.errors import Conflict, Forbidden, ValidationFailed
from ampyre.domain.ledger import LedgerKind
from ampyre.domain.payments import MinorAmount, PaymentPurpose, PaymentState
from ampyre.domain.refunds import AUTO_REFUND_WITHIN, RefundRules, RefundStatus
from ampyre.domain.transactions import StopReason, Transaction
from ampyre.services.access import Actor
from ampyre.services.clock import FixedClock
from ampyre.services.payment_store import RefundRequest
from ampyre.services.payments import PaymentService
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.records import Role
from ampyre.services.refunds import RefundService

STARTED = datetime(2026, 11, 21, 10, tzinfo=UTC)
STOPPED = STARTED + timedelta(minutes=40)
REQUESTED = STARTED + timedelta(hours=2)
SUPPORT = Actor("sam", Role.SUPPORT_L2)
FRONT_DESK = Actor("fiona", Role.SUPPORT_L1)
OPERATOR = Actor("olga", Role.OPERATOR)


@dataclass
class World:
    uow: UnitOfWorkFactory
    clock: FixedClock
    provider: FakeProvider
    payments: PaymentService
    refunds: RefundService
    sessions: int = 0

    async def paid_session(
        self, wh: int, reason: StopReason = StopReason.LOCAL, cost: int = 4613
    ) -> int:
        """A finished session on CP-1 connector 1 that delivered ``wh`` and was paid
        ``cost`` grosze (authorised 150 PLN, captured at the cost)."""
        self.sessions += 1
        session = Transaction(0, "CP-1", 1, "CARD-1", 0, STARTED, STARTED, f"s-{self.sessions}")
        session.stop(meter_stop_wh=wh, at=STOPPED, received_at=STOPPED, reason=reason)
        async with self.uow() as work:
            transaction_id = await work.transactions.add(session)
            await work.commit()
        payment = await self.payments.do_authorise(
            "c-1",
            pln(15000),
            purpose=PaymentPurpose.SESSION,
            return_url="https://ampyre.test/back",
            description="charging session",
            transaction_id=transaction_id,
            method="pm_saved",
        )
        await self.payments.do_capture(payment.id, pln(cost))
        return transaction_id

    async def stored(self, refund_id: str) -> RefundRequest:
        async with self.uow() as work:
            found = await work.refunds.get(refund_id)
        assert found is not None
        return found

    async def refund_entries(self, transaction_id: int) -> list[int]:
        async with self.uow() as work:
            payment = await work.payments.for_transaction(transaction_id)
            assert payment is not None
            entries = await work.ledger.of_payment(payment.id)
        return [e.amount.value for e in entries if e.kind is LedgerKind.REFUND]

    async def refunded_at_provider(self, transaction_id: int) -> int:
        async with self.uow() as work:
            payment = await work.payments.for_transaction(transaction_id)
        assert payment is not None
        assert payment.reference is not None
        return self.provider.payments[payment.reference].refunded.value

    def refund_calls(self) -> int:
        return sum(key.startswith("refund:") for key in self.provider.answers)


def pln(minor: int) -> MinorAmount:
    return MinorAmount(minor, "PLN")


@pytest.fixture
async def world(uow: UnitOfWorkFactory) -> World:
    async with uow() as work:
        await work.customers.add(
            Customer("c-1", CustomerType.PRIVATE, CustomerProfile.AD_HOC, "Jan Kowalski")
        )
        await work.commit()
    clock = FixedClock(STOPPED)
    provider = FakeProvider()
    payments = PaymentService(uow, clock, OneProvider(provider))
    return World(uow, clock, provider, payments, RefundService(uow, clock, payments, RefundRules()))


async def test_a_session_without_energy_is_refunded_within_20_minutes_exactly_once(
    world: World,
) -> None:
    session = await world.paid_session(wh=50)
    world.clock.advance((REQUESTED - STOPPED).total_seconds())
    request = await world.refunds.do_request(SUPPORT, session, None, "the car did not charge")
    assert (request.status, request.automatic, request.amount) == (
        RefundStatus.APPROVED,
        True,
        pln(4613),
    )
    assert "0.05 kWh" in request.decision_reason
    assert request.due_by == REQUESTED + AUTO_REFUND_WITHIN

    world.clock.advance(60)  # the worker's next run, a minute later
    assert await world.refunds.do_pay_due() == 1
    assert await world.refunds.do_pay_due() == 0  # a second run pays nothing
    paid = await world.stored(request.id)
    assert paid.status is RefundStatus.PAID
    assert paid.paid_at is not None
    assert paid.paid_at <= request.requested_at + AUTO_REFUND_WITHIN
    assert world.refund_calls() == 1
    assert await world.refunded_at_provider(session) == 4613
    assert await world.refund_entries(session) == [4613]
    async with world.uow() as work:
        payment = await work.payments.for_transaction(session)
    assert payment is not None
    assert payment.state is PaymentState.REFUNDED


async def test_a_station_fault_is_refunded_automatically(world: World, engine: AsyncEngine) -> None:
    power_loss = await world.paid_session(wh=12_000, reason=StopReason.POWER_LOSS)
    request = await world.refunds.do_request(SUPPORT, power_loss, Decimal("10.00"), "stopped")
    assert (request.status, request.amount) == (RefundStatus.APPROVED, pln(1000))
    assert "PowerLoss" in request.decision_reason

    faulted = await world.paid_session(wh=12_000)
    async with engine.begin() as conn:
        await conn.execute(
            sa.insert(connector_status_history).values(
                station_id="CP-1",
                connector_id=1,
                status="Faulted",
                error_code="GroundFailure",
                received_at=STARTED + timedelta(minutes=20),
            )
        )
    request = await world.refunds.do_request(SUPPORT, faulted, Decimal("5.00"), "it stopped")
    assert request.automatic
    assert "fault" in request.decision_reason
    assert await world.refunds.do_pay_due() == 2
    assert await world.refund_entries(power_loss) == [1000]
    assert await world.refund_entries(faulted) == [500]


async def test_a_fault_outside_the_session_does_not_count(
    world: World, engine: AsyncEngine
) -> None:
    session = await world.paid_session(wh=12_000)
    async with engine.begin() as conn:
        for at in (STARTED - timedelta(minutes=5), STOPPED + timedelta(minutes=5)):
            await conn.execute(
                sa.insert(connector_status_history).values(
                    station_id="CP-1",
                    connector_id=1,
                    status="Faulted",
                    error_code="GroundFailure",
                    received_at=at,
                )
            )
    request = await world.refunds.do_request(SUPPORT, session, Decimal("5.00"), "too slow")
    assert request.status is RefundStatus.PENDING_APPROVAL


async def test_a_normal_session_waits_for_approval_then_is_paid(world: World) -> None:
    session = await world.paid_session(wh=12_000)
    request = await world.refunds.do_request(SUPPORT, session, Decimal("20.00"), "too slow")
    assert (request.status, request.automatic, request.due_by) == (
        RefundStatus.PENDING_APPROVAL,
        False,
        None,
    )
    for _ in range(21):  # the worker runs every minute for 21 minutes: nothing is paid
        world.clock.advance(60)
        assert await world.refunds.do_pay_due() == 0
    assert (await world.stored(request.id)).status is RefundStatus.PENDING_APPROVAL
    assert world.refund_calls() == 0
    queue = await world.refunds.list(FRONT_DESK, RefundStatus.PENDING_APPROVAL)
    assert [r.id for r in queue] == [request.id]

    with pytest.raises(Forbidden, match="refunds:approve"):
        await world.refunds.do_approve(FRONT_DESK, request.id)
    approved = await world.refunds.do_approve(SUPPORT, request.id)
    assert (approved.status, approved.decided_by) == (RefundStatus.APPROVED, "sam")
    assert approved.due_by == world.clock.now() + AUTO_REFUND_WITHIN
    with pytest.raises(Conflict, match="only a pending"):
        await world.refunds.do_approve(SUPPORT, request.id)
    assert await world.refunds.do_pay_due() == 1
    assert (await world.stored(request.id)).status is RefundStatus.PAID
    assert await world.refund_entries(session) == [2000]
    assert await world.refunds.list(OPERATOR, RefundStatus.PENDING_APPROVAL) == []


async def test_a_rejected_request_is_never_paid(world: World) -> None:
    session = await world.paid_session(wh=12_000)
    request = await world.refunds.do_request(SUPPORT, session, Decimal("46.13"), "too dear")
    rejected = await world.refunds.do_reject(OPERATOR, request.id, "the price was shown")
    assert (rejected.status, rejected.decision_reason, rejected.decided_by) == (
        RefundStatus.REJECTED,
        "the price was shown",
        "olga",
    )
    with pytest.raises(Conflict) as refused:
        await world.refunds.do_approve(SUPPORT, request.id)
    assert refused.value.code == "refund_not_pending"
    world.clock.advance(3600)
    assert await world.refunds.do_pay_due() == 0
    assert world.refund_calls() == 0
    # Rejected requests do not hold money back: the whole payment can be asked for again.
    again = await world.refunds.do_request(SUPPORT, session, None, "I was charged twice")
    assert again.amount == pln(4613)


async def test_more_than_was_paid_and_not_yet_asked_for_is_refused(world: World) -> None:
    session = await world.paid_session(wh=12_000)
    with pytest.raises(ValidationFailed, match=r"at most 46\.13 PLN"):
        await world.refunds.do_request(SUPPORT, session, Decimal("46.14"), "everything")
    await world.refunds.do_request(SUPPORT, session, Decimal("30.00"), "part")
    with pytest.raises(ValidationFailed, match=r"at most 16\.13 PLN"):
        await world.refunds.do_request(SUPPORT, session, Decimal("20.00"), "more")
    with pytest.raises(ValidationFailed, match="decimals"):
        await world.refunds.do_request(SUPPORT, session, Decimal("1.001"), "odd")
    with pytest.raises(ValidationFailed, match="reason"):
        await world.refunds.do_request(SUPPORT, session, Decimal("1.00"), "  ")
    with pytest.raises(Forbidden):
        await world.refunds.do_request(FRONT_DESK, session, Decimal("1.00"), "please")

    unpaid = Transaction(0, "CP-1", 2, "CARD-2", 0, STARTED, STARTED, "unpaid")
    unpaid.stop(meter_stop_wh=10, at=STOPPED, received_at=STOPPED, reason=StopReason.LOCAL)
    async with world.uow() as work:
        unpaid_id = await work.transactions.add(unpaid)
        await work.commit()
    with pytest.raises(Conflict) as refused:
        await world.refunds.do_request(SUPPORT, unpaid_id, None, "nothing")
    assert refused.value.code == "not_refundable"


async def test_no_answer_leaves_it_approved_and_the_retry_pays_once(world: World) -> None:
    session = await world.paid_session(wh=0)
    request = await world.refunds.do_request(SUPPORT, session, None, "no power")
    world.provider.lose_next_answer = True  # the provider refunds; its answer is lost
    assert await world.refunds.do_pay_due() == 0
    waiting = await world.stored(request.id)
    assert waiting.status is RefundStatus.APPROVED
    assert waiting.failure_message is not None
    assert "lost" in waiting.failure_message
    world.clock.advance(30)
    assert await world.refunds.do_pay_due() == 1
    assert (await world.stored(request.id)).status is RefundStatus.PAID
    assert world.refund_calls() == 1
    assert await world.refunded_at_provider(session) == 4613
    assert await world.refund_entries(session) == [4613]


async def test_a_claimed_request_is_left_to_its_payer(world: World) -> None:
    session = await world.paid_session(wh=0)
    request = await world.refunds.do_request(SUPPORT, session, None, "no power")
    async with world.uow() as work:
        due = await work.refunds.due(world.clock.now(), 10)
        assert [r.id for r in due] == [request.id]
        await work.refunds.update(replace(due[0], claimed_until=world.clock.now()))
        await work.commit()
    async with world.uow() as work:
        assert [r.id for r in await work.refunds.due(world.clock.now(), 10)] == [request.id]
        assert await work.refunds.due(world.clock.now() - timedelta(seconds=1), 10) == []
