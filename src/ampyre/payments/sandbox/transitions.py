"""How payments and setups change state, shared by the API (:mod:`.operations`) and the
checkout pages (:mod:`.checkout`): each change is written and announced as an event in the
request's transaction.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from ampyre.payments.sandbox import tables as t
from ampyre.payments.sandbox.cards import DECLINE_MESSAGES
from ampyre.payments.sandbox.errors import not_found
from ampyre.payments.sandbox.objects import (
    CHECKOUT_STATUSES,
    JsonObject,
    PaymentStatus,
    SetupStatus,
    payment_view,
    setup_view,
)
from ampyre.payments.sandbox.txn import Tx


async def fetch(tx: Tx, table: sa.Table, object_id: str | None) -> RowMapping | None:
    """The row of ``table`` with this id, if any."""
    if object_id is None:
        return None
    return (
        (await tx.conn.execute(sa.select(table).where(table.c.id == object_id))).mappings().first()
    )


async def must(tx: Tx, table: sa.Table, object_id: str) -> RowMapping:
    """A row this transaction just wrote or checked (its absence is a bug, not a 404)."""
    row = await fetch(tx, table, object_id)
    if row is None:
        raise RuntimeError(f"{table.name} {object_id} vanished inside its transaction")
    return row


async def load_payment(tx: Tx, payment_id: str) -> tuple[RowMapping, RowMapping | None]:
    """The payment and the card it was made with; 404 when there is no such payment."""
    payment = await fetch(tx, t.payments, payment_id)
    if payment is None:
        raise not_found("payment", payment_id)
    return payment, await fetch(tx, t.methods, payment["method_id"])


async def payment_json(tx: Tx, payment_id: str) -> JsonObject:
    payment, method = await load_payment(tx, payment_id)
    return payment_view(payment, method, tx.base_url)


async def setup_json(tx: Tx, setup_id: str) -> JsonObject:
    setup = await fetch(tx, t.setups, setup_id)
    if setup is None:
        raise not_found("setup", setup_id)
    return setup_view(setup, await fetch(tx, t.methods, setup["method_id"]), tx.base_url)


async def update_payment(tx: Tx, payment_id: str, **values: Any) -> None:
    await tx.conn.execute(
        t.payments.update().where(t.payments.c.id == payment_id).values(updated=tx.unix, **values)
    )


async def attach(tx: Tx, method_id: str, customer_id: str | None) -> None:
    if customer_id is not None:
        await tx.conn.execute(
            t.methods.update().where(t.methods.c.id == method_id).values(customer_id=customer_id)
        )


async def approve_payment(tx: Tx, payment_id: str, method_id: str) -> JsonObject:
    """The card was accepted: authorise (manual capture) or take the amount (automatic);
    the card is saved on the payment's customer."""
    payment, _ = await load_payment(tx, payment_id)
    await attach(tx, method_id, payment["customer_id"])
    values: dict[str, Any] = {
        "method_id": method_id,
        "amount_authorized": payment["amount"],
        "authorized_at": tx.unix,
        "failure_code": None,
        "failure_message": None,
    }
    if payment["capture_method"] == "automatic":
        values |= {"status": PaymentStatus.CAPTURED, "amount_captured": payment["amount"]}
        values["expires_at"] = None
        event = "payment.captured"
    else:
        values["status"] = PaymentStatus.AUTHORIZED
        values["expires_at"] = tx.unix + int(tx.config.authorization_ttl.total_seconds())
        event = "payment.authorized"
    await update_payment(tx, payment_id, **values)
    view = await payment_json(tx, payment_id)
    await tx.emit(event, view)
    return view


async def decline_payment(
    tx: Tx, payment_id: str, method_id: str | None, code: str, message: str | None = None
) -> JsonObject:
    await update_payment(
        tx,
        payment_id,
        method_id=method_id,
        status=PaymentStatus.DECLINED,
        expires_at=None,
        failure_code=code,
        failure_message=message or DECLINE_MESSAGES.get(code, "The payment was declined."),
    )
    view = await payment_json(tx, payment_id)
    await tx.emit("payment.declined", view)
    return view


async def await_challenge(tx: Tx, kind: str, object_id: str, method_id: str) -> None:
    """The card needs 3-D Secure: the payment or setup waits for the challenge page."""
    table = t.payments if kind == "payment" else t.setups
    await tx.conn.execute(
        table.update()
        .where(table.c.id == object_id)
        .values(method_id=method_id, status=PaymentStatus.REQUIRES_ACTION, updated=tx.unix)
    )


async def finish_setup(
    tx: Tx, setup_id: str, method_id: str, code: str | None, message: str | None = None
) -> JsonObject:
    """A setup succeeds (``code`` None: the card is saved on its customer) or fails."""
    setup = await must(tx, t.setups, setup_id)
    if code is None:
        await attach(tx, method_id, setup["customer_id"])
        values: dict[str, Any] = {"status": SetupStatus.SUCCEEDED}
    else:
        message = message or DECLINE_MESSAGES.get(code, "The card could not be saved.")
        values = {"status": SetupStatus.FAILED, "failure_code": code, "failure_message": message}
    await tx.conn.execute(
        t.setups.update()
        .where(t.setups.c.id == setup_id)
        .values(method_id=method_id, updated=tx.unix, **values)
    )
    view = await setup_json(tx, setup_id)
    await tx.emit("setup.succeeded" if code is None else "setup.failed", view)
    return view


async def expire_due(tx: Tx) -> None:
    """Expire authorisations and checkouts whose time is up (one event each)."""
    due = (
        await tx.conn.execute(
            sa.select(t.payments.c.id).where(
                t.payments.c.status.in_([PaymentStatus.AUTHORIZED, *CHECKOUT_STATUSES]),
                t.payments.c.expires_at <= tx.unix,
            )
        )
    ).scalars()
    for payment_id in list(due):
        await update_payment(tx, payment_id, status=PaymentStatus.EXPIRED, expires_at=None)
        await tx.emit("payment.expired", await payment_json(tx, payment_id))
