"""The sandbox PSP through its adapter, over HTTP on loopback: manual capture (exact and
partial), void, refusals, expiry on the clock, idempotent retries, refunds, saved methods
and merchant-initiated charges."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sandbox_testkit import (  # noqa: F401 - pytest finds the *_fixture functions through these imports
    EUR_50,
    T0,
    Sandbox,
    SandboxFactory,
    answer_challenge,
    eventually,
    sandbox_clock_fixture,
    sandbox_factory_fixture,
    sandbox_fixture,
    sandbox_receiver_fixture,
    submit_card,
)

from ampyre.domain.payments import MinorAmount, PaymentState
from ampyre.services.payment_port import PaymentProviderRejected, ProviderPayment, ProviderSetup

S = PaymentState
EUR = "EUR"


def eur(value: int) -> MinorAmount:
    return MinorAmount(value, EUR)


async def test_authorise_then_capture_the_exact_amount(sandbox: Sandbox) -> None:
    provider = sandbox.provider
    payment = await provider.authorise(
        EUR_50,
        provider_customer=None,
        method=None,
        return_url=sandbox.receiver.return_url,
        description="Charging session s1",
        idempotency_key="authorise:s1",
        metadata={"session": "s1"},
    )
    assert payment.state is S.REQUIRES_ACTION
    assert payment.authorized == eur(0)
    assert payment.action_url is not None
    assert payment.action_url.startswith(f"{sandbox.url}/checkout/")

    await sandbox.checkout(payment)
    authorised = await provider.get_payment(payment.reference)
    assert authorised.state is S.AUTHORIZED
    assert authorised.authorized == EUR_50
    assert authorised.captured == eur(0)
    assert authorised.authorization_expires_at == T0 + timedelta(days=7)
    assert authorised.card is not None
    assert (authorised.card.brand, authorised.card.last4) == ("visa", "4242")
    assert authorised.action_url is None
    assert authorised.raw["metadata"] == {"session": "s1"}

    captured = await provider.capture(payment.reference, EUR_50, idempotency_key="capture:s1")
    assert captured.state is S.CAPTURED
    assert (captured.authorized, captured.captured, captured.refunded) == (EUR_50, EUR_50, eur(0))
    assert captured.authorization_expires_at is None


async def test_partial_capture_releases_the_rest(sandbox: Sandbox) -> None:
    reference = await sandbox.authorised()
    captured = await sandbox.provider.capture(reference, eur(1234), idempotency_key="capture:s1")
    assert captured.state is S.PARTIALLY_CAPTURED
    assert (captured.authorized, captured.captured) == (EUR_50, eur(1234))
    with pytest.raises(PaymentProviderRejected, match="payment_not_capturable"):
        await sandbox.provider.capture(reference, eur(100), idempotency_key="capture:s1-again")


async def test_capture_above_the_authorisation_or_of_nothing_is_refused(sandbox: Sandbox) -> None:
    reference = await sandbox.authorised()
    with pytest.raises(PaymentProviderRejected, match="amount_too_large"):
        await sandbox.provider.capture(reference, eur(5001), idempotency_key="capture:a")
    with pytest.raises(PaymentProviderRejected, match="amount_invalid"):
        await sandbox.provider.capture(reference, eur(0), idempotency_key="capture:b")
    with pytest.raises(PaymentProviderRejected, match="currency_mismatch"):
        await sandbox.provider.capture(
            reference, MinorAmount(5000, "PLN"), idempotency_key="capture:c"
        )
    unchanged = await sandbox.provider.get_payment(reference)
    assert unchanged.state is S.AUTHORIZED
    assert unchanged.captured == eur(0)
    # A refused request changed nothing, so its key may be used again once it is right.
    captured = await sandbox.provider.capture(reference, eur(5000), idempotency_key="capture:a")
    assert captured.state is S.CAPTURED


async def test_void_cancels_the_authorisation(sandbox: Sandbox) -> None:
    reference = await sandbox.authorised()
    voided = await sandbox.provider.void(reference, idempotency_key="void:s1")
    assert voided.state is S.VOIDED
    assert voided.captured == eur(0)
    with pytest.raises(PaymentProviderRejected, match="payment_not_capturable"):
        await sandbox.provider.capture(reference, eur(100), idempotency_key="capture:s1")
    with pytest.raises(PaymentProviderRejected, match="payment_not_voidable"):
        await sandbox.provider.void(reference, idempotency_key="void:s1-again")


async def test_unknown_payment_and_wrong_key_are_rejected(sandbox: Sandbox) -> None:
    with pytest.raises(PaymentProviderRejected, match="resource_missing"):
        await sandbox.provider.get_payment("pay_sandbox_nope")
    wrong = type(sandbox.provider)(sandbox.url, "sk_sandbox_wrong", "whs_sandbox_x")
    with pytest.raises(PaymentProviderRejected, match="authentication_failed"):
        await wrong.get_payment("pay_sandbox_nope")
    check = await wrong.check_connection()
    assert not check.ok
    assert "API key" in check.message
    good = await sandbox.provider.check_connection()
    assert good.ok
    assert good.test_mode
    assert "acct_sandbox" in good.message


async def test_an_authorisation_expires_after_seven_days(sandbox: Sandbox) -> None:
    reference = await sandbox.authorised()
    sandbox.clock.advance(timedelta(days=7).total_seconds() - 1)
    assert (await sandbox.provider.get_payment(reference)).state is S.AUTHORIZED

    sandbox.clock.advance(1)
    expired = await sandbox.provider.get_payment(reference)
    assert expired.state is S.EXPIRED
    assert expired.authorized == EUR_50
    with pytest.raises(PaymentProviderRejected, match="payment_not_capturable"):
        await sandbox.provider.capture(reference, EUR_50, idempotency_key="capture:s1")
    await eventually(lambda: bool(sandbox.receiver.of_type("payment.expired")))
    event = sandbox.receiver.of_type("payment.expired")[0]
    assert event["data"]["object"]["id"] == reference


async def test_the_expiry_time_is_configurable_and_swept_without_requests(
    sandbox_factory: SandboxFactory,
) -> None:
    sandbox = await sandbox_factory(authorization_ttl=timedelta(hours=2), expiry_sweep_s=0.05)
    reference = await sandbox.authorised()
    assert (await sandbox.provider.get_payment(reference)).authorization_expires_at == T0 + (
        timedelta(hours=2)
    )
    sandbox.clock.advance(2 * 3600)
    # No request: the background sweep expires it and tells Ampyre.
    await eventually(lambda: bool(sandbox.receiver.of_type("payment.expired")))
    assert (await sandbox.provider.get_payment(reference)).state is S.EXPIRED


async def test_an_abandoned_checkout_expires(sandbox: Sandbox) -> None:
    payment = await sandbox.provider.authorise(
        EUR_50,
        provider_customer=None,
        method=None,
        return_url=sandbox.receiver.return_url,
        description="abandoned",
        idempotency_key="authorise:abandoned",
        metadata={},
    )
    sandbox.clock.advance(3600)
    expired = await sandbox.provider.get_payment(payment.reference)
    assert expired.state is S.EXPIRED
    assert expired.action_url is None
    assert payment.action_url is not None
    late = await submit_card(payment.action_url, "4242424242424242")
    assert late.status_code == 200
    assert "expired" in late.text


async def test_retries_with_the_same_key_do_nothing_twice(sandbox: Sandbox) -> None:
    provider = sandbox.provider

    async def authorise(amount: MinorAmount) -> ProviderPayment:
        return await provider.authorise(
            amount,
            provider_customer=None,
            method=None,
            return_url=sandbox.receiver.return_url,
            description="Charging session s1",
            idempotency_key="authorise:s1",
            metadata={"session": "s1"},
        )

    first = await authorise(EUR_50)
    again = await authorise(EUR_50)
    assert again.reference == first.reference
    assert again.action_url == first.action_url
    with pytest.raises(PaymentProviderRejected, match="idempotency_key_reused"):
        await authorise(eur(6000))

    await sandbox.checkout(first)
    captures = await asyncio.gather(
        *(provider.capture(first.reference, eur(4000), idempotency_key="capture:s1") for _ in "abc")
    )
    assert {c.captured for c in captures} == {eur(4000)}
    with pytest.raises(PaymentProviderRejected, match="idempotency_key_reused"):
        await provider.capture(first.reference, eur(3000), idempotency_key="capture:s1")

    refunds = [
        await provider.refund(first.reference, eur(500), reason="r", idempotency_key="refund:1")
        for _ in range(3)
    ]
    assert {r.reference for r in refunds} == {refunds[0].reference}
    payment = await provider.get_payment(first.reference)
    assert payment.captured == eur(4000)
    assert payment.refunded == eur(500)

    await sandbox.app.psp.webhooks_idle()
    assert len(sandbox.receiver.of_type("payment.captured")) == 1
    assert len(sandbox.receiver.of_type("payment.refunded")) == 1


async def test_two_concurrent_captures_with_different_keys_capture_once(sandbox: Sandbox) -> None:
    reference = await sandbox.authorised()
    results = await asyncio.gather(
        sandbox.provider.capture(reference, eur(3000), idempotency_key="capture:worker-1"),
        sandbox.provider.capture(reference, eur(3000), idempotency_key="capture:worker-2"),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, PaymentProviderRejected)]
    assert len(refused) == 1
    assert (await sandbox.provider.get_payment(reference)).captured == eur(3000)


async def test_refunds_partial_then_full(sandbox: Sandbox) -> None:
    provider = sandbox.provider
    reference = await sandbox.authorised()
    with pytest.raises(PaymentProviderRejected, match="payment_not_refundable"):
        await provider.refund(reference, eur(100), reason="too early", idempotency_key="r:0")
    await provider.capture(reference, eur(4000), idempotency_key="capture:s1")

    first = await provider.refund(
        reference, eur(1500), reason="station fault", idempotency_key="refund:1"
    )
    assert first.succeeded
    assert (first.payment_reference, first.amount) == (reference, eur(1500))
    assert first.raw["reason"] == "station fault"
    partly = await provider.get_payment(reference)
    assert partly.state is S.PARTIALLY_REFUNDED
    assert partly.refunded == eur(1500)

    with pytest.raises(PaymentProviderRejected, match="amount_too_large"):
        await provider.refund(reference, eur(2501), reason="too much", idempotency_key="refund:2")
    await provider.refund(reference, eur(2500), reason="rest", idempotency_key="refund:3")
    full = await provider.get_payment(reference)
    assert full.state is S.REFUNDED
    assert (full.captured, full.refunded) == (eur(4000), eur(4000))
    with pytest.raises(PaymentProviderRejected, match="amount_too_large"):
        await provider.refund(reference, eur(1), reason="more", idempotency_key="refund:4")


async def _saved_method(sandbox: Sandbox, number: str, customer: str) -> ProviderSetup:
    setup = await sandbox.provider.set_up_method(
        customer, return_url=sandbox.receiver.return_url, idempotency_key=f"setup:{customer}"
    )
    assert setup.state is S.REQUIRES_ACTION
    assert setup.action_url is not None
    response = await submit_card(setup.action_url, number)
    assert response.status_code == 303
    if "/checkout/" in response.headers["location"]:  # a 3-D Secure card: the challenge
        assert (await answer_challenge(setup.action_url, "1234")).status_code == 303
    return await sandbox.provider.get_setup(setup.reference)


async def test_saved_card_then_merchant_initiated_charges(sandbox: Sandbox) -> None:
    provider = sandbox.provider
    customer = await provider.ensure_customer(
        "cust-1", email="jan@example.pl", name="Jan", idempotency_key="customer:cust-1"
    )
    assert customer.startswith("cus_sandbox_")
    same = await provider.ensure_customer(
        "cust-1", email="jan@example.pl", name="Jan", idempotency_key="customer:cust-1-b"
    )
    assert same == customer

    setup = await _saved_method(sandbox, "4000 0027 6000 3184", customer)
    assert setup.state is S.AUTHORIZED
    assert setup.method is not None
    assert setup.method.startswith("pm_sandbox_")
    assert setup.card is not None
    assert setup.card.last4 == "3184"

    charged = await provider.charge(
        eur(2345),
        provider_customer=customer,
        method=setup.method,
        description="session s2",
        idempotency_key="charge:s2",
        metadata={"session": "s2"},
    )
    assert charged.state is S.CAPTURED
    assert (charged.authorized, charged.captured) == (eur(2345), eur(2345))
    assert charged.raw["off_session"] is True

    held = await provider.authorise(
        EUR_50,
        provider_customer=customer,
        method=setup.method,
        return_url=sandbox.receiver.return_url,
        description="session s3",
        idempotency_key="authorise:s3",
        metadata={},
    )
    assert held.state is S.AUTHORIZED
    assert held.action_url is None

    await provider.detach_method(setup.method)
    await provider.detach_method(setup.method)
    with pytest.raises(PaymentProviderRejected, match="method_detached"):
        await provider.charge(
            eur(100),
            provider_customer=customer,
            method=setup.method,
            description="after removal",
            idempotency_key="charge:s4",
            metadata={},
        )
    with pytest.raises(PaymentProviderRejected, match="resource_missing"):
        await provider.detach_method("pm_sandbox_unknown")


async def test_a_card_that_saves_but_declines_every_charge(sandbox: Sandbox) -> None:
    customer = await sandbox.provider.ensure_customer(
        "cust-2", email=None, name="Anna", idempotency_key="customer:cust-2"
    )
    setup = await _saved_method(sandbox, "4000000000000341", customer)
    assert setup.state is S.AUTHORIZED
    assert setup.method is not None
    charged = await sandbox.provider.charge(
        eur(999),
        provider_customer=customer,
        method=setup.method,
        description="session s5",
        idempotency_key="charge:s5",
        metadata={},
    )
    assert charged.state is S.DECLINED
    assert charged.failure_code == "card_declined"
    assert charged.captured == eur(0)


async def test_saving_a_declined_card_fails_and_methods_belong_to_their_customer(
    sandbox: Sandbox,
) -> None:
    provider = sandbox.provider
    customer = await provider.ensure_customer(
        "cust-3", email=None, name="Ola", idempotency_key="customer:cust-3"
    )
    failed = await _saved_method(sandbox, "4000000000009995", customer)
    assert failed.state is S.DECLINED
    assert failed.failure_code == "insufficient_funds"
    assert failed.method is None

    other = await provider.ensure_customer(
        "cust-4", email=None, name="Ewa", idempotency_key="customer:cust-4"
    )
    saved = await _saved_method(sandbox, "5555555555554444", other)
    assert saved.method is not None
    with pytest.raises(PaymentProviderRejected, match="method_customer_mismatch"):
        await provider.charge(
            eur(100),
            provider_customer=customer,
            method=saved.method,
            description="not hers",
            idempotency_key="charge:s6",
            metadata={},
        )


@pytest.mark.parametrize(
    ("token", "present", "absent"),
    [
        ("pm_card_visa_success", (S.AUTHORIZED, None), (S.CAPTURED, None)),
        ("pm_card_mastercard_success", (S.AUTHORIZED, None), (S.CAPTURED, None)),
        ("pm_card_visa_declined", (S.DECLINED, "card_declined"), (S.DECLINED, "card_declined")),
        (
            "pm_card_visa_insufficient_funds",
            (S.DECLINED, "insufficient_funds"),
            (S.DECLINED, "insufficient_funds"),
        ),
        ("pm_card_visa_expired", (S.DECLINED, "expired_card"), (S.DECLINED, "expired_card")),
        (
            "pm_card_visa_3ds",
            (S.REQUIRES_ACTION, None),
            (S.DECLINED, "authentication_required"),
        ),
        (
            "pm_card_visa_3ds_always",
            (S.REQUIRES_ACTION, None),
            (S.DECLINED, "authentication_required"),
        ),
    ],
)
async def test_test_method_tokens_with_and_without_the_cardholder(
    sandbox: Sandbox,
    token: str,
    present: tuple[PaymentState, str | None],
    absent: tuple[PaymentState, str | None],
) -> None:
    provider = sandbox.provider
    customer = await provider.ensure_customer(
        "cust-t", email=None, name="T", idempotency_key="customer:t"
    )
    on_session = await provider.authorise(
        EUR_50,
        provider_customer=customer,
        method=token,
        return_url=sandbox.receiver.return_url,
        description="present",
        idempotency_key="authorise:t",
        metadata={},
    )
    assert (on_session.state, on_session.failure_code) == present
    assert (on_session.action_url is not None) is (present[0] is S.REQUIRES_ACTION)
    assert on_session.method != token, "each use of a token is a fresh card"
    off_session = await provider.charge(
        EUR_50,
        provider_customer=customer,
        method=token,
        description="absent",
        idempotency_key="charge:t",
        metadata={},
    )
    assert (off_session.state, off_session.failure_code) == absent


async def test_a_card_that_always_asks_for_3ds_even_when_saved(sandbox: Sandbox) -> None:
    provider = sandbox.provider
    customer = await provider.ensure_customer(
        "cust-5", email=None, name="Iga", idempotency_key="customer:cust-5"
    )
    setup = await _saved_method(sandbox, "4000 0000 0000 3220", customer)
    assert setup.state is S.AUTHORIZED
    assert setup.method is not None
    payment = await provider.authorise(
        EUR_50,
        provider_customer=customer,
        method=setup.method,
        return_url=sandbox.receiver.return_url,
        description="present again",
        idempotency_key="authorise:s7",
        metadata={},
    )
    assert payment.state is S.REQUIRES_ACTION
    assert payment.method == setup.method
    assert payment.action_url is not None
    assert (await answer_challenge(payment.action_url, "1234")).status_code == 303
    assert (await provider.get_payment(payment.reference)).state is S.AUTHORIZED
    absent = await provider.charge(
        eur(100),
        provider_customer=customer,
        method=setup.method,
        description="absent",
        idempotency_key="charge:s7",
        metadata={},
    )
    assert (absent.state, absent.failure_code) == (S.DECLINED, "authentication_required")
