"""What the sandbox's API does: customers, setups, payments, captures, voids, refunds.

Each operation runs inside one :class:`~.txn.Tx`, raises :class:`~.errors.SandboxError`
before changing anything when the request cannot be honoured, and emits one event per state
change. The rules are those of a real provider's manual-capture payments:

- a payment with a saved method is confirmed at once (authorised, or captured when
  ``capture_method`` is ``automatic``; declined for a card that declines); without a method
  it waits on the checkout page (``requires_payment_method``);
- capture only an ``authorized`` payment, 1 ≤ amount ≤ authorised, once; the rest is
  released; void an authorised or waiting payment;
- refund a captured payment, partially and repeatedly, up to what was captured;
- an authorisation not captured within ``authorization_ttl`` expires, a checkout not
  completed within ``checkout_ttl`` too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from ampyre.payments.sandbox import fields
from ampyre.payments.sandbox import tables as t
from ampyre.payments.sandbox.cards import TestCard, card_by_key, card_by_token
from ampyre.payments.sandbox.config import ACCOUNT_ID
from ampyre.payments.sandbox.errors import conflict, invalid, not_found
from ampyre.payments.sandbox.objects import (
    CHECKOUT_STATUSES,
    JsonObject,
    PaymentStatus,
    SetupStatus,
    customer_view,
    method_view,
    new_action_token,
    new_id,
    refund_view,
)
from ampyre.payments.sandbox.transitions import (
    approve_payment,
    await_challenge,
    decline_payment,
    fetch,
    load_payment,
    must,
    payment_json,
    setup_json,
    update_payment,
)
from ampyre.payments.sandbox.txn import Tx

Body = Mapping[str, Any]


async def get_account(tx: Tx) -> JsonObject:
    return {
        "id": ACCOUNT_ID,
        "object": "account",
        "livemode": False,
        "name": "Ampyre sandbox PSP (test mode, no real money)",
        "webhook_url": tx.config.webhook_url,
    }


async def create_customer(tx: Tx, body: Body) -> JsonObject:
    """A customer per ``external_id`` (the merchant's id): asking again returns the same
    customer, with ``email`` and ``name`` updated."""
    external_id = fields.text(body, "external_id", max_length=200, required=True)
    values = {
        "email": fields.text(body, "email", max_length=320),
        "name": fields.text(body, "name", max_length=200) or "",
    }
    found = (
        (
            await tx.conn.execute(
                sa.select(t.customers).where(t.customers.c.external_id == external_id)
            )
        )
        .mappings()
        .first()
    )
    if found is None:
        customer_id = new_id("cus")
        await tx.conn.execute(
            t.customers.insert().values(
                id=customer_id, external_id=external_id, created=tx.unix, **values
            )
        )
    else:
        customer_id = found["id"]
        await tx.conn.execute(
            t.customers.update().where(t.customers.c.id == customer_id).values(**values)
        )
    return customer_view(await must(tx, t.customers, customer_id))


async def _customer_id(tx: Tx, body: Body, *, required: bool) -> str | None:
    customer_id = fields.text(body, "customer", max_length=64, required=required)
    if customer_id is not None and await fetch(tx, t.customers, customer_id) is None:
        raise not_found("customer", customer_id)
    return customer_id


async def create_setup(tx: Tx, body: Body) -> JsonObject:
    """Start saving a card for ``customer``: the card is entered on the checkout page."""
    customer_id = await _customer_id(tx, body, required=True)
    setup_id = new_id("seti")
    await tx.conn.execute(
        t.setups.insert().values(
            id=setup_id,
            customer_id=customer_id,
            status=SetupStatus.REQUIRES_PAYMENT_METHOD,
            return_url=fields.url(body, "return_url", required=True),
            action_token=new_action_token(),
            created=tx.unix,
            updated=tx.unix,
        )
    )
    return await setup_json(tx, setup_id)


async def _payment_method(tx: Tx, reference: str, customer_id: str | None) -> RowMapping:
    """The card a payment is confirmed with: a method saved on ``customer_id`` (or on
    anyone, without a customer), or a fresh card from a test method token."""
    test_card = card_by_token(reference)
    if test_card is not None:
        return await _card_from_token(tx, test_card)
    method = await fetch(tx, t.methods, reference)
    if method is None:
        raise not_found("method", reference)
    if method["detached"] is not None:
        raise invalid("method_detached", f"method {reference!r} was detached")
    if method["customer_id"] is None:
        raise invalid("method_not_saved", f"method {reference!r} is not saved on a customer")
    if customer_id is not None and method["customer_id"] != customer_id:
        raise invalid(
            "method_customer_mismatch", f"method {reference!r} belongs to another customer"
        )
    return method


async def _card_from_token(tx: Tx, card: TestCard) -> RowMapping:
    method_id = new_id("pm")
    await tx.conn.execute(
        t.methods.insert().values(
            id=method_id,
            customer_id=None,
            card_key=card.key,
            brand=card.brand,
            last4=card.number[-4:],
            exp_month=12,
            exp_year=tx.now.year + 3,
            created=tx.unix,
        )
    )
    return await must(tx, t.methods, method_id)


async def create_payment(tx: Tx, body: Body) -> JsonObject:
    """A payment of ``amount`` ``currency``. With ``method`` (a saved card or a test token)
    it is confirmed at once: authorised, declined, or — when the card asks for 3-D Secure and
    the customer is present — waiting for the challenge at ``action_url``. Without a method
    the customer enters a card at ``action_url``."""
    amount = fields.amount(body)
    currency = fields.currency(body)
    capture_method = fields.choice(
        body, "capture_method", ("manual", "automatic"), default="manual"
    )
    off_session = fields.flag(body, "off_session", default=False)
    customer_id = await _customer_id(tx, body, required=False)
    reference = fields.text(body, "method", max_length=64)
    method = await _payment_method(tx, reference, customer_id) if reference else None
    if method is None and off_session:
        raise invalid("parameter_missing", "an off-session payment needs a saved method")
    return_url = fields.url(body, "return_url", required=not off_session)
    payment_id = new_id("pay")
    await tx.conn.execute(
        t.payments.insert().values(
            id=payment_id,
            customer_id=customer_id or (method["customer_id"] if method is not None else None),
            method_id=None,
            amount=amount,
            currency=currency,
            capture_method=capture_method,
            off_session=off_session,
            status=PaymentStatus.REQUIRES_PAYMENT_METHOD,
            amount_authorized=0,
            amount_captured=0,
            amount_refunded=0,
            description=fields.text(body, "description", max_length=500) or "",
            metadata=json.dumps(fields.metadata(body), sort_keys=True),
            return_url=return_url,
            action_token=new_action_token(),
            expires_at=tx.unix + int(tx.config.checkout_ttl.total_seconds()),
            created=tx.unix,
            updated=tx.unix,
        )
    )
    if method is None:
        return await payment_json(tx, payment_id)
    card = card_by_key(method["card_key"])
    if card.declines:
        return await decline_payment(tx, payment_id, method["id"], card.decline_code or "")
    if card.needs_challenge(saved=method["customer_id"] is not None):
        if off_session:
            return await decline_payment(tx, payment_id, method["id"], "authentication_required")
        await await_challenge(tx, "payment", payment_id, method["id"])
        return await payment_json(tx, payment_id)
    return await approve_payment(tx, payment_id, method["id"])


async def capture_payment(tx: Tx, payment_id: str, body: Body) -> JsonObject:
    """Take ``amount`` (≤ authorised) of an authorised payment; the rest is released."""
    payment, _ = await load_payment(tx, payment_id)
    amount = fields.amount(body)
    currency = fields.currency(body, required=False)
    if currency is not None and currency != payment["currency"]:
        raise invalid("currency_mismatch", f"the payment is in {payment['currency']}")
    if payment["status"] != PaymentStatus.AUTHORIZED:
        raise conflict("payment_not_capturable", f"the payment is {payment['status']}")
    if amount > payment["amount_authorized"]:
        raise invalid(
            "amount_too_large",
            f"cannot capture {amount}: only {payment['amount_authorized']} is authorised",
        )
    await update_payment(
        tx, payment_id, status=PaymentStatus.CAPTURED, amount_captured=amount, expires_at=None
    )
    view = await payment_json(tx, payment_id)
    await tx.emit("payment.captured", view)
    return view


async def void_payment(tx: Tx, payment_id: str) -> JsonObject:
    """Cancel an authorised payment (or one still waiting for the customer)."""
    payment, _ = await load_payment(tx, payment_id)
    if payment["status"] not in (PaymentStatus.AUTHORIZED, *CHECKOUT_STATUSES):
        raise conflict("payment_not_voidable", f"the payment is {payment['status']}")
    await update_payment(tx, payment_id, status=PaymentStatus.VOIDED, expires_at=None)
    view = await payment_json(tx, payment_id)
    await tx.emit("payment.voided", view)
    return view


async def refund_payment(tx: Tx, payment_id: str, body: Body) -> JsonObject:
    """Pay back ``amount`` of a captured payment (several partial refunds allowed)."""
    payment, _ = await load_payment(tx, payment_id)
    amount = fields.amount(body)
    currency = fields.currency(body, required=False)
    if currency is not None and currency != payment["currency"]:
        raise invalid("currency_mismatch", f"the payment is in {payment['currency']}")
    reason = fields.text(body, "reason", max_length=500) or ""
    if payment["status"] != PaymentStatus.CAPTURED:
        raise conflict("payment_not_refundable", f"the payment is {payment['status']}")
    left = payment["amount_captured"] - payment["amount_refunded"]
    if amount > left:
        raise invalid("amount_too_large", f"cannot refund {amount}: {left} is left to refund")
    refund_id = new_id("re")
    await tx.conn.execute(
        t.refunds.insert().values(
            id=refund_id,
            payment_id=payment_id,
            amount=amount,
            currency=payment["currency"],
            reason=reason,
            status="succeeded",
            created=tx.unix,
        )
    )
    await update_payment(tx, payment_id, amount_refunded=payment["amount_refunded"] + amount)
    await tx.emit("payment.refunded", await payment_json(tx, payment_id))
    return refund_view(await must(tx, t.refunds, refund_id))


async def detach_method(tx: Tx, method_id: str) -> JsonObject:
    """Forget a saved card: it can no longer be charged. Detaching again changes nothing."""
    method = await fetch(tx, t.methods, method_id)
    if method is None:
        raise not_found("method", method_id)
    if method["detached"] is None:
        await tx.conn.execute(
            t.methods.update().where(t.methods.c.id == method_id).values(detached=tx.unix)
        )
        method = await must(tx, t.methods, method_id)
    return method_view(method)
