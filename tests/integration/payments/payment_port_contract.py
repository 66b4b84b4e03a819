"""The payment port's contract: what every :class:`PaymentProvider` adapter does, whatever
the provider behind it (DOMAIN.md §3, issue 5 "the Stripe adapter passes the same port
contract tests as the sandbox provider").

Each check is an async function ``check(provider, scenario)``; :data:`CONTRACT` lists them
all and ``test_payment_port_contract.py`` runs every one against every provider. A
:class:`Scenario` is the part that differs per provider: how a test gets a saved card that
succeeds, is declined or wants 3-D Secure, what the customer does on the provider's pages
(enter a card, pass or fail a challenge), how the provider is made to time out, and how a
signed webhook about a payment is obtained.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

import pytest

from ampyre.domain.payments import MinorAmount, PaymentState, idempotency_key
from ampyre.services.payment_port import (
    InvalidWebhook,
    PaymentProvider,
    PaymentProviderRejected,
    PaymentProviderUnavailable,
    ProviderPayment,
)

S = PaymentState


class Card(StrEnum):
    """The provider's test cards a scenario can hand out."""

    SUCCESS = "success"
    DECLINED = "declined"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    EXPIRED = "expired"
    THREE_D_SECURE = "three_d_secure"
    """Asks for a 3-D Secure challenge whenever the customer is present; cannot be charged
    off-session without one."""


DECLINE_CODES = {
    Card.DECLINED: "card_declined",
    Card.INSUFFICIENT_FUNDS: "insufficient_funds",
    Card.EXPIRED: "expired_card",
}
"""The normalised ``failure_code`` of each declining card (payment_port.ProviderPayment)."""


class Scenario(Protocol):
    currency: str
    return_url: str

    async def saved_method(self, customer: str, card: Card) -> str:
        """A provider token for ``card`` saved for ``customer`` (a declining card may only
        be a token: providers refuse to save it)."""
        ...

    async def enter_card(self, action_url: str, card: Card) -> None:
        """The customer opens ``action_url`` and enters ``card`` (passing 3-D Secure)."""
        ...

    async def complete_challenge(self, action_url: str, *, succeed: bool) -> None:
        """The customer opens ``action_url`` and passes (or fails) the 3-D Secure challenge."""
        ...

    def unresponsive(self) -> AbstractAsyncContextManager[None]:
        """While inside, the provider does what it is asked but answers too late."""
        ...

    async def webhook(self, reference: str, *, age_s: float = 0) -> tuple[bytes, dict[str, str]]:
        """The provider's latest webhook about payment ``reference``: raw body and headers,
        signed ``age_s`` seconds ago."""
        ...

    def provider_with_bad_key(self) -> AbstractAsyncContextManager[PaymentProvider]:
        """The same provider configured with a key it does not accept."""
        ...


