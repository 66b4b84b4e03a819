"""Sandbox objects (JSON) as the payment port's records, states normalised.

Sandbox statuses map to :class:`PaymentState`: ``requires_payment_method`` and
``requires_action`` → REQUIRES_ACTION; ``authorized`` → AUTHORIZED; ``captured`` →
CAPTURED, or PARTIALLY_CAPTURED when less than authorised was taken, or (PARTIALLY_)REFUNDED
once refunds were made; ``voided`` / ``expired`` / ``declined`` as named. Setups:
``succeeded`` → AUTHORIZED (the method is ready), ``failed`` → DECLINED. An object that
cannot be read raises ``KeyError`` / ``TypeError`` / ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ampyre.domain.payments import MinorAmount, PaymentState
from ampyre.services.payment_port import CardDetails, ProviderPayment, ProviderSetup

_S = PaymentState
_SIMPLE_STATES = {
    "requires_payment_method": _S.REQUIRES_ACTION,
    "requires_action": _S.REQUIRES_ACTION,
    "authorized": _S.AUTHORIZED,
    "voided": _S.VOIDED,
    "expired": _S.EXPIRED,
    "declined": _S.DECLINED,
}
_SETUP_STATES = {
    "requires_payment_method": _S.REQUIRES_ACTION,
    "requires_action": _S.REQUIRES_ACTION,
    "succeeded": _S.AUTHORIZED,
    "failed": _S.DECLINED,
}


def payment_state(obj: Mapping[str, Any]) -> PaymentState:
    """The normalised state of a sandbox payment object (see the module docstring)."""
    status = obj["status"]
    if status in _SIMPLE_STATES:
        return _SIMPLE_STATES[status]
    if status != "captured":
        raise ValueError(f"unknown sandbox payment status {status!r}")
    captured, refunded = int(obj["amount_captured"]), int(obj["amount_refunded"])
    if refunded > 0:
        return _S.REFUNDED if refunded >= captured else _S.PARTIALLY_REFUNDED
    return _S.PARTIALLY_CAPTURED if captured < int(obj["amount_authorized"]) else _S.CAPTURED


def _card(obj: Mapping[str, Any]) -> CardDetails | None:
    card = obj.get("card")
    if not card:
        return None
    return CardDetails(
        brand=str(card["brand"]),
        last4=str(card["last4"]),
        exp_month=int(card["exp_month"]),
        exp_year=int(card["exp_year"]),
    )


def _time(value: Any) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(int(value), UTC)


def to_payment(obj: Mapping[str, Any]) -> ProviderPayment:
    currency = str(obj["currency"])
    return ProviderPayment(
        reference=str(obj["id"]),
        state=payment_state(obj),
        authorized=MinorAmount(int(obj["amount_authorized"]), currency),
        captured=MinorAmount(int(obj["amount_captured"]), currency),
        refunded=MinorAmount(int(obj["amount_refunded"]), currency),
        action_url=obj.get("action_url"),
        authorization_expires_at=_time(obj.get("expires_at"))
        if obj["status"] == "authorized"
        else None,
        method=obj.get("method"),
        card=_card(obj),
        failure_code=obj.get("failure_code"),
        failure_message=obj.get("failure_message"),
        raw=dict(obj),
    )


def to_setup(obj: Mapping[str, Any]) -> ProviderSetup:
    status = obj["status"]
    if status not in _SETUP_STATES:
        raise ValueError(f"unknown sandbox setup status {status!r}")
    return ProviderSetup(
        reference=str(obj["id"]),
        state=_SETUP_STATES[status],
        action_url=obj.get("action_url"),
        method=obj.get("method"),
        card=_card(obj),
        failure_code=obj.get("failure_code"),
        failure_message=obj.get("failure_message"),
        raw=dict(obj),
    )
