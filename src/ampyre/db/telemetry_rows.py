"""What one telemetry batch stores, and how it is written.

- durable part (statuses, meter values): status history, connector status upsert, meter
  values, transaction live meter;
- background part (message log, last seen, connection events): message log, connection
  history, stations (last seen, presence flag, OCPP version).

On PostgreSQL a batch is one statement (:mod:`ampyre.db.telemetry_pg`); elsewhere (SQLite) a
handful of SQLAlchemy executemany statements in one transaction, whatever the batch size.
Items are checked before they join a batch (:mod:`ampyre.db.telemetry_checks`).
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ampyre.db import telemetry_pg
from ampyre.db.dialects import upsert_insert
from ampyre.db.meter_rows import METER_VALUE_COLUMNS, meter_value_tuples, reading_is_newer
from ampyre.db.repositories.stations import later_of
from ampyre.db.tables import (
    connection_events,
    connector_status_history,
    connectors,
    message_log,
    meter_values,
    stations,
    transactions,
)
from ampyre.db.telemetry_checks import MAX_INT64
from ampyre.db.types import UtcDateTime
from ampyre.domain.stations import Connector, StatusReport
from ampyre.services.records import ConnectionEvent, LoggedFrame, MeterBatch

Row = tuple[Any, ...]

_NEW_CONNECTOR = Connector(station_id="_", connector_id=1)
"""Defaults for connectors that a station reports before an operator registered them."""
_CONNECTOR_DEFAULTS = (
    _NEW_CONNECTOR.standard.value,
    _NEW_CONNECTOR.format.value,
    _NEW_CONNECTOR.power_type.value,
)

HISTORY_COLUMNS = (
    "station_id",
    "connector_id",
    "status",
    "error_code",
    "info",
    "vendor_id",
    "vendor_error_code",
    "station_time",
    "received_at",
)
CONNECTOR_STATE_FIELDS = (
    "p_station_id",
    "p_connector_id",
    "p_status",
    "p_error_code",
    "p_vendor_error_code",
    "p_info",
    "p_status_at",
)
FRAME_COLUMNS = (
    "station_id",
    "direction",
    "message_id",
    "action",
    "request",
    "response",
    "requested_at",
    "answered_at",
    "error_code",
)


def _is_postgres(conn: AsyncConnection) -> bool:
    return conn.dialect.name == "postgresql"


@dataclass(slots=True)
class DurableBatch:
    """Statuses and meter values written and committed together."""

    history: list[Row] = field(default_factory=list)
    connector_states: dict[tuple[str, int], Row] = field(default_factory=dict)
    """Newest status per connector, in ``CONNECTOR_STATE_FIELDS`` order."""
    meter_rows: list[Row] = field(default_factory=list)
    readings: dict[int, tuple[int, datetime]] = field(default_factory=dict)

    def add_status(self, report: StatusReport) -> None:
        """History row always; the connector row only for connectors (id ≥ 1).

        ``status_at`` of the connector is Ampyre's receive time (the station's clock may be
        wrong); the station's time stays in the history.
        """
        status = report.status.value
        self.history.append(
            (
                report.station_id,
                report.connector_id,
                status,
                report.error_code,
                report.info,
                report.vendor_id,
                report.vendor_error_code,
                report.station_time,
                report.received_at,
            )
        )
        key = (report.station_id, report.connector_id)
        known = self.connector_states.get(key)
        if report.connector_id >= 1 and (known is None or report.received_at >= known[6]):
            self.connector_states[key] = (
                report.station_id,
                report.connector_id,
                status,
                report.error_code,
                report.vendor_error_code,
                report.info,
                report.received_at,
            )

    def add_meter_values(self, batch: MeterBatch) -> None:
        """All sampled values; the register reading only if it fits a BIGINT (a larger one
        is nonsense and leaves the live meter alone; the values are still stored).
        """
        self.meter_rows.extend(meter_value_tuples(batch))
        wh = batch.register_wh
        if wh is not None and batch.transaction_id is not None and abs(wh) <= MAX_INT64:
            reading = (wh, batch.register_at or batch.received_at)
            best = self.readings.get(batch.transaction_id)
            if best is None or reading > best:
                self.readings[batch.transaction_id] = reading

    async def write(self, conn: AsyncConnection) -> None:
        """Connector rows and live meters are written in key order (no lock-order deadlock
        between batches in flight together)."""
        states = [self.connector_states[key] for key in sorted(self.connector_states)]
        readings = [(tid, wh, at) for tid, (wh, at) in sorted(self.readings.items())]
        if _is_postgres(conn):
            await telemetry_pg.write_durable(
                conn,
                history=self.history,
                connector_defaults=_CONNECTOR_DEFAULTS,
                connector_states=states,
                meter_rows=self.meter_rows,
                readings=readings,
            )
            return
        if self.history:
            await conn.execute(
                sa.insert(connector_status_history), _as_dicts(HISTORY_COLUMNS, self.history)
            )
        if states:
            await conn.execute(
                _connector_status_upsert(conn.dialect.name),
                _as_dicts(CONNECTOR_STATE_FIELDS, states),
            )
        if self.meter_rows:
            await conn.execute(
                sa.insert(meter_values), _as_dicts(METER_VALUE_COLUMNS, self.meter_rows)
            )
        if readings:
            await conn.execute(_LIVE_METER_UPDATE, _as_dicts(("p_id", "p_wh", "p_at"), readings))


@dataclass(slots=True)
class PresenceChange:
    """A connection event waiting to be written; ``written`` resolves once it is committed."""

    event: ConnectionEvent
    ocpp_version: str | None
    written: asyncio.Future[None] | None = None


@dataclass(slots=True)
class BackgroundBatch:
    """Message log rows, last-seen times and connection events, written together."""

    frames: list[LoggedFrame] = field(default_factory=list)
    last_seen: dict[str, datetime] = field(default_factory=dict)
    presence: list[PresenceChange] = field(default_factory=list)
    """In arrival order: the history keeps it, and the last event of a station wins."""

    def merge(self, other: BackgroundBatch) -> None:
        """Put ``other``'s items (a batch that failed to write) before this batch's."""
        self.frames[:0] = other.frames
        self.presence[:0] = other.presence
        for station_id, at in other.last_seen.items():
            self.touch(station_id, at)

    def touch(self, station_id: str, at: datetime) -> None:
        known = self.last_seen.get(station_id)
        if known is None or at > known:
            self.last_seen[station_id] = at

    def __len__(self) -> int:
        return len(self.frames) + len(self.last_seen) + len(self.presence)

    def settle(self, failure: BaseException | None = None) -> None:
        """Tell the callers waiting for this batch's connection events how it went."""
        for change in self.presence:
            waiter = change.written
            if waiter is None or waiter.done():
                continue
            if failure is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(failure)

    async def write(self, conn: AsyncConnection) -> None:
        frames = [_frame_row(frame) for frame in self.frames]
        if _is_postgres(conn):
            await telemetry_pg.write_background(
                conn,
                frames=frames,
                events=[
                    (c.event.station_id, c.event.event, c.event.at, c.event.detail)
                    for c in self.presence
                ],
                station_updates=self._station_updates(),
            )
            return
        if frames:
            await conn.execute(sa.insert(message_log), _as_dicts(FRAME_COLUMNS, frames))
        for change in self.presence:
            await _write_presence(conn, change)
        if self.last_seen:
            await conn.execute(
                _LAST_SEEN_UPDATE,
                [{"p_id": sid, "p_at": at} for sid, at in sorted(self.last_seen.items())],
            )

    def _station_updates(self) -> list[tuple[str, datetime | None, bool | None, str | None]]:
        """Per station: newest seen time (a connect counts as seen), and the presence flag
        and OCPP version its last connection event leaves, in station id order."""
        seen: dict[str, datetime | None] = dict(self.last_seen)
        connected: dict[str, bool] = {}
        versions: dict[str, str] = {}
        for change in self.presence:
            station_id, event = change.event.station_id, change.event
            connected[station_id] = event.event == "connected"
            if event.event == "connected":
                known = seen.get(station_id)
                seen[station_id] = event.at if known is None or event.at > known else known
                if change.ocpp_version is not None:
                    versions[station_id] = change.ocpp_version
            else:
                seen.setdefault(station_id, None)
        return [
            (station_id, seen[station_id], connected.get(station_id), versions.get(station_id))
            for station_id in sorted(seen)
        ]


