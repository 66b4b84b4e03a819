"""The money ledger: every money movement as an append-only entry (DOMAIN.md §3).

Authorisations, releases, captures, refunds, wallet top-ups and spends, and bonus point
redemptions are each one :class:`LedgerEntry`. Nothing is ever updated or deleted; balances
are sums over entries (:func:`wallet_balance`, :func:`captured_total`).

Each entry carries a ``key`` that names the movement itself, e.g. "capture:pay_42" — the
same key as the provider call's idempotency key where there is one. The key is unique, so a
duplicated webhook, a retried capture or two concurrent captures of one session can write
the movement once only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ampyre.domain.errors import Conflict, ValidationFailed
from ampyre.domain.payments import MinorAmount, Payment, PaymentState

KEY_MAX = 200


class LedgerKind(StrEnum):
    AUTHORIZATION = "authorization"
    """An amount reserved on a card (no money moved yet)."""
    RELEASE = "release"
    """What an authorisation reserved and was not captured (voided, expired or the rest
    of a partial capture)."""
    CAPTURE = "capture"
    """Money taken from a card: a capture or a merchant-initiated charge."""
    REFUND = "refund"
    """Money paid back to a card."""
    WALLET_TOP_UP = "wallet_top_up"
    """Money added to a prepaid wallet (its card payment is a CAPTURE of its own)."""
    WALLET_SPEND = "wallet_spend"
    """A session paid from the wallet."""
    POINTS_REDEMPTION = "points_redemption"
    """Bonus points' value taken off a session."""
    DEBT = "debt"
    """A session's cost that could not be collected (failed capture after the retries)."""
    DEBT_SETTLED = "debt_settled"


_WALLET_SIGN = {LedgerKind.WALLET_TOP_UP: 1, LedgerKind.WALLET_SPEND: -1}


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One movement of ``amount`` (≥ 0; the kind says which way) for ``customer_id``.

    ``payment_id`` is Ampyre's payment it belongs to, ``transaction_id`` the charging
    session; ``key`` is unique across the ledger (see the module docstring).
    """

    key: str
    kind: LedgerKind
    amount: MinorAmount
    customer_id: str
    at: datetime
    payment_id: str | None = None
    transaction_id: int | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if not self.key or len(self.key) > KEY_MAX:
            raise ValidationFailed(f"a ledger key is 1-{KEY_MAX} characters")
        if self.at.utcoffset() is None:
            raise ValidationFailed("a ledger entry's time needs a time zone")


def wallet_balance(entries: Iterable[LedgerEntry], currency: str) -> int:
    """Top-ups minus spends in ``currency``, in minor units: below zero only within a
    credit limit (spends are checked first, :func:`check_wallet_spend`)."""
    total = 0
    for entry in entries:
        sign = _WALLET_SIGN.get(entry.kind)
        if sign is not None and entry.amount.currency == currency:
            total += sign * entry.amount.value
    return total


def check_wallet_spend(
    balance: int, spend: MinorAmount, *, credit_limit: MinorAmount | None = None
) -> None:
    """Raise ``Conflict`` (code ``insufficient_balance``) unless ``spend`` fits the
    wallet's ``balance`` (minor units of ``spend.currency``) plus ``credit_limit``: a wallet
    never goes negative without a configured credit limit."""
    if credit_limit is not None and credit_limit.currency != spend.currency:
        raise ValidationFailed(
            f"the credit limit is in {credit_limit.currency}, not {spend.currency}"
        )
    room = balance + (credit_limit.value if credit_limit is not None else 0)
    if spend.value > room:
        held = MinorAmount(max(balance, 0), spend.currency)
        raise Conflict(
            f"the wallet holds {held}"
            + (f" with a credit limit of {credit_limit}" if credit_limit else "")
            + f", which does not cover {spend}",
            code="insufficient_balance",
        )


def captured_total(entries: Iterable[LedgerEntry], currency: str) -> MinorAmount:
    """Captured minus refunded, in ``currency``."""
    total = 0
    for entry in entries:
        if entry.amount.currency != currency:
            continue
        if entry.kind is LedgerKind.CAPTURE:
            total += entry.amount.value
        elif entry.kind is LedgerKind.REFUND:
            total -= entry.amount.value
    return MinorAmount(max(total, 0), currency)


def payment_movements(before: Payment, after: Payment, at: datetime) -> list[LedgerEntry]:
    """The ledger entries a payment's move from ``before`` to ``after`` makes.

    Keys are derived from the payment and the amounts, never from the event that reported
    the move, so the same move reported twice (a duplicated webhook, a retried call, two
    concurrent captures) yields the same keys and is written once.
    """
    entries: list[LedgerEntry] = []

    def add(kind: LedgerKind, key: str, amount: MinorAmount) -> None:
        if amount.value > 0:
            entries.append(
                LedgerEntry(
                    key=key,
                    kind=kind,
                    amount=amount,
                    customer_id=after.customer_id,
                    at=at,
                    payment_id=after.id,
                    transaction_id=after.transaction_id,
                )
            )

    settled = after.state in _SETTLED
    was_authorised = before.state in _HOLDING or before.state in _SETTLED
    if after.state is PaymentState.AUTHORIZED or (settled and not was_authorised):
        add(LedgerKind.AUTHORIZATION, f"authorization:{after.id}", after.authorized)
    if after.captured.value > before.captured.value:
        add(LedgerKind.CAPTURE, f"capture:{after.id}", after.captured - before.captured)
    if after.state in _RELEASING and before.state not in _RELEASING:
        add(LedgerKind.RELEASE, f"release:{after.id}", _released(after))
    if after.refunded.value > before.refunded.value:
        add(
            LedgerKind.REFUND,
            f"refund:{after.id}:{after.refunded.value}",
            after.refunded - before.refunded,
        )
    return entries


_HOLDING = frozenset({PaymentState.AUTHORIZED})
_SETTLED = frozenset(
    {
        PaymentState.CAPTURED,
        PaymentState.PARTIALLY_CAPTURED,
        PaymentState.PARTIALLY_REFUNDED,
        PaymentState.REFUNDED,
    }
)
_RELEASING = frozenset({PaymentState.PARTIALLY_CAPTURED, PaymentState.VOIDED, PaymentState.EXPIRED})


def _released(payment: Payment) -> MinorAmount:
    """What an authorisation held and was not taken."""
    return MinorAmount(max(payment.authorized.value - payment.captured.value, 0), payment.currency)
