"""Helpers shared by the repositories."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ampyre.domain.errors import Conflict, NotFound
from ampyre.services.records import Page

AnyTuple = tuple[Any, ...]
AnyResult = sa.CursorResult[*AnyTuple]
AnyRow = sa.Row[*AnyTuple]


async def insert_unique(
    conn: AsyncConnection,
    statement: sa.Executable,
    *,
    exists: Callable[[], Awaitable[bool]],
    what: str,
) -> AnyResult:
    """Run an INSERT inside a savepoint; a duplicate key becomes ``Conflict``.

    The savepoint keeps the surrounding unit of work usable after the failure (PostgreSQL
    aborts the whole transaction on an error otherwise), so the caller may go on, e.g. read
    the row that won the race. Other integrity errors (a missing referenced row) propagate.
    """
    try:
        async with conn.begin_nested():
            return await conn.execute(statement)
    except sa.exc.IntegrityError as exc:
        if await exists():
            raise Conflict(f"{what} already exists", code="already_exists") from exc
        raise


def require_one_row(result: AnyResult, what: str) -> None:
    """Raise ``NotFound`` when an UPDATE matched no row."""
    if result.rowcount == 0:
        raise NotFound(f"{what} does not exist")


def paged(statement: sa.Select[*AnyTuple], page: Page) -> sa.Select[*AnyTuple]:
    """``statement`` limited to one page; the caller must have given it a total ORDER BY."""
    return statement.limit(page.limit).offset(page.offset)
