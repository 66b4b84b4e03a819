"""The Stripe adapter beyond the port contract: what it sends to Stripe, how it reads the
recorded Stripe objects and events, its errors, its settings and webhook signatures."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import stripe
from stripe_replay import (
    PUBLISHABLE_KEY,
    SECRET_KEY,
    WEBHOOK_SECRET,
    StripeReplay,
    recorded,
    serving,
    signature_header,
)
from stripe_testkit import (  # noqa: F401 - pytest finds the fixtures through these imports
    LiveReplay,
    attach_card,
    stripe_provider_fixture,
    stripe_provider_for,
    stripe_replay_fixture,
)

from ampyre.domain.errors import ValidationFailed
from ampyre.domain.payments import MinorAmount, PaymentState
from ampyre.payments.stripe_mapping import (
    event_from_object,
    payment_from_intent,
    refund_from_object,
    setup_from_intent,
)
from ampyre.payments.stripe_provider import SPEC, StripeProvider
from ampyre.services.payment_port import (
    CardDetails,
    InvalidWebhook,
    PaymentProviderRejected,
    PaymentProviderUnavailable,
    ProviderPayment,
)

S = PaymentState
RETURN_URL = "https://ampyre.example/pay/return?payment=pay_2041"


def eur(value: int) -> MinorAmount:
    return MinorAmount(value, "EUR")


def secret_free(raw: object) -> bool:
    """No client secret: neither the field nor a value (``pi_..._secret_...``) in a URL."""
    text = json.dumps(raw)
    return '"client_secret"' not in text and "_secret_" not in text


async def saved_visa(live: LiveReplay, provider: StripeProvider) -> tuple[str, str]:
    customer = await provider.ensure_customer(
        "c_1001", email="driver@example.com", name="Jana Nowak", idempotency_key="customer:c_1001"
    )
    return customer, await attach_card(live, "pm_card_visa", customer)


async def authorise(
    provider: StripeProvider, customer: str | None, method: str | None, key: str = "authorise:p1"
) -> ProviderPayment:
    return await provider.authorise(
        eur(5000),
        provider_customer=customer,
        method=method,
        return_url=RETURN_URL,
        description="Charging session 2041",
        idempotency_key=key,
        metadata={"session": "2041"},
    )


# --- what the adapter sends ---------------------------------------------------------------


async def test_authorise_is_a_manual_capture_intent_confirmed_with_the_customer_present(
    stripe_replay: LiveReplay, stripe_provider: StripeProvider
) -> None:
    customer, method = await saved_visa(stripe_replay, stripe_provider)
    await authorise(stripe_provider, customer, method)
    sent = stripe_replay.replay.requests[-1]
    assert (sent.method, sent.path) == ("POST", "/v1/payment_intents")
    assert sent.idempotency_key == "authorise:p1"
    assert sent.api_key == SECRET_KEY
    assert sent.params["amount"] == "5000"
    assert sent.params["currency"] == "eur"
    assert sent.params["capture_method"] == "manual"
    assert sent.params["confirm"] == "true"
    assert sent.params["customer"] == customer
    assert sent.params["payment_method"] == method
    assert sent.params["return_url"] == RETURN_URL
    assert sent.params["allowed_payment_method_types"] == ["card"]
    assert sent.params["metadata"] == {"session": "2041"}
    assert set(sent.params["expand"]) == {"latest_charge", "payment_method"}
    assert "off_session" not in sent.params


async def test_a_merchant_initiated_charge_is_off_session_and_captured_at_once(
    stripe_replay: LiveReplay, stripe_provider: StripeProvider
) -> None:
    customer, method = await saved_visa(stripe_replay, stripe_provider)
    payment = await stripe_provider.charge(
        eur(2380),
        provider_customer=customer,
        method=method,
        description="Charging session 2042",
        idempotency_key="charge:p2",
        metadata={"session": "2042"},
    )
    assert payment.state is S.CAPTURED
    sent = stripe_replay.replay.requests[-1]
    assert sent.params["off_session"] == "true"
    assert sent.params["confirm"] == "true"
    assert sent.params["capture_method"] == "automatic"
    assert "return_url" not in sent.params
    assert sent.idempotency_key == "charge:p2"


async def test_capture_refund_and_setup_parameters(
    stripe_replay: LiveReplay, stripe_provider: StripeProvider
) -> None:
    customer, method = await saved_visa(stripe_replay, stripe_provider)
    payment = await authorise(stripe_provider, customer, method)
    await stripe_provider.capture(payment.reference, eur(4613), idempotency_key="capture:p1")
    capture = stripe_replay.replay.requests[-1]
    assert capture.path == f"/v1/payment_intents/{payment.reference}/capture"
    assert (capture.params["amount_to_capture"], capture.idempotency_key) == ("4613", "capture:p1")

    refund = await stripe_provider.refund(
        payment.reference, eur(1000), reason="station fault", idempotency_key="refund:p1:1"
    )
    sent = stripe_replay.replay.requests[-1]
    assert sent.params == {
        "payment_intent": payment.reference,
        "amount": "1000",
        "reason": "requested_by_customer",
        "metadata": {"ampyre_reason": "station fault"},
    }
    assert sent.idempotency_key == "refund:p1:1"
    assert (refund.amount, refund.succeeded) == (eur(1000), True)
    assert refund.reference.startswith("re_")

    await stripe_provider.set_up_method(
        customer, return_url=RETURN_URL, idempotency_key="setup:c_1001"
    )
    setup = stripe_replay.replay.requests[-1]
    assert setup.params["usage"] == "off_session"
    assert setup.params["customer"] == customer
    assert setup.idempotency_key == "setup:c_1001"


async def test_the_customer_is_created_with_ampyre_s_id(
    stripe_replay: LiveReplay, stripe_provider: StripeProvider
) -> None:
    reference = await stripe_provider.ensure_customer(
        "c_77", email=None, name="Jan Kowalski", idempotency_key="customer:c_77"
    )
    sent = stripe_replay.replay.requests[-1]
    assert sent.params == {"name": "Jan Kowalski", "metadata": {"ampyre_customer_id": "c_77"}}
    assert stripe_replay.replay.customers[reference]["metadata"] == {"ampyre_customer_id": "c_77"}


async def test_nothing_is_sent_for_a_capture_or_refund_of_nothing(
    stripe_replay: LiveReplay, stripe_provider: StripeProvider
) -> None:
    with pytest.raises(ValidationFailed):
        await stripe_provider.capture("pi_x", eur(0), idempotency_key="capture:x")
    with pytest.raises(ValidationFailed):
        await stripe_provider.refund("pi_x", eur(0), reason="", idempotency_key="refund:x")
    assert stripe_replay.replay.requests == []


async def test_without_a_card_the_customer_goes_to_the_card_page_with_stripe_s_parameters(
    stripe_replay: LiveReplay, stripe_provider: StripeProvider
) -> None:
    payment = await authorise(stripe_provider, None, None)
    assert payment.state is S.REQUIRES_ACTION
    assert payment.action_url is not None
    page = urlsplit(payment.action_url)
    assert payment.action_url.startswith("https://ampyre.example/pay/return?")
    query = parse_qs(page.query)
    assert query["payment"] == ["pay_2041"]
    assert query["payment_intent"] == [payment.reference]
    intent = stripe_replay.replay.intents[payment.reference]
    assert query["payment_intent_client_secret"] == [intent["client_secret"]]
    assert stripe_replay.replay.requests[-1].params.get("confirm") is None
    assert secret_free(payment.raw)


async def test_a_3ds_challenge_is_stripe_s_page_and_the_log_copy_has_no_secret(
    stripe_replay: LiveReplay, stripe_provider: StripeProvider
) -> None:
    customer = await stripe_provider.ensure_customer(
        "c_1", email=None, name="Jana", idempotency_key="customer:c_1"
    )
    payment = await authorise(stripe_provider, customer, "pm_card_threeDSecure2Required")
    assert payment.state is S.REQUIRES_ACTION
    assert payment.action_url is not None
    assert payment.action_url.startswith("https://hooks.stripe.com/3d_secure_2/hosted?")
    assert "payment_intent_client_secret=pi_" in payment.action_url
    assert secret_free(payment.raw)
    assert "[redacted]" in json.dumps(payment.raw)


async def test_an_authorisation_stripe_lets_lapse_is_expired(
    stripe_replay: LiveReplay, stripe_provider: StripeProvider
) -> None:
    customer, method = await saved_visa(stripe_replay, stripe_provider)
    payment = await authorise(stripe_provider, customer, method)
    stripe_replay.replay.expire(payment.reference)
    expired = await stripe_provider.get_payment(payment.reference)
    assert expired.state is S.EXPIRED
    assert (expired.captured, expired.refunded) == (eur(0), eur(0))


# --- errors -------------------------------------------------------------------------------


async def test_server_errors_are_retried_with_the_same_key_then_unavailable(
    stripe_replay: LiveReplay, stripe_provider: StripeProvider
) -> None:
    stripe_replay.replay.failures = 5
    with pytest.raises(PaymentProviderUnavailable, match="outcome is unknown"):
        await stripe_provider.void("pi_x", idempotency_key="void:p9")
    attempts = stripe_replay.replay.requests
    assert len(attempts) == 2  # the first try and one retry (max_network_retries=1)
    assert {attempt.idempotency_key for attempt in attempts} == {"void:p9"}


async def test_an_unreachable_stripe_is_unavailable() -> None:
    replay = StripeReplay()
    async with serving(replay) as url:
        pass  # the server is gone: nothing listens at url any more
    provider = stripe_provider_for(LiveReplay(replay, url))
    try:
        with pytest.raises(PaymentProviderUnavailable):
            await provider.get_payment("pi_x")
        check = await provider.check_connection()
    finally:
        await provider.aclose()
    assert not check.ok
    assert "did not answer" in check.message


async def test_a_refused_key_is_rejected_and_never_quoted(stripe_replay: LiveReplay) -> None:
    wrong = "sk_test_51SAmPy7eOpErAt0rTh1s1sTh3Wr0nGk3y0000000000"
    provider = stripe_provider_for(stripe_replay, wrong)
    try:
        with pytest.raises(PaymentProviderRejected) as refused:
            await provider.get_payment("pi_x")
        check = await provider.check_connection()
    finally:
        await provider.aclose()
    assert "Invalid API Key" in refused.value.message
    assert wrong not in refused.value.message
    assert (check.ok, check.test_mode) == (False, True)
    assert wrong not in check.message


async def test_a_key_reused_for_another_request_is_rejected(
    stripe_replay: LiveReplay, stripe_provider: StripeProvider
) -> None:
    customer, method = await saved_visa(stripe_replay, stripe_provider)
    await authorise(stripe_provider, customer, method, key="authorise:p5")
    with pytest.raises(PaymentProviderRejected, match="same parameters"):
        await stripe_provider.authorise(
            eur(6000),
            provider_customer=customer,
            method=method,
            return_url=RETURN_URL,
            description="Charging session 2041",
            idempotency_key="authorise:p5",
            metadata={"session": "2041"},
        )


async def test_removing_an_unknown_card_is_rejected(stripe_provider: StripeProvider) -> None:
    with pytest.raises(PaymentProviderRejected, match="No such PaymentMethod"):
        await stripe_provider.detach_method("pm_1SAmPy7eUnKn0wNc4rD00000")


# --- settings -----------------------------------------------------------------------------


def test_the_spec_asks_for_the_keys_stripe_gives() -> None:
    assert (SPEC.name, SPEC.label, SPEC.test_only) == ("stripe", "Stripe", False)
    assert [(f.name, f.secret, f.required) for f in SPEC.fields] == [
        ("secret_key", True, True),
        ("webhook_secret", True, True),
        ("publishable_key", False, True),
    ]
    provider = SPEC.factory(
        {
            "secret_key": "rk_test_51SAmPy7eR3str1cT3d",
            "webhook_secret": WEBHOOK_SECRET,
            "publishable_key": PUBLISHABLE_KEY,
        }
    )
    assert isinstance(provider, StripeProvider)
    assert provider.name == "stripe"
    assert provider.test_mode
    assert "rk_test" not in repr(provider)


@pytest.mark.parametrize(
    ("secret_key", "webhook_secret", "publishable_key", "complaint"),
    [
        ("pk_test_51abc", WEBHOOK_SECRET, PUBLISHABLE_KEY, "secret key starts with"),
        ("sk_sandbox_51abc", WEBHOOK_SECRET, PUBLISHABLE_KEY, "secret key starts with"),
        (SECRET_KEY, "whs_51abc", PUBLISHABLE_KEY, "whsec_"),
        (SECRET_KEY, WEBHOOK_SECRET, "sk_test_51abc", "publishable key starts with"),
        (SECRET_KEY, WEBHOOK_SECRET, "pk_live_51abc", "different modes"),
        ("sk_live_51abc", WEBHOOK_SECRET, PUBLISHABLE_KEY, "different modes"),
    ],
)
def test_keys_that_cannot_be_right_are_refused_without_being_quoted(
    secret_key: str, webhook_secret: str, publishable_key: str, complaint: str
) -> None:
    with pytest.raises(ValidationFailed, match=complaint) as refused:
        SPEC.factory(
            {
                "secret_key": secret_key,
                "webhook_secret": webhook_secret,
                "publishable_key": publishable_key,
            }
        )
    for value in (secret_key, webhook_secret, publishable_key):
        assert value not in refused.value.message


async def test_a_live_key_is_reported_as_live_mode() -> None:
    live_key = "sk_live_51SAmPy7eOpErAt0rL1v3k3y"
    replay = StripeReplay(secret_key=live_key)
    async with serving(replay) as url:
        provider = StripeProvider(
            secret_key=live_key,
            webhook_secret=WEBHOOK_SECRET,
            publishable_key="pk_live_51SAmPy7eOpErAt0r",
            api_base=url,
        )
        try:
            check = await provider.check_connection()
        finally:
            await provider.aclose()
    assert (check.ok, check.test_mode) == (True, False)
    assert "live mode" in check.message
    assert replay.requests[-1].path == "/v1/payment_intents"
    assert replay.requests[-1].method == "GET"


# --- the recorded Stripe objects ----------------------------------------------------------


def test_an_authorised_intent() -> None:
    intent = recorded("payment_intent_requires_capture")
    payment = payment_from_intent(intent)
    assert payment.reference == intent["id"]
    assert payment.state is S.AUTHORIZED
    assert (payment.authorized, payment.captured, payment.refunded) == (eur(5000), eur(0), eur(0))
    capture_before = intent["latest_charge"]["payment_method_details"]["card"]["capture_before"]
    assert payment.authorization_expires_at == datetime.fromtimestamp(capture_before, UTC)
    assert payment.method == intent["payment_method"]["id"]
    assert payment.card == CardDetails("visa", "4242", 12, 2030)
    assert payment.failure_code is None
    assert secret_free(payment.raw)
    assert payment.raw["id"] == intent["id"]


@pytest.mark.parametrize(
    ("name", "state", "authorized", "captured", "refunded"),
    [
        ("payment_intent_requires_payment_method", S.REQUIRES_ACTION, 0, 0, 0),
        ("payment_intent_requires_action", S.REQUIRES_ACTION, 0, 0, 0),
        ("payment_intent_partially_captured", S.PARTIALLY_CAPTURED, 5000, 4613, 0),
        ("payment_intent_partially_refunded", S.PARTIALLY_REFUNDED, 5000, 4613, 1000),
        ("payment_intent_canceled", S.VOIDED, 5000, 0, 0),
        ("payment_intent_expired", S.EXPIRED, 5000, 0, 0),
        ("payment_intent_succeeded", S.CAPTURED, 2380, 2380, 0),
    ],
)
def test_intent_states_and_amounts(
    name: str, state: PaymentState, authorized: int, captured: int, refunded: int
) -> None:
    payment = payment_from_intent(recorded(name))
    assert payment.state is state
    assert (payment.authorized, payment.captured, payment.refunded) == (
        eur(authorized),
        eur(captured),
        eur(refunded),
    )
    assert payment.authorization_expires_at is None
    assert secret_free(payment.raw)


def test_a_pending_challenge_has_stripe_s_url() -> None:
    intent = recorded("payment_intent_requires_action")
    payment = payment_from_intent(intent)
    assert payment.action_url == intent["next_action"]["redirect_to_url"]["url"]
    assert payment.card is not None
    assert payment.card.last4 == "3220"


@pytest.mark.parametrize(
    ("name", "code", "message"),
    [
        ("error_card_declined", "card_declined", "Your card was declined."),
        ("error_insufficient_funds", "insufficient_funds", "Your card has insufficient funds."),
        ("error_expired_card", "expired_card", "Your card has expired."),
        (
            "error_authentication_required",
            "authentication_required",
            "Your card was declined. This transaction requires authentication.",
        ),
    ],
)
def test_card_errors_are_declines_with_the_issuer_s_reason(
    name: str, code: str, message: str
) -> None:
    error = recorded(name)["error"]
    for payment in (
        payment_from_intent(error["payment_intent"], declined=error),
        payment_from_intent(error["payment_intent"]),  # the intent alone says the same
    ):
        assert payment.state is S.DECLINED
        assert (payment.failure_code, payment.failure_message) == (code, message)
        assert (payment.authorized, payment.captured) == (eur(0), eur(0))
        assert secret_free(payment.raw)


def test_a_refund() -> None:
    refund = refund_from_object(recorded("refund"), "pi_other")
    assert refund.reference == "re_3SAmPy7eR3pLaY0a1ReFuNd1"
    assert refund.payment_reference == "pi_3SAmPy7eR3pLaY0a1B2c3D4e"
    assert (refund.amount, refund.succeeded, refund.failure_message) == (eur(1000), True, None)
    failed = refund_from_object(
        {**recorded("refund"), "status": "failed", "failure_reason": "expired_or_canceled_card"},
        "pi_x",
    )
    assert (failed.succeeded, failed.failure_message) == (False, "expired_or_canceled_card")


def test_setups() -> None:
    waiting = setup_from_intent(recorded("setup_intent_requires_payment_method"))
    assert (waiting.state, waiting.method, waiting.action_url) == (S.REQUIRES_ACTION, None, None)
    assert secret_free(waiting.raw)
    ready = setup_from_intent(recorded("setup_intent_succeeded"))
    assert ready.state is S.AUTHORIZED
    assert ready.method == "pm_1SAmPy7eR3pLaY0aVisa4242"
    assert ready.card == CardDetails("visa", "4242", 12, 2030)
    canceled = setup_from_intent(
        {**recorded("setup_intent_requires_payment_method"), "status": "canceled"}
    )
    assert (canceled.state, canceled.failure_code) == (S.DECLINED, "setup_canceled")


# --- webhooks -----------------------------------------------------------------------------


def signed(
    event: dict[str, object], *, age_s: int = 0, secret: str = WEBHOOK_SECRET
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(event, indent=2).encode()
    timestamp = int(datetime.now(UTC).timestamp()) - age_s
    return body, {"Stripe-Signature": signature_header(body, secret, timestamp)}


def test_the_replay_signs_as_the_stripe_package_does() -> None:
    body = json.dumps(recorded("event_payment_intent_succeeded"))
    assert signature_header(body.encode(), WEBHOOK_SECRET, 1780300800) == (
        stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET, 1780300800)
    )


@pytest.mark.parametrize(
    ("name", "state", "captured", "refunded"),
    [
        ("event_payment_intent_amount_capturable_updated", S.AUTHORIZED, 0, 0),
        ("event_payment_intent_succeeded", S.PARTIALLY_CAPTURED, 4613, 0),
        ("event_payment_intent_payment_failed", S.DECLINED, 0, 0),
        ("event_charge_refunded", S.PARTIALLY_REFUNDED, 4613, 1000),
    ],
)
async def test_recorded_payment_events(
    stripe_provider: StripeProvider, name: str, state: PaymentState, captured: int, refunded: int
) -> None:
    event = recorded(name)
    body, headers = signed(event)
    parsed = stripe_provider.parse_webhook(body, headers)
    assert (parsed.provider, parsed.event_id, parsed.type) == ("stripe", event["id"], event["type"])
    assert parsed.occurred_at == datetime.fromtimestamp(event["created"], UTC)
    assert parsed.payment is not None
    assert parsed.setup is None
    obj = event["data"]["object"]
    assert parsed.payment.reference == obj.get("payment_intent", obj["id"])
    assert parsed.payment.state is state
    assert (parsed.payment.captured, parsed.payment.refunded) == (eur(captured), eur(refunded))
    assert secret_free(parsed.raw)


async def test_recorded_setup_event(stripe_provider: StripeProvider) -> None:
    parsed = stripe_provider.parse_webhook(*signed(recorded("event_setup_intent_succeeded")))
    assert parsed.payment is None
    assert parsed.setup is not None
    assert (parsed.setup.state, parsed.setup.method) == (
        S.AUTHORIZED,
        "pm_1SAmPy7eR3pLaY0aVisa4242",
    )


async def test_events_about_other_things_pass_without_a_payment(
    stripe_provider: StripeProvider,
) -> None:
    event = recorded("event_charge_refunded")
    event.update(id="evt_other", type="customer.updated")
    event["data"] = {"object": recorded("customer")}
    parsed = stripe_provider.parse_webhook(*signed(event))
    assert (parsed.type, parsed.payment, parsed.setup) == ("customer.updated", None, None)


async def test_signatures(stripe_provider: StripeProvider) -> None:
    event = recorded("event_payment_intent_succeeded")
    body, headers = signed(event, age_s=290)
    assert stripe_provider.parse_webhook(body, headers).event_id == event["id"]
    lower = {"stripe-signature": headers["Stripe-Signature"]}
    assert stripe_provider.parse_webhook(body, lower).event_id == event["id"]
    timestamp = int(datetime.now(UTC).timestamp())
    # While a signing secret is rolled, Stripe signs with the old and the new one.
    rolled = signature_header(body, "whsec_an0th3rS3cReT", timestamp)
    ours = signature_header(body, WEBHOOK_SECRET, timestamp).split(",")[1]
    rolling = {"Stripe-Signature": f"{rolled},{ours}"}
    assert stripe_provider.parse_webhook(body, rolling).event_id == event["id"]

    refused = [
        signed(event, age_s=301),
        signed(event, secret="whsec_n0tTh1s3nDp01nT"),
        (body.replace(b"4613", b"5000"), headers),
        (body, {"Stripe-Signature": "garbage"}),
        (body, {"Stripe-Signature": headers["Stripe-Signature"].split(",")[0]}),
        (body, {}),
        signed({"object": "list", "data": []}),
        (
            b"\xff\xfe",
            {"Stripe-Signature": signature_header(b"\xff\xfe", WEBHOOK_SECRET, timestamp)},
        ),
    ]
    for raw, with_headers in refused:
        with pytest.raises(InvalidWebhook):
            stripe_provider.parse_webhook(raw, with_headers)


def test_an_event_without_a_time_cannot_be_read() -> None:
    event = recorded("event_payment_intent_succeeded")
    event["created"] = "yesterday"
    with pytest.raises(ValueError, match="created"):
        event_from_object(event)
