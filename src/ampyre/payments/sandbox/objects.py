"""The sandbox's objects as its API shows them (JSON), their statuses and ids.

A payment's ``status`` is the sandbox's own vocabulary (the adapter maps it to Ampyre's
``PaymentState``): ``requires_payment_method`` (waiting for a card on the checkout page),
``requires_action`` (waiting for the 3-D Secure challenge), ``authorized``, ``captured``
(``amount_captured`` may be less than ``amount_authorized``; the rest was released),
``voided``, ``expired``, ``declined``. Refunds do not change the status: they grow
``amount_refunded``. A setup is ``requires_payment_method``, ``requires_action``,
``succeeded`` (its ``method`` can be charged) or ``failed``.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

JsonObject = dict[str, Any]
Row = Mapping[Any, Any]
"""A stored row (SQLAlchemy ``RowMapping``)."""


class PaymentStatus(StrEnum):
    REQUIRES_PAYMENT_METHOD = "requires_payment_method"
    REQUIRES_ACTION = "requires_action"
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    VOIDED = "voided"
    EXPIRED = "expired"
    DECLINED = "declined"


CHECKOUT_STATUSES = frozenset(
    {PaymentStatus.REQUIRES_PAYMENT_METHOD, PaymentStatus.REQUIRES_ACTION}
)
"""The customer still has to act (card entry, challenge): the action URL works."""


class SetupStatus(StrEnum):
    REQUIRES_PAYMENT_METHOD = "requires_payment_method"
    REQUIRES_ACTION = "requires_action"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


def new_id(kind: str) -> str:
    """A fresh object id, e.g. ``pay_sandbox_3f9c...``: the kind tells what it names."""
    return f"{kind}_sandbox_{secrets.token_hex(12)}"


def new_action_token() -> str:
    """The unguessable part of a checkout page's address (no API key on that page)."""
    return secrets.token_urlsafe(24)


def checkout_url(base_url: str | None, token: str | None) -> str | None:
    """Where the customer completes a payment or setup, when the sandbox knows its address."""
    if base_url is None or token is None:
        return None
    return f"{base_url.rstrip('/')}/checkout/{token}"


def card_view(method: Row | None) -> JsonObject | None:
    if method is None:
        return None
    return {
        "brand": method["brand"],
        "last4": method["last4"],
        "exp_month": method["exp_month"],
        "exp_year": method["exp_year"],
    }


def method_view(method: Row) -> JsonObject:
    return {
        "id": method["id"],
        "object": "method",
        "customer": method["customer_id"],
        "card": card_view(method),
        "created": method["created"],
        "detached": method["detached"],
    }


def payment_view(payment: Row, method: Row | None, base_url: str | None) -> JsonObject:
    waiting = payment["status"] in CHECKOUT_STATUSES
    return {
        "id": payment["id"],
        "object": "payment",
        "livemode": False,
        "status": payment["status"],
        "amount": payment["amount"],
        "currency": payment["currency"],
        "capture_method": payment["capture_method"],
        "off_session": payment["off_session"],
        "amount_authorized": payment["amount_authorized"],
        "amount_captured": payment["amount_captured"],
        "amount_refunded": payment["amount_refunded"],
        "customer": payment["customer_id"],
        "method": payment["method_id"],
        "card": card_view(method),
        "description": payment["description"],
        "metadata": json.loads(payment["metadata"]),
        "return_url": payment["return_url"],
        "action_url": checkout_url(base_url, payment["action_token"]) if waiting else None,
        "created": payment["created"],
        "authorized_at": payment["authorized_at"],
        "expires_at": payment["expires_at"],
        "failure_code": payment["failure_code"],
        "failure_message": payment["failure_message"],
    }


def setup_view(setup: Row, method: Row | None, base_url: str | None) -> JsonObject:
    waiting = setup["status"] in (SetupStatus.REQUIRES_PAYMENT_METHOD, SetupStatus.REQUIRES_ACTION)
    return {
        "id": setup["id"],
        "object": "setup",
        "livemode": False,
        "status": setup["status"],
        "customer": setup["customer_id"],
        "method": setup["method_id"] if setup["status"] == SetupStatus.SUCCEEDED else None,
        "card": card_view(method),
        "return_url": setup["return_url"],
        "action_url": checkout_url(base_url, setup["action_token"]) if waiting else None,
        "created": setup["created"],
        "failure_code": setup["failure_code"],
        "failure_message": setup["failure_message"],
    }


def refund_view(refund: Row) -> JsonObject:
    return {
        "id": refund["id"],
        "object": "refund",
        "payment": refund["payment_id"],
        "amount": refund["amount"],
        "currency": refund["currency"],
        "reason": refund["reason"],
        "status": refund["status"],
        "created": refund["created"],
    }


def customer_view(customer: Row) -> JsonObject:
    return {
        "id": customer["id"],
        "object": "customer",
        "external_id": customer["external_id"],
        "email": customer["email"],
        "name": customer["name"],
        "created": customer["created"],
    }
