"""The sandbox PSP as a subject of the payment port contract (``payment_port_contract.py``):
its test cards, its checkout pages filled in over HTTP, its webhooks as the receiver got
them, and answers made late on purpose.

The ``sandbox_contract`` fixture runs on a clock set to the real time (the contract compares
expiry times with ``datetime.now``) and gives the adapter a short timeout.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from payment_port_contract import Card, Subject
from sandbox_testkit import (
    WEBHOOK_SECRET,
    Sandbox,
    WebhookReceiver,
    answer_challenge,
    start_sandbox,
    submit_card,
)

from ampyre.payments.sandbox import SandboxProvider
from ampyre.payments.sandbox.cards import CHALLENGE_CODE, card_by_key
from ampyre.payments.sandbox.webhooks import SIGNATURE_HEADER, sign
from ampyre.services.clock import FixedClock
from ampyre.services.payment_port import PaymentProvider

PROVIDER_TIMEOUT_S = 0.5

NUMBERS = {
    Card.SUCCESS: card_by_key("visa_success").number,
    Card.THREE_D_SECURE: card_by_key("visa_3ds_always").number,
}
"""Cards the scenario saves through the sandbox's pages (with the challenge when asked)."""
TOKENS = {
    Card.DECLINED: card_by_key("visa_declined").token,
    Card.INSUFFICIENT_FUNDS: card_by_key("visa_insufficient_funds").token,
    Card.EXPIRED: card_by_key("visa_expired").token,
}
"""Declining cards cannot be saved: the scenario pays with their test method tokens."""


@dataclass
class SandboxScenario:
    sandbox: Sandbox
    currency: str = "EUR"

    @property
    def return_url(self) -> str:
        return self.sandbox.receiver.return_url

    async def saved_method(self, customer: str, card: Card) -> str:
        if card in TOKENS:
            return TOKENS[card]
        setup = await self.sandbox.provider.set_up_method(
            customer, return_url=self.return_url, idempotency_key=f"setup:{customer}"
        )
        assert setup.action_url is not None
        await self.enter_card(setup.action_url, card)
        method = (await self.sandbox.provider.get_setup(setup.reference)).method
        assert method is not None
        return method

    async def enter_card(self, action_url: str, card: Card) -> None:
        response = await submit_card(action_url, NUMBERS[card])
        assert response.status_code == 303, response.text
        if not response.headers["location"].startswith(self.sandbox.receiver.url):
            await self.complete_challenge(action_url, succeed=True)

    async def complete_challenge(self, action_url: str, *, succeed: bool) -> None:
        code = CHALLENGE_CODE if succeed else "0000"
        response = await answer_challenge(action_url, code)
        assert response.status_code == 303, response.text

    @contextlib.asynccontextmanager
    async def unresponsive(self) -> AsyncIterator[None]:
        self.sandbox.app.psp.answer_delay_s = PROVIDER_TIMEOUT_S * 2
        try:
            yield
        finally:
            self.sandbox.app.psp.answer_delay_s = 0.0

    async def webhook(self, reference: str, *, age_s: float = 0) -> tuple[bytes, dict[str, str]]:
        await self.sandbox.app.psp.webhooks_idle()
        about = [
            delivery
            for delivery in self.sandbox.receiver.deliveries
            if delivery.event["data"]["object"]["id"] == reference
        ]
        body = about[-1].body
        signed_at = self.sandbox.clock.now() - timedelta(seconds=age_s)
        return body, {SIGNATURE_HEADER: sign(body, WEBHOOK_SECRET, signed_at)}

    @contextlib.asynccontextmanager
    async def provider_with_bad_key(self) -> AsyncIterator[PaymentProvider]:
        yield SandboxProvider(self.sandbox.url, "sk_sandbox_not_this_one", WEBHOOK_SECRET)


@pytest.fixture(name="sandbox_contract")
async def sandbox_contract_fixture(
    tmp_path: Path, sandbox_receiver: WebhookReceiver
) -> AsyncIterator[Subject]:
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    sandbox = await start_sandbox(
        tmp_path / "contract-psp.db",
        clock,
        sandbox_receiver,
        provider_timeout_s=PROVIDER_TIMEOUT_S,
    )
    yield Subject(sandbox.provider, SandboxScenario(sandbox))
    await sandbox.served.stop()
