"""Transactions ⇄ ``transactions`` rows, and reads of their meter samples."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ampyre.db.meter_rows import reading_is_newer, stored_samples
from ampyre.db.repositories.base import (
    AnyRow,
    AnyTuple,
    insert_unique,
    paged,
    require_one_row,
)
from ampyre.db.tables import meter_values, stations, transactions
from ampyre.domain.transactions import (
    StopReason,
    Transaction,
    TransactionFlag,
    TransactionState,
)
from ampyre.services.records import Page, StoredSample, TransactionFilter

_ACTIVE = TransactionState.ACTIVE.value
_NEWEST_FIRST = (transactions.c.started_at.desc(), transactions.c.id.desc())
_OLDEST_FIRST = (transactions.c.started_at, transactions.c.id)


class SqlTransactionRepository:
    """``TransactionRepository`` over one connection; never commits."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, transaction_id: int) -> Transaction | None:
        return await self._one(transactions.c.id == transaction_id)

    async def get_by_start_key(self, start_key: str) -> Transaction | None:
        return await self._one(transactions.c.start_key == start_key)

    async def add(self, transaction: Transaction) -> int:
        """Insert ``transaction`` (its ``id`` is ignored) and return the new id.

        Ids come from the database (a sequence on PostgreSQL, AUTOINCREMENT on SQLite):
        increasing, never reused, 32-bit. A second transaction with the same ``start_key``
        raises ``Conflict`` and leaves the unit of work usable, so the caller can load the
        one that won with :meth:`get_by_start_key`.
        """
        result = await insert_unique(
            self._conn,
            sa.insert(transactions)
            .values(start_key=transaction.start_key, **_columns(transaction))
            .returning(transactions.c.id),
            exists=lambda: self._start_key_exists(transaction.start_key),
            what="a transaction with this start key",
        )
        new_id: int = result.scalar_one()
        return new_id

    async def update(self, transaction: Transaction) -> None:
        """Write every field except ``id``/``start_key``; ``last_meter_wh``/``last_meter_at``
        only move forward (see :func:`ampyre.db.meter_rows.reading_is_newer`), because the
        telemetry writer may have stored a newer reading meanwhile.

        Raises ``NotFound`` when there is no such transaction.
        """
        values = _columns(transaction)
        wh, at = values.pop("last_meter_wh"), values.pop("last_meter_at")
        if wh is not None:
            new_wh = sa.literal(wh, type_=transactions.c.last_meter_wh.type)
            new_at = sa.literal(at, type_=transactions.c.last_meter_at.type)
            newer = reading_is_newer(new_wh, new_at)
            values["last_meter_wh"] = sa.case((newer, new_wh), else_=transactions.c.last_meter_wh)
            values["last_meter_at"] = sa.case((newer, new_at), else_=transactions.c.last_meter_at)
        result = await self._conn.execute(
            sa.update(transactions).where(transactions.c.id == transaction.id).values(values)
        )
        require_one_row(result, f"transaction {transaction.id}")

    async def active_for_connector(self, station_id: str, connector_id: int) -> list[Transaction]:
        """Oldest start first."""
        return await self._many(
            sa.select(transactions)
            .where(
                transactions.c.station_id == station_id,
                transactions.c.connector_id == connector_id,
                transactions.c.state == _ACTIVE,
            )
            .order_by(*_OLDEST_FIRST)
        )

    async def active_for_station(self, station_id: str) -> list[Transaction]:
        """Oldest start first."""
        return await self._many(
            sa.select(transactions)
            .where(transactions.c.station_id == station_id, transactions.c.state == _ACTIVE)
            .order_by(*_OLDEST_FIRST)
        )

    async def has_active_for_tag(
        self,
        id_tag: str,
        *,
        excluding_station: str | None = None,
        excluding_connector: int | None = None,
    ) -> bool:
        """Whether ``id_tag`` has an active transaction elsewhere.

        ``excluding_station`` alone leaves out every transaction of that station; with
        ``excluding_connector`` only that connector of that station is left out.
        ``excluding_connector`` without a station is ignored.
        """
        statement = sa.select(sa.literal(1)).where(
            transactions.c.id_tag == id_tag, transactions.c.state == _ACTIVE
        )
        if excluding_station is not None:
            excluded = transactions.c.station_id == excluding_station
            if excluding_connector is not None:
                excluded = sa.and_(excluded, transactions.c.connector_id == excluding_connector)
            statement = statement.where(sa.not_(excluded))
        return await self._conn.scalar(statement.limit(1)) is not None

    async def list(self, flt: TransactionFilter, page: Page) -> list[Transaction]:
        """Newest start first; ``started_from`` is inclusive, ``started_to`` exclusive."""
        statement = sa.select(transactions).order_by(*_NEWEST_FIRST)
        if flt.station_id is not None:
            statement = statement.where(transactions.c.station_id == flt.station_id)
        if flt.id_tag is not None:
            statement = statement.where(transactions.c.id_tag == flt.id_tag)
        if flt.started_from is not None:
            statement = statement.where(transactions.c.started_at >= flt.started_from)
        if flt.started_to is not None:
            statement = statement.where(transactions.c.started_at < flt.started_to)
        if flt.active is not None:
            state = transactions.c.state
            statement = statement.where(state == _ACTIVE if flt.active else state != _ACTIVE)
        return await self._many(paged(statement, page))

    async def samples(self, transaction_id: int) -> builtins.list[StoredSample]:
        """All meter samples of a transaction, oldest (station time) first."""
        statement = (
            sa.select(meter_values)
            .where(meter_values.c.transaction_id == transaction_id)
            .order_by(meter_values.c.timestamp, meter_values.c.received_at, meter_values.c.id)
        )
        return stored_samples(await self._conn.execute(statement))

    async def max_register_wh(self, transaction_id: int) -> int | None:
        """Highest import-register reading stored for the transaction, in Wh."""
        highest: int | None = await self._conn.scalar(
            sa.select(sa.func.max(meter_values.c.energy_wh)).where(
                meter_values.c.transaction_id == transaction_id
            )
        )
        return highest

    async def active_with_limits(self) -> builtins.list[Transaction]:
        return await self._many(
            sa.select(transactions)
            .where(
                transactions.c.state == _ACTIVE,
                sa.or_(
                    transactions.c.energy_limit_wh.is_not(None),
                    transactions.c.duration_limit_s.is_not(None),
                ),
            )
            .order_by(*_OLDEST_FIRST)
        )

    async def stuck_after_boot(self, booted_before: datetime) -> builtins.list[Transaction]:
        """Active transactions the station has evidently forgotten: the station booted after
        Ampyre received the start, that boot was before ``booted_before`` (the grace period
        is over), and no meter value of the transaction was received since the boot.

        Both times compared are Ampyre's receive times, so a wrong station clock cannot
        make a transaction look stuck. Oldest start first.
        """
        booted = stations.c.last_boot_at
        reading_since_boot = (
            sa.select(sa.literal(1))
            .where(
                meter_values.c.transaction_id == transactions.c.id,
                meter_values.c.received_at >= booted,
            )
            .exists()
        )
        return await self._many(
            sa.select(transactions)
            .join(stations, stations.c.id == transactions.c.station_id)
            .where(
                transactions.c.state == _ACTIVE,
                booted > transactions.c.start_received_at,
                booted < sa.literal(booted_before, type_=booted.type),
                sa.not_(reading_since_boot),
            )
            .order_by(*_OLDEST_FIRST)
        )

    async def _one(self, condition: sa.ColumnElement[bool]) -> Transaction | None:
        row = (await self._conn.execute(sa.select(transactions).where(condition))).one_or_none()
        return None if row is None else transaction_from_row(row)

    async def _many(self, statement: sa.Select[*AnyTuple]) -> builtins.list[Transaction]:
        return [transaction_from_row(row) for row in await self._conn.execute(statement)]

    async def _start_key_exists(self, start_key: str) -> bool:
        return await self.get_by_start_key(start_key) is not None


