"""Sandbox webhooks: signatures checked by the adapter on the raw body, delivery over HTTP to
a receiving server, retries, redelivery after a restart, and — with chaos on — duplicates
and events out of order that a receiver still reconciles to one capture per payment."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

import pytest
from sandbox_testkit import (  # noqa: F401 - pytest finds the *_fixture functions through these imports
    EUR_50,
    T0,
    Sandbox,
    SandboxFactory,
    eventually,
    free_port,
    sandbox_clock_fixture,
    sandbox_factory_fixture,
    sandbox_fixture,
    sandbox_receiver_fixture,
    submit_card,
)

from ampyre.domain.payments import MinorAmount, PaymentState, can_move
from ampyre.payments.sandbox import DeliveryPolicy, SandboxProvider, WebhookChaos
from ampyre.payments.sandbox.webhooks import SIGNATURE_HEADER, sign
from ampyre.services.clock import FixedClock
from ampyre.services.payment_port import InvalidWebhook

SECRET = "whs_sandbox_receiver"
BODY = json.dumps(
    {
        "id": "evt_sandbox_1",
        "object": "event",
        "type": "payment.captured",
        "created": int(T0.timestamp()),
        "livemode": False,
        "data": {
            "object": {
                "id": "pay_sandbox_1",
                "object": "payment",
                "status": "captured",
                "currency": "EUR",
                "amount": 5000,
                "amount_authorized": 5000,
                "amount_captured": 4000,
                "amount_refunded": 0,
                "expires_at": None,
                "method": "pm_sandbox_1",
                "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2034},
            }
        },
    }
).encode()


def _provider(sandbox_clock: FixedClock, secret: str = SECRET) -> SandboxProvider:
    return SandboxProvider("http://127.0.0.1:9", "sk_sandbox_x", secret, clock=sandbox_clock.now)


def test_a_valid_signature_gives_the_normalised_event(sandbox_clock: FixedClock) -> None:
    header = sign(BODY, SECRET, T0 - timedelta(seconds=299))
    event = _provider(sandbox_clock).parse_webhook(BODY, {"sandbox-signature": header})
    assert (event.provider, event.event_id, event.type) == (
        "sandbox",
        "evt_sandbox_1",
        "payment.captured",
    )
    assert event.occurred_at == T0
    assert event.payment is not None
    assert event.payment.state is PaymentState.PARTIALLY_CAPTURED
    assert event.payment.captured == MinorAmount(4000, "EUR")
    assert event.payment.card is not None
    assert event.payment.card.last4 == "4242"
    assert event.setup is None


@pytest.mark.parametrize(
    ("body", "header", "why"),
    [
        (BODY.replace(b"4000", b"5000"), sign(BODY, SECRET, T0), "does not match"),
        (BODY, sign(BODY, "whs_sandbox_other", T0), "does not match"),
        (BODY, sign(BODY, SECRET, T0 - timedelta(seconds=301)), "tolerance"),
        (BODY, sign(BODY, SECRET, T0 + timedelta(seconds=301)), "tolerance"),
        (BODY, None, "no Sandbox-Signature"),
        (BODY, "v1=abc", "malformed"),
        (b"{not json", sign(b"{not json", SECRET, T0), "cannot be read"),
        (b'{"id": "evt_1"}', sign(b'{"id": "evt_1"}', SECRET, T0), "cannot be read"),
    ],
    ids=[
        "tampered",
        "wrong-secret",
        "too-old",
        "from-the-future",
        "none",
        "malformed",
        "json",
        "shape",
    ],
)
def test_a_webhook_that_does_not_verify_is_refused(
    sandbox_clock: FixedClock, body: bytes, header: str | None, why: str
) -> None:
    headers = {} if header is None else {SIGNATURE_HEADER: header}
    with pytest.raises(InvalidWebhook, match=why):
        _provider(sandbox_clock).parse_webhook(body, headers)


def test_a_rotated_secret_may_sign_twice(sandbox_clock: FixedClock) -> None:
    old = sign(BODY, "whs_sandbox_old", T0)
    new = sign(BODY, SECRET, T0)
    header = f"{old},{new.split(',')[1]}"
    assert _provider(sandbox_clock).parse_webhook(BODY, {SIGNATURE_HEADER: header}).event_id


async def test_events_are_delivered_signed_once_and_in_order(sandbox: Sandbox) -> None:
    reference = await sandbox.authorised()
    await sandbox.provider.capture(reference, EUR_50, idempotency_key="capture:s1")
    await sandbox.app.psp.webhooks_idle()

    deliveries = sandbox.receiver.deliveries
    events = [sandbox.provider.parse_webhook(d.body, d.headers) for d in deliveries]
    assert [e.type for e in events] == ["payment.authorized", "payment.captured"]
    assert len({e.event_id for e in events}) == 2
    assert [e.payment.state for e in events if e.payment] == [
        PaymentState.AUTHORIZED,
        PaymentState.CAPTURED,
    ]
    assert all(e.payment and e.payment.reference == reference for e in events)
    assert deliveries[0].headers["user-agent"].startswith("Ampyre-Sandbox-PSP")


async def test_a_refused_delivery_is_retried(sandbox: Sandbox) -> None:
    sandbox.receiver.fail_first = 2
    await sandbox.authorised()
    await eventually(lambda: len(sandbox.receiver.deliveries) == 1)
    assert sandbox.receiver.refused == 2
    assert sandbox.receiver.of_type("payment.authorized")


async def test_undelivered_events_go_out_after_a_restart(sandbox_factory: SandboxFactory) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/hook"
    offline = await sandbox_factory(
        webhook_url=nowhere,
        delivery=DeliveryPolicy(timeout_s=1.0, max_attempts=2, retry_base_s=0.05),
    )
    await offline.authorised()
    await offline.app.psp.webhooks_idle()
    await offline.served.stop()
    assert offline.receiver.deliveries == []

    online = await sandbox_factory()
    await eventually(lambda: bool(online.receiver.deliveries))
    await online.app.psp.webhooks_idle()
    assert [d.event["type"] for d in online.receiver.deliveries] == ["payment.authorized"]


async def test_duplicates_and_out_of_order_events_reconcile_to_one_capture(
    sandbox_factory: SandboxFactory,
) -> None:
    sandbox = await sandbox_factory(
        chaos=WebhookChaos(duplicate_rate=0.5, max_delay_s=0.5, seed=20260302)
    )
    provider = sandbox.provider
    customer = await provider.ensure_customer(
        "cust-1", email=None, name="Jan", idempotency_key="customer:cust-1"
    )
    setup = await provider.set_up_method(
        customer, return_url=sandbox.receiver.return_url, idempotency_key="setup:1"
    )
    assert setup.action_url is not None
    await submit_card(setup.action_url, "4242424242424242")
    method = (await provider.get_setup(setup.reference)).method
    assert method is not None
    references = []
    for n in range(8):
        payment = await provider.authorise(
            MinorAmount(1000 + n, "EUR"),
            provider_customer=customer,
            method=method,
            return_url=sandbox.receiver.return_url,
            description=f"session {n}",
            idempotency_key=f"authorise:{n}",
            metadata={},
        )
        await provider.capture(
            payment.reference, payment.authorized, idempotency_key=f"capture:{n}"
        )
        references.append(payment.reference)
    await sandbox.app.psp.webhooks_idle()

    events = [provider.parse_webhook(d.body, d.headers) for d in sandbox.receiver.deliveries]
    arrivals = Counter(e.event_id for e in events)
    assert len(arrivals) == 1 + 2 * 8  # every event arrived ...
    assert max(arrivals.values()) == 2  # ... some of them twice
    assert sum(arrivals.values()) > len(arrivals)
    first_seen = {}
    for index, event in enumerate(events):
        first_seen.setdefault((event.payment.reference if event.payment else "", event.type), index)
    assert any(
        first_seen[(reference, "payment.captured")] < first_seen[(reference, "payment.authorized")]
        for reference in references
    ), "no capture overtook its authorisation"

    # What Ampyre does with them: skip known event ids, only move states forward.
    seen: set[str] = set()
    states: dict[str, PaymentState] = {}
    captures: Counter[str] = Counter()
    for event in events:
        if event.event_id in seen or event.payment is None:
            continue
        seen.add(event.event_id)
        reference, reported = event.payment.reference, event.payment.state
        current = states.get(reference)
        if current is None or can_move(current, reported):
            states[reference] = reported
            captures[reference] += reported is PaymentState.CAPTURED
    assert states == dict.fromkeys(references, PaymentState.CAPTURED)
    assert captures == Counter(dict.fromkeys(references, 1))


def test_chaos_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="share"):
        WebhookChaos(duplicate_rate=1.5)
    with pytest.raises(ValueError, match="negative"):
        WebhookChaos(max_delay_s=-1)
