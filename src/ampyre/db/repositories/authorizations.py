"""The authorisation log ⇄ ``authorizations`` rows (append-only)."""

from __future__ import annotations

import builtins
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ampyre.db.repositories.base import AnyRow, paged
from ampyre.db.tables import authorizations
from ampyre.domain.authorization import AuthorizationAttempt, AuthorizationTrigger
from ampyre.domain.id_tags import AuthorizationStatus
from ampyre.domain.tokens import TokenKind
from ampyre.services.records import AuthorizationFilter, Page

UIDS_PER_QUERY = 500
"""Uids looked up per statement (well under every driver's limit on bound parameters)."""

_NEWEST_FIRST = (authorizations.c.at.desc(), authorizations.c.id.desc())


class SqlAuthorizationLog:
    """``AuthorizationLog`` over one connection; never commits. Rows are never changed."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, attempt: AuthorizationAttempt) -> int:
        """Insert ``attempt`` (its ``id`` is ignored) and return the new id."""
        result = await self._conn.execute(
            sa.insert(authorizations)
            .values(
                at=attempt.at,
                trigger=attempt.trigger.value,
                station_id=attempt.station_id,
                connector_id=attempt.connector_id,
                uid=attempt.uid,
                status=attempt.status.value,
                reason=attempt.reason,
                token_kind=None if attempt.token_kind is None else attempt.token_kind.value,
                contract_id=attempt.contract_id,
                customer_id=attempt.customer_id,
                tariff_id=attempt.tariff_id,
                transaction_id=attempt.transaction_id,
            )
            .returning(authorizations.c.id)
        )
        new_id: int = result.scalar_one()
        return new_id

    async def search(
        self, flt: AuthorizationFilter, page: Page
    ) -> builtins.list[AuthorizationAttempt]:
        """Newest first (attempts at the same instant: the later recorded first)."""
        c = authorizations.c
        statement = sa.select(authorizations).order_by(*_NEWEST_FIRST)
        exact = (
            (c.uid, flt.uid),
            (c.station_id, flt.station_id),
            (c.customer_id, flt.customer_id),
            (c.contract_id, flt.contract_id),
            (c.status, None if flt.status is None else flt.status.value),
            (c.trigger, None if flt.trigger is None else flt.trigger.value),
        )
        for column, value in exact:
            if value is not None:
                statement = statement.where(column == value)
        if flt.at_from is not None:
            statement = statement.where(c.at >= flt.at_from)
        if flt.at_to is not None:
            statement = statement.where(c.at < flt.at_to)
        rows = await self._conn.execute(paged(statement, page))
        return [_attempt(row) for row in rows]

    async def stations_that_accepted(self, uids: Sequence[str]) -> set[str]:
        """Stations that answered Accepted to any of ``uids`` at least once."""
        found: set[str] = set()
        unique = sorted(set(uids))
        for start in range(0, len(unique), UIDS_PER_QUERY):
            chunk = unique[start : start + UIDS_PER_QUERY]
            rows = await self._conn.execute(
                sa.select(authorizations.c.station_id)
                .distinct()
                .where(
                    authorizations.c.uid.in_(chunk),
                    authorizations.c.status == AuthorizationStatus.ACCEPTED.value,
                    authorizations.c.station_id.is_not(None),
                )
            )
            found.update(row.station_id for row in rows)
        return found


def _attempt(row: AnyRow) -> AuthorizationAttempt:
    return AuthorizationAttempt(
        at=row.at,
        trigger=AuthorizationTrigger(row.trigger),
        uid=row.uid,
        status=AuthorizationStatus(row.status),
        reason=row.reason,
        station_id=row.station_id,
        connector_id=row.connector_id,
        token_kind=None if row.token_kind is None else TokenKind(row.token_kind),
        contract_id=row.contract_id,
        customer_id=row.customer_id,
        tariff_id=row.tariff_id,
        transaction_id=row.transaction_id,
        id=row.id,
    )
