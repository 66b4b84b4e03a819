"""API tokens ⇄ ``api_tokens`` rows (only the SHA-256 hash of a token is stored)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ampyre.db.repositories.base import AnyRow, insert_unique
from ampyre.db.tables import api_tokens
from ampyre.services.records import ApiToken, Role


class SqlApiTokenRepository:
    """``ApiTokenRepository`` over one connection; never commits."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, token: ApiToken) -> int:
        """Insert ``token`` (its ``id`` is ignored) and return the new id.

        Raises ``Conflict`` when a token with the same hash exists.
        """
        result = await insert_unique(
            self._conn,
            sa.insert(api_tokens)
            .values(
                name=token.name,
                role=token.role.value,
                token_hash=token.token_hash,
                created_at=token.created_at,
                revoked_at=token.revoked_at,
                last_used_at=token.last_used_at,
            )
            .returning(api_tokens.c.id),
            exists=lambda: self._exists(token.token_hash),
            what="an API token with this hash",
        )
        new_id: int = result.scalar_one()
        return new_id

    async def get_by_hash(self, token_hash: str) -> ApiToken | None:
        row = (
            await self._conn.execute(
                sa.select(api_tokens).where(api_tokens.c.token_hash == token_hash)
            )
        ).one_or_none()
        return None if row is None else _api_token(row)

    async def list(self) -> list[ApiToken]:
        """All tokens, revoked ones included, oldest first."""
        statement = sa.select(api_tokens).order_by(api_tokens.c.id)
        return [_api_token(row) for row in await self._conn.execute(statement)]

    async def revoke(self, token_id: int, at: datetime) -> bool:
        """Revoke at ``at``; False when there is no such token or it was already revoked
        (the first revocation time is kept).
        """
        result = await self._conn.execute(
            sa.update(api_tokens)
            .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return result.rowcount == 1

    async def _exists(self, token_hash: str) -> bool:
        return await self.get_by_hash(token_hash) is not None


def _api_token(row: AnyRow) -> ApiToken:
    return ApiToken(
        id=row.id,
        name=row.name,
        role=Role(row.role),
        token_hash=row.token_hash,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )
