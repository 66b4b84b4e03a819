"""Tokens of contracts ⇄ ``tokens`` rows.

A uid is either a token of a contract (this table) or an operator's own id tag (``id_tags``),
never both; :meth:`SqlTokenRepository.existing_uids` looks at both tables so the use cases
can keep it that way.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ampyre.db.repositories.base import AnyRow, paged, require_one_row
from ampyre.db.tables import contracts, id_tags, tokens
from ampyre.domain.emaid import Emaid
from ampyre.domain.errors import Conflict
from ampyre.domain.tokens import Token, TokenKind, TokenStatus
from ampyre.services.records import Page, TokenFilter

LOOKUP_CHUNK = 1000
"""Values per ``IN (...)`` list: far below the bind parameter limits of both databases."""


class SqlTokenRepository:
    """``TokenRepository`` over one connection; never commits."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, uid: str) -> Token | None:
        row = (await self._conn.execute(sa.select(tokens).where(tokens.c.uid == uid))).first()
        return None if row is None else _token(row)

    async def list(self, flt: TokenFilter, page: Page) -> builtins.list[Token]:
        """Oldest first (issue time, then uid); every filter field narrows the list."""
        statement = sa.select(tokens).order_by(tokens.c.issued_at, tokens.c.uid)
        if flt.customer_id is not None:
            statement = statement.join(contracts, contracts.c.id == tokens.c.contract_id).where(
                contracts.c.customer_id == flt.customer_id
            )
        if flt.contract_id is not None:
            statement = statement.where(tokens.c.contract_id == flt.contract_id)
        if flt.kind is not None:
            statement = statement.where(tokens.c.kind == flt.kind.value)
        if flt.status is not None:
            statement = statement.where(tokens.c.status == flt.status.value)
        if flt.search:
            statement = statement.where(
                sa.or_(
                    tokens.c.uid.icontains(flt.search, autoescape=True),
                    tokens.c.printed_number.icontains(flt.search, autoescape=True),
                )
            )
        return [_token(row) for row in await self._conn.execute(paged(statement, page))]

    async def add_many(self, tokens_to_add: Sequence[Token]) -> None:
        """Insert all in one executemany; ``Conflict`` if any uid is a token already (or
        appears twice), and then nothing is inserted.

        The insert runs in a savepoint, so the unit of work stays usable after a conflict.
        Another integrity error (a contract that does not exist) propagates.
        """
        if not tokens_to_add:
            return
        rows = [{"uid": token.uid, **_columns(token)} for token in tokens_to_add]
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(sa.insert(tokens), rows)
        except sa.exc.IntegrityError as exc:
            uids = [token.uid for token in tokens_to_add]
            taken = sorted(await self._token_uids(uids))
            if taken:
                more = f" (and {len(taken) - 1} more)" if len(taken) > 1 else ""
                raise Conflict(f"token {taken[0]} already exists{more}", code="uid_taken") from exc
            twice = sorted({uid for uid in uids if uids.count(uid) > 1})
            if twice:
                raise Conflict(f"token {twice[0]} is given twice", code="uid_taken") from exc
            raise

    async def update(self, token: Token) -> None:
        """Write every field but the uid; ``NotFound`` when there is no such token."""
        result = await self._conn.execute(
            sa.update(tokens).where(tokens.c.uid == token.uid).values(**_columns(token))
        )
        require_one_row(result, f"token {token.uid}")

    async def existing_uids(self, uids: Sequence[str]) -> set[str]:
        """Those of ``uids`` that are taken, by a token or by an operator id tag."""
        unique = sorted(set(uids))
        taken = await self._token_uids(unique)
        for chunk in _chunks(unique):
            taken.update(
                await self._conn.scalars(
                    sa.select(id_tags.c.id_tag).where(id_tags.c.id_tag.in_(chunk))
                )
            )
        return taken

    async def of_contracts(self, contract_ids: Sequence[str]) -> builtins.list[Token]:
        """Every token of these contracts (compact eMAIDs), by contract, then oldest first."""
        found: builtins.list[Token] = []
        for chunk in _chunks(sorted(set(contract_ids))):
            statement = (
                sa.select(tokens)
                .where(tokens.c.contract_id.in_(chunk))
                .order_by(tokens.c.contract_id, tokens.c.issued_at, tokens.c.uid)
            )
            found.extend(_token(row) for row in await self._conn.execute(statement))
        return found

    async def _token_uids(self, uids: Sequence[str]) -> set[str]:
        taken: set[str] = set()
        for chunk in _chunks(sorted(set(uids))):
            taken.update(
                await self._conn.scalars(sa.select(tokens.c.uid).where(tokens.c.uid.in_(chunk)))
            )
        return taken


def _chunks(values: Sequence[str]) -> builtins.list[Sequence[str]]:
    return [values[start : start + LOOKUP_CHUNK] for start in range(0, len(values), LOOKUP_CHUNK)]


def _columns(token: Token) -> dict[str, Any]:
    return {
        "kind": token.kind.value,
        "contract_id": token.contract_id.compact,
        "status": token.status.value,
        "issued_at": token.issued_at,
        "expires_at": token.expires_at,
        "printed_number": token.printed_number,
        "card_fee": token.card_fee,
    }


def _token(row: AnyRow) -> Token:
    return Token(
        uid=row.uid,
        kind=TokenKind(row.kind),
        contract_id=Emaid.parse(row.contract_id),
        issued_at=row.issued_at,
        status=TokenStatus(row.status),
        expires_at=row.expires_at,
        printed_number=row.printed_number,
        card_fee=row.card_fee,
    )