def _columns(transaction: Transaction) -> dict[str, Any]:
    return {
        "station_id": transaction.station_id,
        "connector_id": transaction.connector_id,
        "id_tag": transaction.id_tag,
        "auth_status": transaction.auth_status,
        "reservation_id": transaction.reservation_id,
        "state": transaction.state.value,
        "meter_start_wh": transaction.meter_start_wh,
        "started_at": transaction.started_at,
        "start_received_at": transaction.start_received_at,
        "last_meter_wh": transaction.last_meter_wh,
        "last_meter_at": transaction.last_meter_at,
        "meter_stop_wh": transaction.meter_stop_wh,
        "stopped_at": transaction.stopped_at,
        "stop_received_at": transaction.stop_received_at,
        "stop_reason": None if transaction.stop_reason is None else transaction.stop_reason.value,
        "stop_id_tag": transaction.stop_id_tag,
        "flags": sorted(flag.value for flag in transaction.flags),
        "energy_limit_wh": transaction.energy_limit_wh,
        "duration_limit_s": transaction.duration_limit_s,
        "contract_id": transaction.contract_id,
        "plan_id": transaction.plan_id,
    }


def transaction_from_row(row: AnyRow) -> Transaction:
    return Transaction(
        id=row.id,
        station_id=row.station_id,
        connector_id=row.connector_id,
        id_tag=row.id_tag,
        meter_start_wh=row.meter_start_wh,
        started_at=row.started_at,
        start_received_at=row.start_received_at,
        start_key=row.start_key,
        auth_status=row.auth_status,
        reservation_id=row.reservation_id,
        state=TransactionState(row.state),
        last_meter_wh=row.last_meter_wh,
        last_meter_at=row.last_meter_at,
        meter_stop_wh=row.meter_stop_wh,
        stopped_at=row.stopped_at,
        stop_received_at=row.stop_received_at,
        stop_reason=None if row.stop_reason is None else StopReason(row.stop_reason),
        stop_id_tag=row.stop_id_tag,
        flags={TransactionFlag(flag) for flag in row.flags},
        energy_limit_wh=row.energy_limit_wh,
        duration_limit_s=row.duration_limit_s,
        contract_id=row.contract_id,
        plan_id=row.plan_id,
    )