ContractCheck = Callable[[PaymentProvider, Scenario], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Subject:
    """A provider under test and its scenario (one per provider fixture)."""

    provider: PaymentProvider
    scenario: Scenario


def key(operation: str) -> str:
    """A fresh idempotency key: each test's calls are new to the provider."""
    return idempotency_key(operation, uuid.uuid4().hex[:16])


def money(value: int, scenario: Scenario) -> MinorAmount:
    return MinorAmount(value, scenario.currency)


async def new_customer(provider: PaymentProvider) -> str:
    return await provider.ensure_customer(
        f"c_{uuid.uuid4().hex[:8]}",
        email="driver@example.com",
        name="Jana Nowak",
        idempotency_key=key("customer"),
    )


async def authorise_saved(
    provider: PaymentProvider, scenario: Scenario, card: Card, value: int = 5000
) -> ProviderPayment:
    customer = await new_customer(provider)
    method = await scenario.saved_method(customer, card)
    return await provider.authorise(
        money(value, scenario),
        provider_customer=customer,
        method=method,
        return_url=scenario.return_url,
        description="Charging session 2041",
        idempotency_key=key("authorise"),
        metadata={"session": "2041"},
    )


async def charge_saved(
    provider: PaymentProvider, scenario: Scenario, card: Card, value: int = 2380
) -> ProviderPayment:
    customer = await new_customer(provider)
    method = await scenario.saved_method(customer, card)
    return await provider.charge(
        money(value, scenario),
        provider_customer=customer,
        method=method,
        description="Charging session 2042",
        idempotency_key=key("charge"),
        metadata={"session": "2042"},
    )


def assert_nothing_taken(payment: ProviderPayment, scenario: Scenario) -> None:
    assert payment.captured == money(0, scenario)
    assert payment.refunded == money(0, scenario)


# --- authorise, capture, void -------------------------------------------------------------


async def authorise_with_a_saved_card_reserves_the_amount(
    provider: PaymentProvider, scenario: Scenario
) -> None:
    payment = await authorise_saved(provider, scenario, Card.SUCCESS)
    assert payment.state is S.AUTHORIZED
    assert payment.reference
    assert payment.authorized == money(5000, scenario)
    assert_nothing_taken(payment, scenario)
    assert payment.action_url is None
    assert payment.authorization_expires_at is not None
    assert payment.authorization_expires_at > datetime.now(UTC)
    again = await provider.get_payment(payment.reference)
    assert (again.state, again.authorized) == (S.AUTHORIZED, money(5000, scenario))


async def capture_of_the_whole_amount(provider: PaymentProvider, scenario: Scenario) -> None:
    payment = await authorise_saved(provider, scenario, Card.SUCCESS)
    captured = await provider.capture(
        payment.reference, money(5000, scenario), idempotency_key=key("capture")
    )
    assert captured.state is S.CAPTURED
    assert captured.captured == money(5000, scenario)
    assert captured.refunded == money(0, scenario)
    assert (await provider.get_payment(payment.reference)).state is S.CAPTURED


async def partial_capture_releases_the_rest(provider: PaymentProvider, scenario: Scenario) -> None:
    payment = await authorise_saved(provider, scenario, Card.SUCCESS)
    captured = await provider.capture(
        payment.reference, money(4613, scenario), idempotency_key=key("capture")
    )
    assert captured.state is S.PARTIALLY_CAPTURED
    assert captured.captured == money(4613, scenario)
    assert captured.captured < captured.authorized == money(5000, scenario)
    assert captured.refunded == money(0, scenario), "the released rest is not a refund"
    seen = await provider.get_payment(payment.reference)
    assert (seen.state, seen.captured) == (S.PARTIALLY_CAPTURED, money(4613, scenario))


async def capture_above_the_authorisation_is_rejected(
    provider: PaymentProvider, scenario: Scenario
) -> None:
    payment = await authorise_saved(provider, scenario, Card.SUCCESS)
    with pytest.raises(PaymentProviderRejected):
        await provider.capture(
            payment.reference, money(5001, scenario), idempotency_key=key("capture")
        )
    assert (await provider.get_payment(payment.reference)).state is S.AUTHORIZED


async def void_releases_the_authorisation(provider: PaymentProvider, scenario: Scenario) -> None:
    payment = await authorise_saved(provider, scenario, Card.SUCCESS)
    voided = await provider.void(payment.reference, idempotency_key=key("void"))
    assert voided.state is S.VOIDED
    assert_nothing_taken(voided, scenario)
    assert (await provider.get_payment(payment.reference)).state is S.VOIDED
    with pytest.raises(PaymentProviderRejected):
        await provider.capture(
            payment.reference, money(100, scenario), idempotency_key=key("capture")
        )


# --- declines and 3-D Secure --------------------------------------------------------------


async def declined_cards_are_declined_with_the_reason(
    provider: PaymentProvider, scenario: Scenario
) -> None:
    for card, code in DECLINE_CODES.items():
        for payment in (
            await authorise_saved(provider, scenario, card),
            await charge_saved(provider, scenario, card),
        ):
            assert payment.state is S.DECLINED, card
            assert payment.failure_code == code, (card, payment.failure_code)
            assert payment.failure_message
            assert_nothing_taken(payment, scenario)
            assert payment.authorized == money(0, scenario)
            assert (await provider.get_payment(payment.reference)).state is S.DECLINED


async def three_d_secure_challenge_then_authorised(
    provider: PaymentProvider, scenario: Scenario
) -> None:
    payment = await authorise_saved(provider, scenario, Card.THREE_D_SECURE)
    assert payment.state is S.REQUIRES_ACTION
    assert payment.action_url
    assert_nothing_taken(payment, scenario)
    await scenario.complete_challenge(payment.action_url, succeed=True)
    seen = await provider.get_payment(payment.reference)
    assert (seen.state, seen.authorized) == (S.AUTHORIZED, money(5000, scenario))
    captured = await provider.capture(
        payment.reference, money(5000, scenario), idempotency_key=key("capture")
    )
    assert captured.state is S.CAPTURED


async def failed_challenge_is_declined(provider: PaymentProvider, scenario: Scenario) -> None:
    payment = await authorise_saved(provider, scenario, Card.THREE_D_SECURE)
    assert payment.action_url
    await scenario.complete_challenge(payment.action_url, succeed=False)
    seen = await provider.get_payment(payment.reference)
    assert seen.state is S.DECLINED
    assert seen.failure_code
    assert_nothing_taken(seen, scenario)


async def authorise_without_a_card_sends_the_customer_to_enter_one(
    provider: PaymentProvider, scenario: Scenario
) -> None:
    customer = await new_customer(provider)
    payment = await provider.authorise(
        money(3000, scenario),
        provider_customer=customer,
        method=None,
        return_url=scenario.return_url,
        description="Charging session 2043",
        idempotency_key=key("authorise"),
        metadata={"session": "2043"},
    )
    assert payment.state is S.REQUIRES_ACTION
    assert payment.action_url
    await scenario.enter_card(payment.action_url, Card.SUCCESS)
    seen = await provider.get_payment(payment.reference)
    assert (seen.state, seen.authorized) == (S.AUTHORIZED, money(3000, scenario))
    assert seen.card is not None


# --- merchant-initiated charges and saved cards ------------------------------------------


async def merchant_initiated_charge_is_captured(
    provider: PaymentProvider, scenario: Scenario
) -> None:
    payment = await charge_saved(provider, scenario, Card.SUCCESS)
    assert payment.state is S.CAPTURED
    assert payment.captured == payment.authorized == money(2380, scenario)
    assert payment.refunded == money(0, scenario)
    assert (await provider.get_payment(payment.reference)).state is S.CAPTURED


async def merchant_initiated_charge_cannot_authenticate(
    provider: PaymentProvider, scenario: Scenario
) -> None:
    payment = await charge_saved(provider, scenario, Card.THREE_D_SECURE)
    assert payment.state is S.DECLINED
    assert payment.failure_code == "authentication_required"
    assert_nothing_taken(payment, scenario)


async def saving_a_card_for_later(provider: PaymentProvider, scenario: Scenario) -> None:
    customer = await new_customer(provider)
    setup = await provider.set_up_method(
        customer, return_url=scenario.return_url, idempotency_key=key("setup")
    )
    assert setup.state is S.REQUIRES_ACTION
    assert setup.action_url
    await scenario.enter_card(setup.action_url, Card.SUCCESS)
    ready = await provider.get_setup(setup.reference)
    assert ready.state is S.AUTHORIZED
    assert ready.method
    assert ready.card is not None
    assert len(ready.card.last4) == 4
    payment = await provider.charge(
        money(1500, scenario),
        provider_customer=customer,
        method=ready.method,
        description="Charging session 2044",
        idempotency_key=key("charge"),
        metadata={"session": "2044"},
    )
    assert payment.state is S.CAPTURED
    await provider.detach_method(ready.method)
    await provider.detach_method(ready.method)  # removing a removed card is not an error


# --- refunds ------------------------------------------------------------------------------


async def refunds_partial_then_full(provider: PaymentProvider, scenario: Scenario) -> None:
    payment = await authorise_saved(provider, scenario, Card.SUCCESS)
    await provider.capture(payment.reference, money(4613, scenario), idempotency_key=key("cap"))
    first = await provider.refund(
        payment.reference, money(1000, scenario), reason="slow charging", idempotency_key=key("r")
    )
    assert first.succeeded
    assert first.amount == money(1000, scenario)
    assert first.payment_reference == payment.reference
    seen = await provider.get_payment(payment.reference)
    assert (seen.state, seen.refunded) == (S.PARTIALLY_REFUNDED, money(1000, scenario))
    assert seen.captured == money(4613, scenario)
    rest = await provider.refund(
        payment.reference, money(3613, scenario), reason="station fault", idempotency_key=key("r")
    )
    assert rest.succeeded
    assert rest.reference != first.reference
    seen = await provider.get_payment(payment.reference)
    assert (seen.state, seen.refunded) == (S.REFUNDED, money(4613, scenario))
    with pytest.raises(PaymentProviderRejected):
        await provider.refund(
            payment.reference, money(1, scenario), reason="again", idempotency_key=key("r")
        )


async def refund_of_a_merchant_initiated_charge(
    provider: PaymentProvider, scenario: Scenario
) -> None:
    payment = await charge_saved(provider, scenario, Card.SUCCESS)
    with pytest.raises(PaymentProviderRejected):
        await provider.refund(
            payment.reference, money(2381, scenario), reason="too much", idempotency_key=key("r")
        )
    refund = await provider.refund(
        payment.reference, money(2380, scenario), reason="no energy", idempotency_key=key("r")
    )
    assert refund.succeeded
    seen = await provider.get_payment(payment.reference)
    assert (seen.state, seen.refunded) == (S.REFUNDED, money(2380, scenario))


# --- idempotency and timeouts -------------------------------------------------------------


async def the_same_idempotency_key_is_one_effect(
    provider: PaymentProvider, scenario: Scenario
) -> None:
    customer_key = key("customer")
    customer = await provider.ensure_customer(
        "c_same", email=None, name="Jana Nowak", idempotency_key=customer_key
    )
    assert customer == await provider.ensure_customer(
        "c_same", email=None, name="Jana Nowak", idempotency_key=customer_key
    )
    method = await scenario.saved_method(customer, Card.SUCCESS)

    async def authorise(with_key: str) -> ProviderPayment:
        return await provider.authorise(
            money(5000, scenario),
            provider_customer=customer,
            method=method,
            return_url=scenario.return_url,
            description="Charging session 2045",
            idempotency_key=with_key,
            metadata={"session": "2045"},
        )

    authorise_key = key("authorise")
    payment = await authorise(authorise_key)
    assert (await authorise(authorise_key)).reference == payment.reference
    other = await authorise(key("authorise"))
    assert other.reference != payment.reference, "a new key is a new payment"
    await provider.void(other.reference, idempotency_key=key("void"))

    capture_key = key("capture")
    for _ in range(2):
        captured = await provider.capture(
            payment.reference, money(4000, scenario), idempotency_key=capture_key
        )
        assert (captured.state, captured.captured) == (
            S.PARTIALLY_CAPTURED,
            money(4000, scenario),
        )

    refund_key = key("refund")
    first = await provider.refund(
        payment.reference, money(500, scenario), reason="fault", idempotency_key=refund_key
    )
    second = await provider.refund(
        payment.reference, money(500, scenario), reason="fault", idempotency_key=refund_key
    )
    assert second.reference == first.reference
    seen = await provider.get_payment(payment.reference)
    assert seen.refunded == money(500, scenario)
    assert seen.captured == money(4000, scenario)


async def the_outcome_after_a_timeout_is_read_back(
    provider: PaymentProvider, scenario: Scenario
) -> None:
    payment = await authorise_saved(provider, scenario, Card.SUCCESS)
    capture_key = key("capture")
    async with scenario.unresponsive():
        with pytest.raises(PaymentProviderUnavailable):
            await provider.capture(
                payment.reference, money(5000, scenario), idempotency_key=capture_key
            )
    seen = await provider.get_payment(payment.reference)
    assert (seen.state, seen.captured) == (S.CAPTURED, money(5000, scenario))
    retried = await provider.capture(
        payment.reference, money(5000, scenario), idempotency_key=capture_key
    )
    assert (retried.state, retried.captured) == (S.CAPTURED, money(5000, scenario))


async def an_unknown_payment_is_rejected(provider: PaymentProvider, scenario: Scenario) -> None:
    with pytest.raises(PaymentProviderRejected):
        await provider.get_payment("unknown_payment_0001")


# --- webhooks and the connection test ----------------------------------------------------


async def webhooks_are_verified_and_normalised(
    provider: PaymentProvider, scenario: Scenario
) -> None:
    payment = await authorise_saved(provider, scenario, Card.SUCCESS)
    body, headers = await scenario.webhook(payment.reference)
    event = provider.parse_webhook(body, headers)
    assert event.provider == provider.name
    assert event.event_id
    assert event.occurred_at.tzinfo is not None
    assert event.payment is not None
    assert event.payment.reference == payment.reference
    assert (event.payment.state, event.payment.authorized) == (
        S.AUTHORIZED,
        money(5000, scenario),
    )
    assert provider.parse_webhook(body, headers).event_id == event.event_id

    tampered = json.loads(body)
    tampered["tampered"] = True
    with pytest.raises(InvalidWebhook):
        provider.parse_webhook(json.dumps(tampered).encode(), headers)
    with pytest.raises(InvalidWebhook):
        provider.parse_webhook(body, {})
    old_body, old_headers = await scenario.webhook(payment.reference, age_s=3600)
    with pytest.raises(InvalidWebhook):
        provider.parse_webhook(old_body, old_headers)


async def the_connection_test_tells_a_good_key_from_a_bad_one(
    provider: PaymentProvider, scenario: Scenario
) -> None:
    check = await provider.check_connection()
    assert check.ok, check.message
    assert check.test_mode
    assert check.message
    async with scenario.provider_with_bad_key() as wrong:
        bad = await wrong.check_connection()
    assert not bad.ok
    assert bad.message


CONTRACT: tuple[ContractCheck, ...] = (
    authorise_with_a_saved_card_reserves_the_amount,
    capture_of_the_whole_amount,
    partial_capture_releases_the_rest,
    capture_above_the_authorisation_is_rejected,
    void_releases_the_authorisation,
    declined_cards_are_declined_with_the_reason,
    three_d_secure_challenge_then_authorised,
    failed_challenge_is_declined,
    authorise_without_a_card_sends_the_customer_to_enter_one,
    merchant_initiated_charge_is_captured,
    merchant_initiated_charge_cannot_authenticate,
    saving_a_card_for_later,
    refunds_partial_then_full,
    refund_of_a_merchant_initiated_charge,
    the_same_idempotency_key_is_one_effect,
    the_outcome_after_a_timeout_is_read_back,
    an_unknown_payment_is_rejected,
    webhooks_are_verified_and_normalised,
    the_connection_test_tells_a_good_key_from_a_bad_one,
)
