"""Contracts ⇄ ``contracts`` rows; their history ⇄ ``contract_events`` (append-only).

A contract is stored under its compact eMAID ("PLAMPC000000427X"). The ``state`` column
repeats the last event's target so lists can filter on it; the events are the truth, and
their order is the id order.
"""

from __future__ import annotations

import builtins
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ampyre.db.repositories.base import AnyRow, insert_unique, paged, require_one_row
from ampyre.db.tables import contract_events, contracts
from ampyre.domain.contracts import Contract, ContractEvent, ContractState
from ampyre.domain.emaid import Emaid
from ampyre.services.records import ContractFilter, Page


class SqlContractRepository:
    """``ContractRepository`` over one connection; never commits."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, contract_id: str, *, for_update: bool = False) -> Contract | None:
        """By compact eMAID; ``for_update`` locks the row until the unit of work ends
        (PostgreSQL; SQLite serialises writers anyway and compiles no lock)."""
        statement = sa.select(contracts).where(contracts.c.id == contract_id)
        if for_update:
            statement = statement.with_for_update()
        row = (await self._conn.execute(statement)).first()
        if row is None:
            return None
        return (await self._with_history([row]))[0]

    async def get_many(self, contract_ids: Sequence[str]) -> dict[str, Contract]:
        if not contract_ids:
            return {}
        rows = (
            await self._conn.execute(
                sa.select(contracts).where(contracts.c.id.in_(list(contract_ids)))
            )
        ).all()
        return {c.id.compact: c for c in await self._with_history(rows)}

    async def list(self, flt: ContractFilter, page: Page) -> builtins.list[Contract]:
        """Oldest first: by start, then by when stored, then by id."""
        statement = sa.select(contracts).order_by(
            contracts.c.starts_at, contracts.c.created_at, contracts.c.id
        )
        if flt.customer_id is not None:
            statement = statement.where(contracts.c.customer_id == flt.customer_id)
        if flt.plan_id is not None:
            statement = statement.where(contracts.c.plan_id == flt.plan_id)
        if flt.state is not None:
            statement = statement.where(contracts.c.state == flt.state.value)
        rows = (await self._conn.execute(paged(statement, page))).all()
        return await self._with_history(rows)

    async def add(self, contract: Contract) -> None:
        """``Conflict`` (code ``already_exists``) if the id exists."""
        contract_id = contract.id.compact
        await insert_unique(
            self._conn,
            sa.insert(contracts).values(
                id=contract_id,
                customer_id=contract.customer_id,
                plan_id=contract.plan_id,
                **_columns(contract),
            ),
            exists=lambda: self._exists(contract_id),
            what=f"contract {contract.id}",
        )
        await self._add_events(contract_id, contract.history)

    async def update(self, contract: Contract) -> None:
        """Write the dates and state; history events beyond those stored are appended."""
        contract_id = contract.id.compact
        result = await self._conn.execute(
            sa.update(contracts).where(contracts.c.id == contract_id).values(**_columns(contract))
        )
        require_one_row(result, f"contract {contract.id}")
        stored = await self._conn.scalar(
            sa.select(sa.func.count())
            .select_from(contract_events)
            .where(contract_events.c.contract_id == contract_id)
        )
        await self._add_events(contract_id, contract.history[int(stored or 0) :])

    async def _add_events(self, contract_id: str, events: Sequence[ContractEvent]) -> None:
        if events:
            await self._conn.execute(
                sa.insert(contract_events),
                [
                    {
                        "contract_id": contract_id,
                        "at": e.at,
                        "from_state": e.from_state.value,
                        "to_state": e.to_state.value,
                        "reason": e.reason,
                        "actor": e.actor,
                    }
                    for e in events
                ],
            )

    async def _with_history(self, rows: Sequence[AnyRow]) -> builtins.list[Contract]:
        if not rows:
            return []
        history: dict[str, list[ContractEvent]] = defaultdict(list)
        found = await self._conn.execute(
            sa.select(contract_events)
            .where(contract_events.c.contract_id.in_([row.id for row in rows]))
            .order_by(contract_events.c.id)
        )
        for e in found:
            history[e.contract_id].append(
                ContractEvent(
                    at=e.at,
                    from_state=ContractState(e.from_state),
                    to_state=ContractState(e.to_state),
                    reason=e.reason,
                    actor=e.actor,
                )
            )
        return [
            Contract(
                id=Emaid.parse(row.id),
                customer_id=row.customer_id,
                plan_id=row.plan_id,
                starts_at=row.starts_at,
                ends_at=row.ends_at,
                history=tuple(history[row.id]),
            )
            for row in rows
        ]

    async def _exists(self, contract_id: str) -> bool:
        row = await self._conn.execute(
            sa.select(contracts.c.id).where(contracts.c.id == contract_id)
        )
        return row.first() is not None


def _columns(contract: Contract) -> dict[str, Any]:
    return {
        "starts_at": contract.starts_at,
        "ends_at": contract.ends_at,
        "state": contract.state.value,
    }
