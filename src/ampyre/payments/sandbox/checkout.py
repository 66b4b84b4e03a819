"""What happens on the checkout pages: the customer enters a card, then maybe passes the
3-D Secure challenge (see :mod:`.cards` for what each test card does).

A payment or setup waiting for a card is found by the unguessable token in its action URL
(the page has no API key). Entering a card creates a saved-method token (``pm_sandbox_...``)
holding brand, last four digits and expiry only. The method is saved on the customer when
the payment or setup succeeds; a payment without a customer leaves it unsaved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from ampyre.payments.sandbox import tables as t
from ampyre.payments.sandbox import transitions
from ampyre.payments.sandbox.cards import Outcome, card_by_key, read_card
from ampyre.payments.sandbox.errors import SandboxError, conflict
from ampyre.payments.sandbox.objects import (
    JsonObject,
    PaymentStatus,
    SetupStatus,
    new_id,
)
from ampyre.payments.sandbox.txn import Tx

CANCELLED_MESSAGE = "3-D Secure was cancelled by the cardholder."


@dataclass(frozen=True, slots=True)
class Checkout:
    """A payment (``kind`` "payment") or a setup as its checkout page shows it."""

    kind: str
    view: JsonObject
    """The object as the API shows it (status, amount, card...)."""
    token: str

    @property
    def status(self) -> str:
        return str(self.view["status"])

    @property
    def needs_card(self) -> bool:
        return self.status == PaymentStatus.REQUIRES_PAYMENT_METHOD

    @property
    def needs_challenge(self) -> bool:
        return self.status == PaymentStatus.REQUIRES_ACTION

    @property
    def succeeded(self) -> bool:
        return self.status in (
            PaymentStatus.AUTHORIZED,
            PaymentStatus.CAPTURED,
            SetupStatus.SUCCEEDED,
        )

    def return_url(self) -> str:
        """Where the browser goes when the checkout is over: the merchant's ``return_url``
        with ``sandbox_<kind>=<id>`` and ``redirect_status`` (succeeded / failed) added."""
        parts = urlsplit(self.view["return_url"])
        query = parse_qsl(parts.query, keep_blank_values=True)
        query += [
            (f"sandbox_{self.kind}", self.view["id"]),
            ("redirect_status", "succeeded" if self.succeeded else "failed"),
        ]
        return urlunsplit(parts._replace(query=urlencode(query)))


async def find(tx: Tx, token: str) -> Checkout:
    """The payment or setup behind a checkout token; 404 when there is none."""
    for kind, table in (("payment", t.payments), ("setup", t.setups)):
        row = (
            (await tx.conn.execute(sa.select(table.c.id).where(table.c.action_token == token)))
            .mappings()
            .first()
        )
        if row is not None:
            return await _checkout(tx, kind, row["id"], token)
    raise SandboxError(404, "resource_missing", "this checkout page does not exist")


async def _checkout(tx: Tx, kind: str, object_id: str, token: str) -> Checkout:
    if kind == "payment":
        return Checkout(kind, await transitions.payment_json(tx, object_id), token)
    return Checkout(kind, await transitions.setup_json(tx, object_id), token)


async def enter_card(tx: Tx, token: str, number: str, expiry: str, cvc: str) -> Checkout:
    """The customer submitted the card form. :class:`~.cards.CardRefused` (nothing changed)
    when the form is wrong; otherwise the payment or setup moves on: done, or waiting for
    the 3-D Secure challenge."""
    checkout = await find(tx, token)
    if not checkout.needs_card:
        raise conflict("checkout_not_open", f"this {checkout.kind} is {checkout.view['status']}")
    facts = read_card(number, expiry, cvc, now=tx.now)
    method_id = new_id("pm")
    await tx.conn.execute(
        t.methods.insert().values(
            id=method_id,
            customer_id=None,
            card_key=facts.card.key,
            brand=facts.card.brand,
            last4=facts.last4,
            exp_month=facts.exp_month,
            exp_year=facts.exp_year,
            created=tx.unix,
        )
    )
    object_id = checkout.view["id"]
    card = facts.card
    if card.needs_challenge(saved=False):
        await transitions.await_challenge(tx, checkout.kind, object_id, method_id)
    elif checkout.kind == "payment":
        if card.declines:
            await transitions.decline_payment(tx, object_id, method_id, card.decline_code or "")
        else:
            await transitions.approve_payment(tx, object_id, method_id)
    else:
        failure = card.decline_code if card.outcome is Outcome.DECLINE else None
        await transitions.finish_setup(tx, object_id, method_id, failure)
    return await _checkout(tx, checkout.kind, object_id, token)


async def answer_challenge(tx: Tx, token: str, code: str, *, cancel: bool) -> Checkout:
    """The customer answered the 3-D Secure challenge (or cancelled it): the payment or
    setup succeeds with the right code on a card whose challenge can pass, else it is
    declined with ``authentication_failed``."""
    checkout = await find(tx, token)
    if not checkout.needs_challenge:
        raise conflict("checkout_not_open", f"this {checkout.kind} is {checkout.view['status']}")
    method_id: str = checkout.view["method"] if checkout.kind == "payment" else ""
    if checkout.kind == "setup":
        method_id = await _pending_setup_method(tx, checkout.view["id"])
    method = (
        (await tx.conn.execute(sa.select(t.methods).where(t.methods.c.id == method_id)))
        .mappings()
        .one()
    )
    passed = not cancel and card_by_key(method["card_key"]).passes_challenge(code)
    message = CANCELLED_MESSAGE if cancel else None
    object_id = checkout.view["id"]
    if checkout.kind == "payment":
        if passed:
            await transitions.approve_payment(tx, object_id, method_id)
        else:
            await transitions.decline_payment(
                tx, object_id, method_id, "authentication_failed", message
            )
    else:
        failure = None if passed else "authentication_failed"
        await transitions.finish_setup(tx, object_id, method_id, failure, message)
    return await _checkout(tx, checkout.kind, object_id, token)


async def _pending_setup_method(tx: Tx, setup_id: str) -> str:
    row: RowMapping = (
        (await tx.conn.execute(sa.select(t.setups.c.method_id).where(t.setups.c.id == setup_id)))
        .mappings()
        .one()
    )
    return str(row["method_id"])


def card_expiry_hint(now: datetime) -> str:
    """An expiry in the future to suggest on the form, e.g. "12/34"."""
    return f"12/{(now.year + 5) % 100:02d}"