async def _write_presence(conn: AsyncConnection, change: PresenceChange) -> None:
    """Generic path of one connection event: the station row, then the history row (a
    connect of a station that no longer exists writes nothing)."""
    event = change.event
    values: dict[str, Any] = {"connected": event.event == "connected"}
    if event.event == "connected":
        values["last_seen_at"] = later_of(stations.c.last_seen_at, event.at)
        if change.ocpp_version is not None:
            values["ocpp_version"] = change.ocpp_version
    result = await conn.execute(
        sa.update(stations).where(stations.c.id == event.station_id).values(values)
    )
    if event.event == "connected" and result.rowcount == 0:
        return
    await conn.execute(
        sa.insert(connection_events).values(
            station_id=event.station_id, event=event.event, at=event.at, detail=event.detail
        )
    )


def _frame_row(frame: LoggedFrame) -> Row:
    return (
        frame.station_id,
        frame.direction,
        frame.message_id,
        frame.action,
        frame.request,
        frame.response,
        frame.requested_at,
        frame.answered_at,
        frame.error_code,
    )


def _as_dicts(names: tuple[str, ...], rows: list[Row]) -> list[dict[str, Any]]:
    return [dict(zip(names, row, strict=True)) for row in rows]


_LIVE_METER_UPDATE = (
    sa.update(transactions)
    .where(
        transactions.c.id == sa.bindparam("p_id"),
        reading_is_newer(
            sa.bindparam("p_wh", type_=sa.BigInteger()),
            sa.bindparam("p_at", type_=UtcDateTime()),
        ),
    )
    .values(
        last_meter_wh=sa.bindparam("p_wh", type_=sa.BigInteger()),
        last_meter_at=sa.bindparam("p_at", type_=UtcDateTime()),
    )
)

_LAST_SEEN_UPDATE = (
    sa.update(stations)
    .where(
        stations.c.id == sa.bindparam("p_id"),
        sa.or_(
            stations.c.last_seen_at.is_(None),
            stations.c.last_seen_at < sa.bindparam("p_at", type_=UtcDateTime()),
        ),
    )
    .values(last_seen_at=sa.bindparam("p_at", type_=UtcDateTime()))
)


@functools.cache
def _connector_status_upsert(dialect_name: str) -> sa.Executable:
    """Set a connector's current status, creating the connector with defaults first.

    ``INSERT ... SELECT ... WHERE EXISTS (station) ON CONFLICT DO UPDATE ... WHERE``: statuses
    of unknown stations (e.g. deleted while connected) only go to the history, and a status
    never replaces one received later (``status_at`` only grows), whichever batch commits
    first.
    """
    station_id = sa.bindparam("p_station_id", type_=connectors.c.station_id.type)
    status_at = sa.bindparam("p_status_at", type_=UtcDateTime())
    defaults = _NEW_CONNECTOR
    source = sa.select(
        station_id,
        sa.bindparam("p_connector_id", type_=sa.Integer()),
        sa.literal(defaults.standard.value, type_=connectors.c.standard.type),
        sa.literal(defaults.format.value, type_=connectors.c.format.type),
        sa.literal(defaults.power_type.value, type_=connectors.c.power_type.type),
        sa.bindparam("p_status", type_=connectors.c.status.type),
        sa.bindparam("p_error_code", type_=sa.Text()),
        sa.bindparam("p_vendor_error_code", type_=sa.Text()),
        sa.bindparam("p_info", type_=sa.Text()),
        status_at,
    ).where(sa.exists().where(stations.c.id == station_id))
    columns = [
        "station_id",
        "connector_id",
        "standard",
        "format",
        "power_type",
        "status",
        "error_code",
        "vendor_error_code",
        "info",
        "status_at",
    ]
    insert = upsert_insert(dialect_name, connectors).from_select(columns, source)
    current = connectors.c.status_at
    return insert.on_conflict_do_update(
        index_elements=["station_id", "connector_id"],
        set_={name: insert.excluded[name] for name in columns[5:]},
        where=sa.or_(current.is_(None), current <= insert.excluded.status_at),
    )
