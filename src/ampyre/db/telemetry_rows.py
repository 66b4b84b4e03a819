"""What the telemetry writer stores, and the SQL for one batch.

A batch is written with a handful of executemany statements, whatever its size:

- durable part (statuses, meter values): status history INSERT, connector status upsert,
  meter value INSERT, transaction live-meter UPDATE;
- background part (message log, last seen): message log INSERT, stations UPDATE.

Items are checked before they join a batch (:func:`check_status`, :func:`check_meter_batch`,
:func:`storable_frame`) so one bad item can only fail its own caller, never a whole batch.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ampyre.db.dialects import upsert_insert
from ampyre.db.meter_rows import meter_value_rows, reading_is_newer
from ampyre.db.tables import (
    connector_status_history,
    connectors,
    message_log,
    meter_values,
    stations,
    transactions,
)
from ampyre.db.types import UtcDateTime
from ampyre.domain.errors import ValidationFailed
from ampyre.domain.stations import Connector, StatusReport, validate_station_id
from ampyre.services.records import LoggedFrame, MeterBatch

MAX_INT32 = 2**31 - 1
MAX_INT64 = 2**63 - 1
FRAME_DIRECTIONS = frozenset({"in", "out"})

_NEW_CONNECTOR = Connector(station_id="_", connector_id=1)
"""Defaults for connectors that a station reports before an operator registered them."""


class UnstorableItem(ValueError):
    """An item no database could store: naive time, NUL character, number out of range, or
    a malformed station id."""


def check_status(report: StatusReport) -> None:
    """Raise ``UnstorableItem`` unless every field of ``report`` can be stored."""
    _check_station_id(report.station_id)
    _check_int(report.connector_id, "connector id", 0, MAX_INT32)
    _check_time(report.received_at, "received_at")
    _check_time(report.station_time, "station_time")
    for text in (
        report.station_id,
        report.status.value,
        report.error_code,
        report.info,
        report.vendor_id,
        report.vendor_error_code,
    ):
        _check_text(text)


def check_meter_batch(batch: MeterBatch) -> None:
    """Raise ``UnstorableItem`` unless every value of ``batch`` can be stored."""
    _check_station_id(batch.station_id)
    _check_int(batch.connector_id, "connector id", 0, MAX_INT32)
    if batch.transaction_id is not None:
        _check_int(batch.transaction_id, "transaction id", 1, MAX_INT32)
    _check_time(batch.received_at, "received_at")
    _check_time(batch.register_at, "register_at")
    for sample in batch.samples:
        _check_time(sample.timestamp, "sample timestamp")
        for value in sample.values:
            for text in (value.value, value.measurand, value.unit, value.phase, value.location):
                _check_text(text)
            _check_text(value.signed_data)


def storable_frame(frame: LoggedFrame) -> LoggedFrame:
    """``frame`` ready to store; raises ``UnstorableItem`` for a bad station id, direction
    or time. Frame texts are kept verbatim except for characters no database text can hold
    (NUL, unpaired surrogates), which become U+FFFD; such a frame is not valid JSON anyway.
    """
    _check_station_id(frame.station_id)
    if frame.direction not in FRAME_DIRECTIONS:
        raise UnstorableItem(f"frame direction {frame.direction!r} is not 'in' or 'out'")
    _check_time(frame.requested_at, "requested_at")
    _check_time(frame.answered_at, "answered_at")
    texts = (frame.message_id, frame.action, frame.request, frame.response, frame.error_code)
    if all(_is_storable(text) for text in texts):
        return frame
    return replace(
        frame,
        message_id=_clean(frame.message_id),
        action=_clean(frame.action),
        request=_clean(frame.request),
        response=_clean(frame.response),
        error_code=_clean(frame.error_code),
    )


@dataclass(slots=True)
class DurableBatch:
    """Statuses and meter values written and committed together."""

    history: list[dict[str, Any]] = field(default_factory=list)
    connector_states: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    meter_rows: list[dict[str, Any]] = field(default_factory=list)
    readings: dict[int, tuple[int, datetime]] = field(default_factory=dict)

    def add_status(self, report: StatusReport) -> None:
        """History row always; the connector row only for connectors (id ≥ 1).

        ``status_at`` of the connector is Ampyre's receive time (the station's clock may be
        wrong); the station's time stays in the history.
        """
        self.history.append(
            {
                "station_id": report.station_id,
                "connector_id": report.connector_id,
                "status": report.status.value,
                "error_code": report.error_code,
                "info": report.info,
                "vendor_id": report.vendor_id,
                "vendor_error_code": report.vendor_error_code,
                "station_time": report.station_time,
                "received_at": report.received_at,
            }
        )
        key = (report.station_id, report.connector_id)
        known = self.connector_states.get(key)
        if report.connector_id >= 1 and (
            known is None or report.received_at >= known["p_status_at"]
        ):
            self.connector_states[key] = {
                "p_station_id": report.station_id,
                "p_connector_id": report.connector_id,
                "p_status": report.status.value,
                "p_error_code": report.error_code,
                "p_vendor_error_code": report.vendor_error_code,
                "p_info": report.info,
                "p_status_at": report.received_at,
            }

    def add_meter_values(self, batch: MeterBatch) -> None:
        """All sampled values; the register reading only if it fits a BIGINT (a larger one
        is nonsense and leaves the live meter alone; the values are still stored).
        """
        self.meter_rows.extend(meter_value_rows(batch))
        wh = batch.register_wh
        if wh is not None and batch.transaction_id is not None and abs(wh) <= MAX_INT64:
            reading = (wh, batch.register_at or batch.received_at)
            best = self.readings.get(batch.transaction_id)
            if best is None or reading > best:
                self.readings[batch.transaction_id] = reading

    async def write(self, conn: AsyncConnection) -> None:
        if self.history:
            await conn.execute(sa.insert(connector_status_history), self.history)
        if self.connector_states:
            states = [self.connector_states[key] for key in sorted(self.connector_states)]
            await conn.execute(_connector_status_upsert(conn.dialect.name), states)
        if self.meter_rows:
            await conn.execute(sa.insert(meter_values), self.meter_rows)
        if self.readings:
            await conn.execute(
                _LIVE_METER_UPDATE,
                [
                    {"p_id": transaction_id, "p_wh": wh, "p_at": at}
                    for transaction_id, (wh, at) in sorted(self.readings.items())
                ],
            )


@dataclass(slots=True)
class BackgroundBatch:
    """Message log rows and last-seen times: fire-and-forget, written together."""

    frames: list[LoggedFrame] = field(default_factory=list)
    last_seen: dict[str, datetime] = field(default_factory=dict)

    def merge(self, other: BackgroundBatch) -> None:
        """Add ``other``'s items (used to put back a batch that failed to write)."""
        self.frames[:0] = other.frames
        for station_id, at in other.last_seen.items():
            self.touch(station_id, at)

    def touch(self, station_id: str, at: datetime) -> None:
        known = self.last_seen.get(station_id)
        if known is None or at > known:
            self.last_seen[station_id] = at

    def __len__(self) -> int:
        return len(self.frames) + len(self.last_seen)

    async def write(self, conn: AsyncConnection) -> None:
        if self.frames:
            await conn.execute(
                sa.insert(message_log),
                [
                    {
                        "station_id": frame.station_id,
                        "direction": frame.direction,
                        "message_id": frame.message_id,
                        "action": frame.action,
                        "request": frame.request,
                        "response": frame.response,
                        "requested_at": frame.requested_at,
                        "answered_at": frame.answered_at,
                        "error_code": frame.error_code,
                    }
                    for frame in self.frames
                ],
            )
        if self.last_seen:
            await conn.execute(
                _LAST_SEEN_UPDATE,
                [
                    {"p_id": station_id, "p_at": at}
                    for station_id, at in sorted(self.last_seen.items())
                ],
            )


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


def _check_station_id(station_id: str) -> None:
    try:
        validate_station_id(station_id)
    except ValidationFailed as exc:
        raise UnstorableItem(exc.message) from exc


def _check_time(value: datetime | None, what: str) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise UnstorableItem(f"{what} {value!r} is a naive datetime")


def _check_int(value: int, what: str, low: int, high: int) -> None:
    if not low <= value <= high:
        raise UnstorableItem(f"{what} {value} is outside {low}..{high}")


def _check_text(text: str | None) -> None:
    if not _is_storable(text):
        raise UnstorableItem(f"text {text!r} contains NUL or unpaired surrogate characters")


def _is_storable(text: str | None) -> bool:
    if text is None:
        return True
    if "\x00" in text:
        return False
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    cleaned = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return cleaned.replace("\x00", "\ufffd")
