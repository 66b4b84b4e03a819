"""Stripe under test: the adapter against the replay server (``stripe_replay.py``), and the
port contract's scenario for it.

The fixtures are named ``stripe_replay``, ``stripe_provider`` and ``stripe_contract`` (a
:class:`payment_port_contract.Subject`); a test module imports the ``*_fixture`` functions
for pytest to find them.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import stripe
from payment_port_contract import Card, Subject
from stripe_replay import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET, StripeReplay, serving

from ampyre.payments.stripe_provider import StripeProvider
from ampyre.services.payment_port import PaymentProvider

STRIPE_TIMEOUT_S = 0.5
"""Short, so that the 'answered too late' tests are quick; the replay answers in ms."""

STRIPE_TOKENS = {
    Card.SUCCESS: "pm_card_visa",
    Card.DECLINED: "pm_card_chargeDeclined",
    Card.INSUFFICIENT_FUNDS: "pm_card_chargeDeclinedInsufficientFunds",
    Card.EXPIRED: "pm_card_chargeDeclinedExpiredCard",
    Card.THREE_D_SECURE: "pm_card_threeDSecure2Required",
}
"""Stripe's documented test payment methods for each contract card."""


@dataclass(frozen=True, slots=True)
class LiveReplay:
    replay: StripeReplay
    url: str


@pytest.fixture(name="stripe_replay")
async def stripe_replay_fixture() -> AsyncIterator[LiveReplay]:
    replay = StripeReplay()
    async with serving(replay) as url:
        yield LiveReplay(replay, url)


def stripe_provider_for(live: LiveReplay, secret_key: str = SECRET_KEY) -> StripeProvider:
    return StripeProvider(
        secret_key=secret_key,
        webhook_secret=WEBHOOK_SECRET,
        publishable_key=PUBLISHABLE_KEY,
        api_base=live.url,
        timeout_s=STRIPE_TIMEOUT_S,
        max_network_retries=1,
    )


async def attach_card(live: LiveReplay, token: str, customer: str) -> str:
    """Save Stripe test card ``token`` for ``customer`` (as a server would with Stripe's
    API); returns the new PaymentMethod's id."""
    http = stripe.HTTPXClient()
    client = stripe.StripeClient(SECRET_KEY, base_addresses={"api": live.url}, http_client=http)
    try:
        method = await client.v1.payment_methods.attach_async(token, {"customer": customer})
    finally:
        await http.close_async()
    return method.id


@pytest.fixture(name="stripe_provider")
async def stripe_provider_fixture(stripe_replay: LiveReplay) -> AsyncIterator[StripeProvider]:
    provider = stripe_provider_for(stripe_replay)
    yield provider
    await provider.aclose()


@dataclass
class StripeScenario:
    """The contract's scenario for Stripe: test payment methods, Stripe.js and the 3-D
    Secure page played by the replay server."""

    live: LiveReplay
    currency: str = "EUR"
    return_url: str = "https://ampyre.example/pay/return?payment=pay_2041"

    async def saved_method(self, customer: str, card: Card) -> str:
        token = STRIPE_TOKENS[card]
        if card in (Card.SUCCESS, Card.THREE_D_SECURE):
            return await attach_card(self.live, token, customer)
        return token  # Stripe does not attach a card that declines: pay with the token

    async def enter_card(self, action_url: str, card: Card) -> None:
        """What Stripe.js does on the card page: confirm the intent named in the URL with
        the publishable key and the client secret."""
        query = {name: values[0] for name, values in parse_qs(urlsplit(action_url).query).items()}
        kind = "setup_intent" if "setup_intent" in query else "payment_intent"
        async with httpx.AsyncClient(base_url=self.live.url) as browser:
            answer = await browser.post(
                f"/v1/{kind}s/{query[kind]}/confirm",
                headers={"Authorization": f"Bearer {PUBLISHABLE_KEY}"},
                data={
                    "payment_method": STRIPE_TOKENS[card],
                    "client_secret": query[f"{kind}_client_secret"],
                    "return_url": self.return_url,
                },
            )
        assert answer.status_code == 200, answer.text
        if answer.json()["status"] == "requires_action":
            self.live.replay.complete_three_d_secure(query[kind], succeed=True)

    async def complete_challenge(self, action_url: str, *, succeed: bool) -> None:
        query = parse_qs(urlsplit(action_url).query)
        assert urlsplit(action_url).hostname == "hooks.stripe.com"
        ident = (query.get("payment_intent") or query["setup_intent"])[0]
        self.live.replay.complete_three_d_secure(ident, succeed=succeed)

    @contextlib.asynccontextmanager
    async def unresponsive(self) -> AsyncIterator[None]:
        self.live.replay.delay_s = STRIPE_TIMEOUT_S * 2
        try:
            yield
        finally:
            self.live.replay.delay_s = 0

    async def webhook(self, reference: str, *, age_s: float = 0) -> tuple[bytes, dict[str, str]]:
        replay = self.live.replay
        return replay.webhook(replay.latest_event(reference), age_s=age_s)

    @contextlib.asynccontextmanager
    async def provider_with_bad_key(self) -> AsyncIterator[PaymentProvider]:
        provider = stripe_provider_for(self.live, "sk_test_51SAmPy7eOpErAt0rN0tTh3R1gHtKeY0000")
        try:
            yield provider
        finally:
            await provider.aclose()


@pytest.fixture(name="stripe_contract")
def stripe_contract_fixture(stripe_replay: LiveReplay, stripe_provider: StripeProvider) -> Subject:
    return Subject(stripe_provider, StripeScenario(stripe_replay))
