"""Storage ports of payments: payments, the money ledger, the payment log, the webhook inbox.

Adapters are in ``ampyre.db.repositories.payments``; they never commit (the unit of work
does). The unique keys that make payments exactly-once live here as contracts:
a ledger entry's ``key`` and a webhook's (provider, event id) are each stored once.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from ampyre.domain.ledger import LedgerEntry
from ampyre.domain.payments import MinorAmount, Payment
from ampyre.domain.refunds import RefundStatus
from ampyre.services.records import Page


class LogStage(StrEnum):
    REQUEST = "request"
    """What Ampyre asked the provider (with its idempotency key)."""
    RESPONSE = "response"
    """What the provider answered."""
    WEBHOOK = "webhook"
    """What the provider reported on its own."""
    ERROR = "error"
    """A call that failed (timeout, refusal) and what Ampyre will do about it."""
    DECISION = "decision"
    """What Ampyre decided (e.g. a capture retried later, a debt recorded)."""


@dataclass(frozen=True, slots=True)
class PaymentLogEntry:
    """One step of a payment, for operators locating a failure. ``payload`` never holds
    secrets or card numbers (adapters strip them)."""

    payment_id: str | None
    provider: str
    stage: LogStage
    operation: str
    at: datetime
    summary: str
    idempotency_key: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)
    id: int | None = None


class PaymentRepository(Protocol):
    async def get(self, payment_id: str, *, for_update: bool = False) -> Payment | None:
        """``for_update`` locks the row until the unit of work ends (PostgreSQL)."""
        ...

    async def by_reference(
        self, provider: str, reference: str, *, for_update: bool = False
    ) -> Payment | None: ...

    async def for_transaction(self, transaction_id: int) -> Payment | None:
        """The session payment of a charging session, if any."""
        ...

    async def add(self, payment: Payment) -> None:
        """``Conflict`` when the session already has a payment."""
        ...

    async def update(self, payment: Payment) -> None: ...


class LedgerRepository(Protocol):
    async def add(self, entries: Sequence[LedgerEntry]) -> int:
        """Store the entries whose key is new; returns how many were new (a key already
        stored is skipped: the movement was recorded before)."""
        ...

    async def of_customer(self, customer_id: str) -> builtins.list[LedgerEntry]: ...
    async def of_payment(self, payment_id: str) -> builtins.list[LedgerEntry]: ...


class PaymentLog(Protocol):
    async def add(self, entry: PaymentLogEntry) -> None: ...
    async def of_payment(self, payment_id: str) -> builtins.list[PaymentLogEntry]:
        """Oldest first."""
        ...


class WebhookInbox(Protocol):
    async def add(self, provider: str, event_id: str, event_type: str, at: datetime) -> bool:
        """Record a webhook event; False when (provider, event id) was recorded before."""
        ...


@dataclass(frozen=True, slots=True)
class RefundRequest:
    """A driver's request to get (part of) a session's payment back, and what became of it.

    ``automatic``: the rules approved it at once (``decision_reason`` says why, or why it
    waits for support). ``due_by`` is set once it is approved: it is paid back by then.
    ``claimed_until``: a payer is paying it back (others leave it alone until then).
    ``failure_message``: why the provider refused it (FAILED), or why the last attempt got
    no answer (still APPROVED, tried again).
    """

    id: str
    transaction_id: int
    payment_id: str
    customer_id: str
    amount: MinorAmount
    reason: str
    status: RefundStatus
    automatic: bool
    decision_reason: str
    requested_at: datetime
    requested_by: str | None = None
    due_by: datetime | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    claimed_until: datetime | None = None
    paid_at: datetime | None = None
    failure_message: str | None = None


class RefundRepository(Protocol):
    async def get(self, refund_id: str, *, for_update: bool = False) -> RefundRequest | None:
        """``for_update`` locks the row until the unit of work ends (PostgreSQL)."""
        ...

    async def add(self, request: RefundRequest) -> None: ...
    async def update(self, request: RefundRequest) -> None:
        """Write every field; ``NotFound`` if it does not exist."""
        ...

    async def of_transaction(self, transaction_id: int) -> builtins.list[RefundRequest]:
        """Oldest first."""
        ...

    async def list(self, status: RefundStatus | None, page: Page) -> builtins.list[RefundRequest]:
        """Newest first; ``status`` None: all."""
        ...

    async def due(self, now: datetime, limit: int) -> builtins.list[RefundRequest]:
        """Approved requests not yet paid and not claimed by a payer at ``now``, the one due
        first first. On PostgreSQL the rows stay locked until the unit of work ends and
        locked ones are skipped, so concurrent payers take different requests."""
        ...
