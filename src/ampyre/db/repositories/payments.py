"""Payments ⇄ ``payments``; the ledger ⇄ ``ledger_entries``; the payment log ⇄
``payment_log``; the webhook inbox ⇄ ``webhook_events``. None of them commits."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from ampyre.db.repositories.base import AnyRow, insert_unique, require_one_row
from ampyre.db.tables import ledger_entries, payment_log, payments, webhook_events
from ampyre.domain.ledger import LedgerEntry, LedgerKind
from ampyre.domain.payments import MinorAmount, Payment, PaymentPurpose, PaymentState
from ampyre.services.payment_store import LogStage, PaymentLogEntry


def _insert(conn: AsyncConnection) -> Any:
    """The dialect's INSERT with ON CONFLICT DO NOTHING."""
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


class SqlPaymentRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, payment_id: str, *, for_update: bool = False) -> Payment | None:
        return await self._one(payments.c.id == payment_id, for_update)

    async def by_reference(
        self, provider: str, reference: str, *, for_update: bool = False
    ) -> Payment | None:
        return await self._one(
            sa.and_(payments.c.provider == provider, payments.c.reference == reference),
            for_update,
        )

    async def for_transaction(self, transaction_id: int) -> Payment | None:
        return await self._one(payments.c.transaction_id == transaction_id, False)

    async def add(self, payment: Payment) -> None:
        await insert_unique(
            self._conn,
            sa.insert(payments).values(id=payment.id, **_columns(payment)),
            exists=lambda: self._session_has_payment(payment.transaction_id),
            what=f"a payment for session {payment.transaction_id}",
        )

    async def update(self, payment: Payment) -> None:
        result = await self._conn.execute(
            sa.update(payments).where(payments.c.id == payment.id).values(**_columns(payment))
        )
        require_one_row(result, f"payment {payment.id}")

    async def _one(self, where: sa.ColumnElement[bool], for_update: bool) -> Payment | None:
        statement = sa.select(payments).where(where)
        if for_update:
            statement = statement.with_for_update()
        row = (await self._conn.execute(statement)).first()
        return None if row is None else _payment(row)

    async def _session_has_payment(self, transaction_id: int | None) -> bool:
        return transaction_id is not None and await self.for_transaction(transaction_id) is not None


class SqlLedgerRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, entries: Sequence[LedgerEntry]) -> int:
        """One INSERT ... ON CONFLICT (key) DO NOTHING per entry; returns the new ones."""
        written = 0
        for entry in entries:
            result = await self._conn.execute(
                _insert(self._conn)(ledger_entries)
                .values(
                    key=entry.key,
                    kind=entry.kind.value,
                    amount=entry.amount.value,
                    currency=entry.amount.currency,
                    customer_id=entry.customer_id,
                    payment_id=entry.payment_id,
                    transaction_id=entry.transaction_id,
                    at=entry.at,
                    note=entry.note,
                )
                .on_conflict_do_nothing(index_elements=["key"])
            )
            written += result.rowcount
        return written

    async def of_customer(self, customer_id: str) -> builtins.list[LedgerEntry]:
        return await self._where(ledger_entries.c.customer_id == customer_id)

    async def of_payment(self, payment_id: str) -> builtins.list[LedgerEntry]:
        return await self._where(ledger_entries.c.payment_id == payment_id)

    async def _where(self, where: sa.ColumnElement[bool]) -> builtins.list[LedgerEntry]:
        rows = await self._conn.execute(
            sa.select(ledger_entries).where(where).order_by(ledger_entries.c.id)
        )
        return [
            LedgerEntry(
                key=row.key,
                kind=LedgerKind(row.kind),
                amount=MinorAmount(row.amount, row.currency),
                customer_id=row.customer_id,
                at=row.at,
                payment_id=row.payment_id,
                transaction_id=row.transaction_id,
                note=row.note,
            )
            for row in rows
        ]


class SqlPaymentLog:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, entry: PaymentLogEntry) -> None:
        await self._conn.execute(
            sa.insert(payment_log).values(
                payment_id=entry.payment_id,
                provider=entry.provider,
                stage=entry.stage.value,
                operation=entry.operation,
                at=entry.at,
                summary=entry.summary,
                idempotency_key=entry.idempotency_key,
                payload=dict(entry.payload),
            )
        )

    async def of_payment(self, payment_id: str) -> builtins.list[PaymentLogEntry]:
        rows = await self._conn.execute(
            sa.select(payment_log)
            .where(payment_log.c.payment_id == payment_id)
            .order_by(payment_log.c.id)
        )
        return [
            PaymentLogEntry(
                payment_id=row.payment_id,
                provider=row.provider,
                stage=LogStage(row.stage),
                operation=row.operation,
                at=row.at,
                summary=row.summary,
                idempotency_key=row.idempotency_key,
                payload=row.payload,
                id=row.id,
            )
            for row in rows
        ]


class SqlWebhookInbox:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, provider: str, event_id: str, event_type: str, at: datetime) -> bool:
        result = await self._conn.execute(
            _insert(self._conn)(webhook_events)
            .values(provider=provider, event_id=event_id, type=event_type, received_at=at)
            .on_conflict_do_nothing(index_elements=["provider", "event_id"])
        )
        return bool(result.rowcount)


def _columns(payment: Payment) -> dict[str, Any]:
    return {
        "customer_id": payment.customer_id,
        "provider": payment.provider,
        "purpose": payment.purpose.value,
        "state": payment.state.value,
        "currency": payment.currency,
        "authorized": payment.authorized.value,
        "captured": payment.captured.value,
        "refunded": payment.refunded.value,
        "reference": payment.reference,
        "transaction_id": payment.transaction_id,
        "method": payment.method,
        "action_url": payment.action_url,
        "authorization_expires_at": payment.authorization_expires_at,
        "failure_code": payment.failure_code,
        "failure_message": payment.failure_message,
        "updated_at": sa.func.now(),
    }


def _payment(row: AnyRow) -> Payment:
    return Payment(
        id=row.id,
        customer_id=row.customer_id,
        provider=row.provider,
        purpose=PaymentPurpose(row.purpose),
        state=PaymentState(row.state),
        authorized=MinorAmount(row.authorized, row.currency),
        captured=MinorAmount(row.captured, row.currency),
        refunded=MinorAmount(row.refunded, row.currency),
        reference=row.reference,
        transaction_id=row.transaction_id,
        method=row.method,
        action_url=row.action_url,
        authorization_expires_at=row.authorization_expires_at,
        failure_code=row.failure_code,
        failure_message=row.failure_message,
    )
