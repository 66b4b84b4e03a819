"""Bonus points ledgers ⇄ ``bonus_entries`` rows (append-only).

A session earns or redeems at most once per contract: earn and redeem rows carry
``unique_reference`` = "movement:reference" under a unique constraint with the contract, so
two writers racing to record the same session cannot both succeed. Adjustments may repeat
a reason and leave it NULL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ampyre.db.tables import bonus_entries
from ampyre.domain.errors import Conflict
from ampyre.domain.tokens import BonusEntry, BonusLedger, BonusMovement


class SqlBonusRepository:
    """``BonusRepository`` over one connection; never commits. Rows are never changed."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def ledger(self, contract_id: str) -> BonusLedger:
        """The contract's movements in the order recorded (empty for a new contract)."""
        rows = await self._conn.execute(
            sa.select(bonus_entries)
            .where(bonus_entries.c.contract_id == contract_id)
            .order_by(bonus_entries.c.id)
        )
        return BonusLedger(
            tuple(
                BonusEntry(
                    BonusMovement(row.movement),
                    row.points,
                    row.at,
                    row.reference,
                    row.actor,
                    row.value,
                )
                for row in rows
            )
        )

    async def append(self, contract_id: str, entries: Sequence[BonusEntry]) -> None:
        """Store ``entries`` after the contract's others, all or none.

        ``Conflict`` (code "already_recorded") when a session's earn or redeem is stored
        already, or appears twice among ``entries``; the unit of work stays usable. The
        caller keeps the balance from going negative (:class:`BonusLedger` checks it).
        """
        if not entries:
            return
        rows = [_row(contract_id, entry) for entry in entries]
        keys = [row["unique_reference"] for row in rows if row["unique_reference"] is not None]
        if len(keys) != len(set(keys)):
            raise Conflict(
                "the same session's earn or redeem appears twice", code="already_recorded"
            )
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(sa.insert(bonus_entries), rows)
        except sa.exc.IntegrityError as exc:
            stored = await self._stored_keys(contract_id, keys)
            if not stored:
                raise
            movement, reference = min(stored).split(":", 1)
            raise Conflict(
                f"{reference!r} is already recorded as {movement} for contract {contract_id}",
                code="already_recorded",
            ) from exc

    async def _stored_keys(self, contract_id: str, keys: Sequence[str]) -> set[str]:
        if not keys:
            return set()
        found = await self._conn.scalars(
            sa.select(bonus_entries.c.unique_reference).where(
                bonus_entries.c.contract_id == contract_id,
                bonus_entries.c.unique_reference.in_(keys),
            )
        )
        return {key for key in found if key is not None}


def unique_reference(entry: BonusEntry) -> str | None:
    """ "movement:reference" for an earn or redeem (a session counts once), None for an
    adjustment."""
    if entry.movement is BonusMovement.ADJUST:
        return None
    return f"{entry.movement.value}:{entry.reference}"


def _row(contract_id: str, entry: BonusEntry) -> dict[str, Any]:
    return {
        "contract_id": contract_id,
        "movement": entry.movement.value,
        "points": entry.points,
        "at": entry.at,
        "reference": entry.reference,
        "actor": entry.actor,
        "value": entry.value,
        "unique_reference": unique_reference(entry),
    }
