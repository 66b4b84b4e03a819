"""Refund requests ⇄ ``refund_requests``. Never commits."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ampyre.db.repositories.base import AnyRow, paged, require_one_row
from ampyre.db.tables import refund_requests
from ampyre.domain.payments import MinorAmount
from ampyre.domain.refunds import RefundStatus
from ampyre.services.payment_store import RefundRequest
from ampyre.services.records import Page


class SqlRefundRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, refund_id: str, *, for_update: bool = False) -> RefundRequest | None:
        statement = sa.select(refund_requests).where(refund_requests.c.id == refund_id)
        if for_update:
            statement = statement.with_for_update()
        row = (await self._conn.execute(statement)).first()
        return None if row is None else _request(row)

    async def add(self, request: RefundRequest) -> None:
        await self._conn.execute(
            sa.insert(refund_requests).values(id=request.id, **_columns(request))
        )

    async def update(self, request: RefundRequest) -> None:
        result = await self._conn.execute(
            sa.update(refund_requests)
            .where(refund_requests.c.id == request.id)
            .values(**_columns(request))
        )
        require_one_row(result, f"refund request {request.id}")

    async def of_transaction(self, transaction_id: int) -> builtins.list[RefundRequest]:
        rows = await self._conn.execute(
            sa.select(refund_requests)
            .where(refund_requests.c.transaction_id == transaction_id)
            .order_by(refund_requests.c.requested_at, refund_requests.c.id)
        )
        return [_request(row) for row in rows]

    async def list(self, status: RefundStatus | None, page: Page) -> builtins.list[RefundRequest]:
        statement = sa.select(refund_requests).order_by(
            refund_requests.c.requested_at.desc(), refund_requests.c.id.desc()
        )
        if status is not None:
            statement = statement.where(refund_requests.c.status == status.value)
        return [_request(row) for row in await self._conn.execute(paged(statement, page))]

    async def due(self, now: datetime, limit: int) -> builtins.list[RefundRequest]:
        """``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite has one writer at a time anyway
        and ignores the clause."""
        claimed = refund_requests.c.claimed_until
        rows = await self._conn.execute(
            sa.select(refund_requests)
            .where(
                refund_requests.c.status == RefundStatus.APPROVED.value,
                refund_requests.c.paid_at.is_(None),
                sa.or_(claimed.is_(None), claimed <= now),
            )
            .order_by(refund_requests.c.due_by, refund_requests.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_request(row) for row in rows]


def _columns(request: RefundRequest) -> dict[str, Any]:
    return {
        "transaction_id": request.transaction_id,
        "payment_id": request.payment_id,
        "customer_id": request.customer_id,
        "amount": request.amount.value,
        "currency": request.amount.currency,
        "reason": request.reason,
        "status": request.status.value,
        "automatic": request.automatic,
        "decision_reason": request.decision_reason,
        "requested_at": request.requested_at,
        "requested_by": request.requested_by,
        "due_by": request.due_by,
        "decided_by": request.decided_by,
        "decided_at": request.decided_at,
        "claimed_until": request.claimed_until,
        "paid_at": request.paid_at,
        "failure_message": request.failure_message,
    }


def _request(row: AnyRow) -> RefundRequest:
    return RefundRequest(
        id=row.id,
        transaction_id=row.transaction_id,
        payment_id=row.payment_id,
        customer_id=row.customer_id,
        amount=MinorAmount(row.amount, row.currency),
        reason=row.reason,
        status=RefundStatus(row.status),
        automatic=row.automatic,
        decision_reason=row.decision_reason,
        requested_at=row.requested_at,
        requested_by=row.requested_by,
        due_by=row.due_by,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        claimed_until=row.claimed_until,
        paid_at=row.paid_at,
        failure_message=row.failure_message,
    )
