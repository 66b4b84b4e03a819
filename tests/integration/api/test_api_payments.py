"""/payments over real databases: a payment with its ledger and log, who may read it, and
provider webhooks verified on the raw body (a duplicate acknowledged, a forged one refused)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from api_station_commands import ScriptedStationCommands
from api_testkit import Tokens, api_context
from tests.integration.payment_fakes import FakeProvider, OneProvider

from ampyre.api.app import build_api
from ampyre.domain.customer_types import CustomerType
from ampyre.domain.customers import Customer, CustomerProfile
from ampyre.domain.payments import MinorAmount, Payment, PaymentPurpose, PaymentState
from ampyre.services.clock import FixedClock, SystemClock
from ampyre.services.commands import CommandService
from ampyre.services.payments import PaymentService
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.records import Role


@pytest.fixture
def provider() -> FakeProvider:
    return FakeProvider()


@pytest.fixture
def payments(uow: UnitOfWorkFactory, clock: FixedClock, provider: FakeProvider) -> PaymentService:
    return PaymentService(uow, clock, OneProvider(provider))


@pytest.fixture
async def api(
    uow: UnitOfWorkFactory, clock: FixedClock, payments: PaymentService
) -> AsyncIterator[httpx.AsyncClient]:
    commands = CommandService(uow, ScriptedStationCommands(), timeout_s=2.0, clock=SystemClock())
    context = dataclasses.replace(api_context(uow, clock, commands), payments=payments)
    transport = httpx.ASGITransport(app=build_api(context))
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as http:
        yield http


@pytest.fixture
async def captured(uow: UnitOfWorkFactory, payments: PaymentService) -> Payment:
    async with uow() as work:
        await work.customers.add(
            Customer("c-1", CustomerType.PRIVATE, CustomerProfile.AD_HOC, "Jan Kowalski")
        )
        await work.commit()
    payment = await payments.do_authorise(
        "c-1",
        MinorAmount(15000, "PLN"),
        purpose=PaymentPurpose.SESSION,
        return_url="https://ampyre.test/back",
        description="session",
        method="pm_saved",
    )
    return await payments.do_capture(payment.id, MinorAmount(4613, "PLN"))


async def test_a_payment_shows_its_money_and_every_step(
    api: httpx.AsyncClient, tokens: Tokens, captured: Payment
) -> None:
    answer = await api.get(f"/payments/{captured.id}", headers=tokens.headers(Role.SUPPORT_L1))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["state"], body["currency"]) == ("partially_captured", "PLN")
    assert Decimal(body["captured"]) == Decimal("46.13")
    assert [(e["kind"], Decimal(e["amount"])) for e in body["ledger"]] == [
        ("authorization", Decimal("150.00")),
        ("capture", Decimal("46.13")),
        ("release", Decimal("103.87")),
    ]
    assert [(s["stage"], s["operation"]) for s in body["log"]] == [
        ("request", "authorise"),
        ("response", "authorise"),
        ("request", "capture"),
        ("response", "capture"),
    ]
    assert body["log"][2]["idempotency_key"] == f"capture:{captured.id}"
    missing = await api.get("/payments/pay_nope", headers=tokens.headers(Role.ADMIN))
    assert missing.status_code == 404
    for role in (Role.INSTALLER, Role.STATION_OWNER, Role.READONLY):
        assert (
            await api.get(f"/payments/{captured.id}", headers=tokens.headers(role))
        ).status_code == 403


async def test_webhooks_are_verified_and_counted_once(
    api: httpx.AsyncClient, tokens: Tokens, captured: Payment, provider: FakeProvider
) -> None:
    assert captured.reference is not None
    await provider.refund(
        captured.reference, MinorAmount(4613, "PLN"), reason="dashboard", idempotency_key="d1"
    )
    raw = json.dumps(
        {
            "id": "evt_9",
            "type": "payment.refunded",
            "payment": captured.reference,
            "state": PaymentState.REFUNDED.value,
            "captured": 4613,
            "refunded": 4613,
        }
    ).encode()
    forged = await api.post("/payments/webhooks/fake", content=raw, headers={"fake-signature": "x"})
    assert (forged.status_code, forged.json()["error"]["code"]) == (400, "invalid_webhook")
    first = await api.post("/payments/webhooks/fake", content=raw, headers={"fake-signature": "ok"})
    again = await api.post("/payments/webhooks/fake", content=raw, headers={"fake-signature": "ok"})
    assert first.json() == {"event_id": "evt_9", "duplicate": False, "moved": True}
    assert again.json() == {"event_id": "evt_9", "duplicate": True, "moved": False}
    body = (await api.get(f"/payments/{captured.id}", headers=tokens.headers())).json()
    assert body["state"] == "refunded"
    assert [e["kind"] for e in body["ledger"]].count("refund") == 1
