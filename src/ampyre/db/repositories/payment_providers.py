"""Payment provider accounts ⇄ ``payment_providers`` rows (secrets arrive sealed)."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ampyre.db.repositories.base import AnyRow, insert_unique, require_one_row
from ampyre.db.tables import payment_providers
from ampyre.domain.errors import Conflict
from ampyre.domain.payment_accounts import ProviderAccount

_t = payment_providers


class SqlPaymentProviderRepository:
    """``PaymentProviderRepository`` over one connection; never commits."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, account_id: str) -> ProviderAccount | None:
        row = (await self._conn.execute(sa.select(_t).where(_t.c.id == account_id))).first()
        return None if row is None else _account(row)

    async def list(self) -> builtins.list[ProviderAccount]:
        rows = await self._conn.execute(sa.select(_t).order_by(_t.c.created_at, _t.c.id))
        return [_account(row) for row in rows]

    async def active(self) -> ProviderAccount | None:
        row = (await self._conn.execute(sa.select(_t).where(_t.c.active))).first()
        return None if row is None else _account(row)

    async def add(self, account: ProviderAccount) -> None:
        await insert_unique(
            self._conn,
            sa.insert(_t).values(
                id=account.id,
                provider=account.provider,
                active=account.active,
                created_at=account.created_at,
                **_columns(account),
            ),
            exists=lambda: self._exists(account.id),
            what=f"payment provider {account.id!r}",
        )

    async def update(self, account: ProviderAccount) -> None:
        result = await self._conn.execute(
            sa.update(_t).where(_t.c.id == account.id).values(**_columns(account))
        )
        require_one_row(result, f"payment provider {account.id!r}")

    async def activate(self, account_id: str, at: datetime) -> None:
        """Two statements, the other account first: PostgreSQL checks a unique index row by
        row, so one statement swapping both could trip over itself. A concurrent activation
        of another account waits on the index and then fails here."""
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(
                    sa.update(_t)
                    .where(_t.c.active, _t.c.id != account_id)
                    .values(active=False, updated_at=at)
                )
                result = await self._conn.execute(
                    sa.update(_t).where(_t.c.id == account_id).values(active=True, updated_at=at)
                )
        except sa.exc.IntegrityError as exc:
            raise Conflict(
                "another payment provider was activated at the same time: look again and retry",
                code="concurrent_activation",
            ) from exc
        require_one_row(result, f"payment provider {account_id!r}")

    async def deactivate(self, account_id: str, at: datetime) -> None:
        result = await self._conn.execute(
            sa.update(_t).where(_t.c.id == account_id).values(active=False, updated_at=at)
        )
        require_one_row(result, f"payment provider {account_id!r}")

    async def delete(self, account_id: str) -> None:
        result = await self._conn.execute(sa.delete(_t).where(_t.c.id == account_id))
        require_one_row(result, f"payment provider {account_id!r}")

    async def _exists(self, account_id: str) -> bool:
        return await self.get(account_id) is not None


def _columns(account: ProviderAccount) -> dict[str, Any]:
    return {
        "label": account.label,
        "settings": dict(account.settings),
        "secrets": dict(account.sealed_secrets),
        "secret_hints": dict(account.secret_hints),
        "updated_at": account.updated_at,
        "rotated_at": account.rotated_at,
    }


def _account(row: AnyRow) -> ProviderAccount:
    return ProviderAccount(
        id=row.id,
        provider=row.provider,
        label=row.label,
        settings=row.settings,
        sealed_secrets=row.secrets,
        secret_hints=row.secret_hints,
        active=row.active,
        created_at=row.created_at,
        updated_at=row.updated_at,
        rotated_at=row.rotated_at,
    )
