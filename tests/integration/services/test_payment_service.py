"""The payment service over real databases: every move of a payment happens once, whatever
arrives twice, late, or at the same time (issue 5, Done-when 2)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from tests.integration.payment_fakes import FakeProvider, OneProvider

from ampyre.domain.customer_types import CustomerType
from ampyre.domain.customers import Customer, CustomerProfile
from ampyre.domain.errors import Conflict, ValidationFailed
from ampyre.domain.ledger import LedgerKind
from ampyre.domain.payments import MinorAmount, Payment, PaymentPurpose, PaymentState
from ampyre.services.clock import FixedClock
from ampyre.services.payment_port import InvalidWebhook, PaymentProviderUnavailable
from ampyre.services.payment_store import LogStage
from ampyre.services.payments import PaymentService
from ampyre.services.ports import UnitOfWorkFactory

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)
SAVED_CARD = "pm_saved"


def pln(minor: int) -> MinorAmount:
    return MinorAmount(minor, "PLN")


@pytest.fixture
async def service(uow: UnitOfWorkFactory) -> tuple[PaymentService, FakeProvider]:
    async with uow() as work:
        await work.customers.add(
            Customer("c-1", CustomerType.PRIVATE, CustomerProfile.AD_HOC, "Jan Kowalski")
        )
        await work.commit()
    provider = FakeProvider()
    return PaymentService(uow, FixedClock(NOW), OneProvider(provider)), provider


async def authorised(service: PaymentService) -> Payment:
    payment = await service.do_authorise(
        "c-1",
        pln(15000),
        purpose=PaymentPurpose.SESSION,
        return_url="https://ampyre.test/back",
        description="charging session",
        method=SAVED_CARD,
    )
    assert payment.state is PaymentState.AUTHORIZED
    return payment


async def ledger(uow: UnitOfWorkFactory, payment_id: str) -> list[tuple[LedgerKind, int]]:
    async with uow() as work:
        return [(e.kind, e.amount.value) for e in await work.ledger.of_payment(payment_id)]


def webhook(
    event_id: str, reference: str, state: PaymentState, captured: int = 0, refunded: int = 0
) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "type": f"payment.{state.value}",
            "payment": reference,
            "state": state.value,
            "captured": captured,
            "refunded": refunded,
        }
    ).encode()


OK = {"fake-signature": "ok"}


async def test_authorise_then_capture_the_exact_cost(
    uow: UnitOfWorkFactory, service: tuple[PaymentService, FakeProvider]
) -> None:
    payments, _ = service
    payment = await authorised(payments)
    captured = await payments.do_capture(payment.id, pln(4613))
    assert (captured.state, captured.captured) == (PaymentState.PARTIALLY_CAPTURED, pln(4613))
    assert await ledger(uow, payment.id) == [
        (LedgerKind.AUTHORIZATION, 15000),
        (LedgerKind.CAPTURE, 4613),
        (LedgerKind.RELEASE, 15000 - 4613),
    ]
    async with uow() as work:
        steps = [(e.stage, e.operation) for e in await work.payment_log.of_payment(payment.id)]
    assert steps == [
        (LogStage.REQUEST, "authorise"),
        (LogStage.RESPONSE, "authorise"),
        (LogStage.REQUEST, "capture"),
        (LogStage.RESPONSE, "capture"),
    ]


async def test_duplicate_and_out_of_order_webhooks_move_the_payment_once(
    uow: UnitOfWorkFactory, service: tuple[PaymentService, FakeProvider]
) -> None:
    payments, provider = service
    payment = await authorised(payments)
    reference = payment.reference
    assert reference is not None
    # The provider captures (e.g. from its dashboard) and reports it; the events arrive
    # captured first, then the older "authorized", then the capture again.
    await provider.capture(reference, pln(15000), idempotency_key="dashboard")
    captured = webhook("evt_2", reference, PaymentState.CAPTURED, captured=15000)
    late = webhook("evt_1", reference, PaymentState.AUTHORIZED)
    first = await payments.do_handle_webhook("fake", captured, OK)
    again = await payments.do_handle_webhook("fake", captured, OK)
    older = await payments.do_handle_webhook("fake", late, OK)
    assert (first.moved, first.duplicate) == (True, False)
    assert (again.moved, again.duplicate) == (False, True)
    assert (older.moved, older.duplicate) == (False, False)
    async with uow() as work:
        stored = await work.payments.get(payment.id)
    assert stored is not None
    assert stored.state is PaymentState.CAPTURED
    assert await ledger(uow, payment.id) == [
        (LedgerKind.AUTHORIZATION, 15000),
        (LedgerKind.CAPTURE, 15000),
    ]


async def test_a_capture_retried_after_a_timeout_captures_once(
    uow: UnitOfWorkFactory, service: tuple[PaymentService, FakeProvider]
) -> None:
    payments, provider = service
    payment = await authorised(payments)
    provider.lose_next_answer = True
    with pytest.raises(PaymentProviderUnavailable):
        await payments.do_capture(payment.id, pln(4613))
    retried = await payments.do_capture(payment.id, pln(4613))
    assert retried.captured == pln(4613)
    assert provider.captures == 1
    assert [k for k, _ in await ledger(uow, payment.id)].count(LedgerKind.CAPTURE) == 1
    async with uow() as work:
        stages = [e.stage for e in await work.payment_log.of_payment(payment.id)]
    assert LogStage.ERROR in stages


async def test_two_concurrent_captures_of_one_session_capture_once(
    uow: UnitOfWorkFactory, service: tuple[PaymentService, FakeProvider]
) -> None:
    payments, provider = service
    payment = await authorised(payments)
    results = await asyncio.gather(
        payments.do_capture(payment.id, pln(4613)),
        payments.do_capture(payment.id, pln(4613)),
        return_exceptions=True,
    )
    captured = [r for r in results if isinstance(r, Payment)]
    assert captured, results
    assert all(p.captured == pln(4613) for p in captured)
    assert provider.captures == 1
    assert [k for k, _ in await ledger(uow, payment.id)].count(LedgerKind.CAPTURE) == 1


async def test_zero_cost_voids_and_refunds_pay_back_once(
    uow: UnitOfWorkFactory, service: tuple[PaymentService, FakeProvider]
) -> None:
    payments, _ = service
    voided = await payments.do_capture((await authorised(payments)).id, pln(0))
    assert voided.state is PaymentState.VOIDED
    assert (await ledger(uow, voided.id))[-1] == (LedgerKind.RELEASE, 15000)

    paid = await payments.do_capture((await authorised(payments)).id, pln(15000))
    with pytest.raises(ValidationFailed):
        await payments.do_refund(paid.id, pln(15001), reason="too much", refund_id="r1")
    refunded = await payments.do_refund(paid.id, pln(5000), reason="faulty", refund_id="r1")
    again = await payments.do_refund(paid.id, pln(5000), reason="faulty", refund_id="r1")
    assert (refunded.state, refunded.refunded) == (PaymentState.PARTIALLY_REFUNDED, pln(5000))
    assert again.refunded == pln(5000)
    assert [e for e in await ledger(uow, paid.id) if e[0] is LedgerKind.REFUND] == [
        (LedgerKind.REFUND, 5000)
    ]


async def test_what_cannot_be_done_is_refused(
    service: tuple[PaymentService, FakeProvider],
) -> None:
    payments, _ = service
    payment = await authorised(payments)
    with pytest.raises(ValidationFailed, match="was authorised"):
        await payments.do_capture(payment.id, pln(15001))
    voided = await payments.do_void(payment.id)
    with pytest.raises(Conflict):
        await payments.do_capture(voided.id, pln(100))
    with pytest.raises(InvalidWebhook):
        await payments.do_handle_webhook("fake", b"{}", {"fake-signature": "forged"})
