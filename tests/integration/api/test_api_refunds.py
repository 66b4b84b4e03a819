"""/refunds over real databases: a request approved by the rules is paid back by the worker
within 20 minutes; one that waits is approved or rejected by support; who may do what."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from api_station_commands import ScriptedStationCommands
from api_testkit import T0, Tokens, api_context
from tests.integration.payment_fakes import FakeProvider, OneProvider

from ampyre.api.app import build_api
from ampyre.domain.customer_types import CustomerType
from ampyre.domain.customers import Customer, CustomerProfile
from ampyre.domain.payments import MinorAmount, PaymentPurpose
from ampyre.domain.refunds import RefundRules
from ampyre.domain.transactions import StopReason, Transaction
from ampyre.services.clock import FixedClock, SystemClock
from ampyre.services.commands import CommandService
from ampyre.services.payments import PaymentService
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.records import Role
from ampyre.services.refunds import RefundService


@pytest.fixture
def payments(uow: UnitOfWorkFactory, clock: FixedClock) -> PaymentService:
    return PaymentService(uow, clock, OneProvider(FakeProvider()))


@pytest.fixture
def refunds(uow: UnitOfWorkFactory, clock: FixedClock, payments: PaymentService) -> RefundService:
    return RefundService(uow, clock, payments, RefundRules())


@pytest.fixture
async def api(
    uow: UnitOfWorkFactory, clock: FixedClock, payments: PaymentService, refunds: RefundService
) -> AsyncIterator[httpx.AsyncClient]:
    """The API with ``payments`` and the refund service over it."""
    commands = CommandService(uow, ScriptedStationCommands(), timeout_s=2.0, clock=SystemClock())
    context = dataclasses.replace(
        api_context(uow, clock, commands), payments=payments, refunds=refunds
    )
    transport = httpx.ASGITransport(app=build_api(context))
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as http:
        yield http


async def paid_session(uow: UnitOfWorkFactory, payments: PaymentService, wh: int, key: str) -> int:
    start = T0 - timedelta(hours=2)
    session = Transaction(0, "CP-1", 1, "CARD-1", 0, start, start, key)
    end = start + timedelta(minutes=30)
    session.stop(meter_stop_wh=wh, at=end, received_at=end, reason=StopReason.LOCAL)
    async with uow() as work:
        if await work.customers.get("c-1") is None:
            await work.customers.add(
                Customer("c-1", CustomerType.PRIVATE, CustomerProfile.AD_HOC, "Jan Kowalski")
            )
        transaction_id = await work.transactions.add(session)
        await work.commit()
    payment = await payments.do_authorise(
        "c-1",
        MinorAmount(15000, "PLN"),
        purpose=PaymentPurpose.SESSION,
        return_url="https://ampyre.test/back",
        description="session",
        transaction_id=transaction_id,
        method="pm_saved",
    )
    await payments.do_capture(payment.id, MinorAmount(4613, "PLN"))
    return transaction_id


async def test_an_automatic_refund_is_paid_and_a_manual_one_waits_for_support(
    api: httpx.AsyncClient,
    tokens: Tokens,
    uow: UnitOfWorkFactory,
    clock: FixedClock,
    payments: PaymentService,
    refunds: RefundService,
) -> None:
    empty = await paid_session(uow, payments, 10, "s-empty")
    normal = await paid_session(uow, payments, 15_000, "s-normal")
    support = tokens.headers(Role.SUPPORT_L2)

    auto = await api.post(
        "/refunds", json={"transaction_id": empty, "reason": "no power"}, headers=support
    )
    assert auto.status_code == 201, auto.text
    assert (auto.json()["status"], auto.json()["automatic"]) == ("approved", True)
    assert Decimal(auto.json()["amount"]) == Decimal("46.13")
    manual = await api.post(
        "/refunds",
        json={"transaction_id": normal, "amount": "10.00", "reason": "slow"},
        headers=support,
    )
    assert manual.status_code == 201, manual.text
    assert manual.json()["status"] == "pending_approval"
    manual_id = manual.json()["id"]

    clock.advance(30)  # the worker runs
    assert await refunds.do_pay_due() == 1
    listed = await api.get("/refunds", headers=tokens.headers(Role.CALL_CENTRE))
    assert listed.status_code == 200
    assert {(r["transaction_id"], r["status"]) for r in listed.json()["items"]} == {
        (empty, "paid"),
        (normal, "pending_approval"),
    }
    queue = await api.get("/refunds", params={"status": "pending_approval"}, headers=support)
    assert [r["id"] for r in queue.json()["items"]] == [manual_id]

    approved = await api.post(f"/refunds/{manual_id}/approve", headers=support)
    assert (approved.status_code, approved.json()["status"]) == (200, "approved")
    assert approved.json()["decided_by"] == "token:support_l2 token"
    again = await api.post(f"/refunds/{manual_id}/approve", headers=support)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "refund_not_pending")
    assert await refunds.do_pay_due() == 1
    paid = await api.get("/refunds", params={"status": "paid"}, headers=support)
    assert len(paid.json()["items"]) == 2


async def test_rejection_over_refunds_and_roles(
    api: httpx.AsyncClient, tokens: Tokens, uow: UnitOfWorkFactory, payments: PaymentService
) -> None:
    session = await paid_session(uow, payments, 15_000, "s-1")
    operator = tokens.headers(Role.OPERATOR)
    too_much = await api.post(
        "/refunds",
        json={"transaction_id": session, "amount": "46.14", "reason": "all"},
        headers=operator,
    )
    assert too_much.status_code == 422
    assert "46.13" in too_much.json()["error"]["message"]
    missing = await api.post(
        "/refunds", json={"transaction_id": 999, "reason": "x"}, headers=operator
    )
    assert missing.status_code == 404
    for role in (Role.SUPPORT_L1, Role.CALL_CENTRE, Role.READONLY):
        refused = await api.post(
            "/refunds",
            json={"transaction_id": session, "reason": "x"},
            headers=tokens.headers(role),
        )
        assert refused.status_code == 403
    created = await api.post(
        "/refunds", json={"transaction_id": session, "reason": "slow"}, headers=operator
    )
    refund_id = created.json()["id"]
    for role in (Role.SUPPORT_L1, Role.CALL_CENTRE, Role.INSTALLER):
        assert (
            await api.post(f"/refunds/{refund_id}/approve", headers=tokens.headers(role))
        ).status_code == 403
        assert (
            await api.post(
                f"/refunds/{refund_id}/reject", json={"reason": "no"}, headers=tokens.headers(role)
            )
        ).status_code == 403
    assert (await api.get("/refunds", headers=tokens.headers(Role.READONLY))).status_code == 403
    empty_reason = await api.post(
        f"/refunds/{refund_id}/reject", json={"reason": ""}, headers=operator
    )
    assert empty_reason.status_code == 422
    rejected = await api.post(
        f"/refunds/{refund_id}/reject", json={"reason": "the price was shown"}, headers=operator
    )
    assert rejected.status_code == 200
    assert (rejected.json()["status"], rejected.json()["decision_reason"]) == (
        "rejected",
        "the price was shown",
    )
    unknown = await api.post("/refunds/rfd_nope/approve", headers=operator)
    assert unknown.status_code == 404
