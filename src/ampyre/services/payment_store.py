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
from ampyre.domain.payments import Payment


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
