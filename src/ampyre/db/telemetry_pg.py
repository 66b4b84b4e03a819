"""PostgreSQL: one telemetry batch is one SQL statement, sent straight to asyncpg.

Each batch goes as a single statement whose rows travel as arrays (``unnest``) and whose
parts are data-modifying CTEs: one round trip and one commit per batch, whatever its size,
and the batch is atomic because a statement is. SQLAlchemy's per-row parameter processing
(about half the CPU of a batch written with ``executemany``) is skipped: values are plain
Python objects asyncpg encodes itself (times are aware UTC, checked on arrival).

The statement runs on the SQLAlchemy connection's asyncpg connection inside the
connection's ``begin()`` block, so commit events fire as usual; SQLAlchemy only opens a
database transaction on its first own statement, so the batch statement commits by itself.

The same rules as the generic path (:mod:`ampyre.db.telemetry_rows`) apply: connector
statuses only move forward in ``status_at``, the live meter follows
:func:`ampyre.db.meter_rows.reading_is_newer` (compiled from the same expression), last-seen
times never move back, and a connect of a station that no longer exists changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from ampyre.db.meter_rows import reading_is_newer
from ampyre.db.types import UtcDateTime

Row = tuple[Any, ...]

_LIVE_METER_IS_NEWER = str(
    reading_is_newer(
        sa.literal_column("v.wh", sa.BigInteger()), sa.literal_column("v.at", UtcDateTime())
    ).compile(dialect=postgresql.dialect())  # type: ignore[no-untyped-call]
)

DURABLE_SQL = f"""
WITH history AS (
    INSERT INTO connector_status_history (station_id, connector_id, status, error_code, info,
        vendor_id, vendor_error_code, station_time, received_at)
    SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[],
        $6::text[], $7::text[], $8::timestamptz[], $9::timestamptz[])
), connector_state AS (
    INSERT INTO connectors (station_id, connector_id, standard, format, power_type, status,
        error_code, vendor_error_code, info, status_at)
    SELECT v.station_id, v.connector_id, $10::text, $11::text, $12::text, v.status,
        v.error_code, v.vendor_error_code, v.info, v.status_at
    FROM unnest($13::text[], $14::int[], $15::text[], $16::text[], $17::text[], $18::text[],
        $19::timestamptz[])
        AS v(station_id, connector_id, status, error_code, vendor_error_code, info, status_at)
    WHERE EXISTS (SELECT FROM stations WHERE stations.id = v.station_id)
    ORDER BY v.station_id, v.connector_id
    ON CONFLICT (station_id, connector_id) DO UPDATE SET status = excluded.status,
        error_code = excluded.error_code, vendor_error_code = excluded.vendor_error_code,
        info = excluded.info, status_at = excluded.status_at
    WHERE connectors.status_at IS NULL OR connectors.status_at <= excluded.status_at
), meter AS (
    INSERT INTO meter_values (transaction_id, station_id, connector_id, "timestamp",
        received_at, measurand, phase, unit, context, location, format, value, signed_data,
        energy_wh)
    SELECT * FROM unnest($20::int[], $21::text[], $22::int[], $23::timestamptz[],
        $24::timestamptz[], $25::text[], $26::text[], $27::text[], $28::text[], $29::text[],
        $30::text[], $31::text[], $32::text[], $33::bigint[])
)
UPDATE transactions SET last_meter_wh = v.wh, last_meter_at = v.at
FROM unnest($34::int[], $35::bigint[], $36::timestamptz[]) AS v(id, wh, at)
WHERE transactions.id = v.id AND {_LIVE_METER_IS_NEWER}
"""  # noqa: S608  # the only inserted text is a constant compiled from SQLAlchemy
"""Status history, connector statuses (created with ``$10..$12`` defaults), meter values and
live meters of one durable batch."""

BACKGROUND_SQL = """
WITH frames AS (
    INSERT INTO message_log (station_id, direction, message_id, action, request, response,
        requested_at, answered_at, error_code)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
        $6::text[], $7::timestamptz[], $8::timestamptz[], $9::text[])
), events AS (
    INSERT INTO connection_events (station_id, event, at, detail)
    SELECT v.station_id, v.event, v.at, v.detail
    FROM unnest($10::text[], $11::text[], $12::timestamptz[], $13::text[])
        WITH ORDINALITY AS v(station_id, event, at, detail, position)
    WHERE v.event <> 'connected' OR EXISTS (SELECT FROM stations WHERE stations.id = v.station_id)
    ORDER BY v.position
)
UPDATE stations SET
    last_seen_at = CASE
        WHEN stations.last_seen_at IS NULL OR stations.last_seen_at < v.seen_at THEN v.seen_at
        ELSE stations.last_seen_at END,
    connected = coalesce(v.connected, stations.connected),
    ocpp_version = coalesce(v.ocpp_version, stations.ocpp_version)
FROM unnest($14::text[], $15::timestamptz[], $16::bool[], $17::text[])
    AS v(id, seen_at, connected, ocpp_version)
WHERE stations.id = v.id AND (v.connected IS NOT NULL
    OR stations.last_seen_at IS NULL OR stations.last_seen_at < v.seen_at)
"""
"""Message log rows, connection history (in queue order) and one update per station: the
newest last-seen time, and the presence flag and OCPP version after the batch's events."""


async def write_durable(
    conn: AsyncConnection,
    *,
    history: Sequence[Row],
    connector_defaults: tuple[str, str, str],
    connector_states: Sequence[Row],
    meter_rows: Sequence[Row],
    readings: Sequence[Row],
) -> None:
    """Write a durable batch; rows are tuples in the column order of ``DURABLE_SQL``'s
    arrays (history 9, connector states 7, meter values 14, readings 3 fields)."""
    await _execute(
        conn,
        DURABLE_SQL,
        *_columns(history, 9),
        *connector_defaults,
        *_columns(connector_states, 7),
        *_columns(meter_rows, 14),
        *_columns(readings, 3),
    )


async def write_background(
    conn: AsyncConnection,
    *,
    frames: Sequence[Row],
    events: Sequence[Row],
    station_updates: Sequence[tuple[str, datetime | None, bool | None, str | None]],
) -> None:
    """Write a background batch: frames (9 fields), events (station, event, at, detail) and
    per-station updates (id, seen at, connected or None, OCPP version or None)."""
    await _execute(
        conn,
        BACKGROUND_SQL,
        *_columns(frames, 9),
        *_columns(events, 4),
        *_columns(station_updates, 4),
    )


async def _execute(conn: AsyncConnection, sql: str, *arguments: object) -> None:
    raw = await conn.get_raw_connection()
    driver: Any = raw.driver_connection
    await driver.execute(sql, *arguments)


def _columns(rows: Sequence[Row], width: int) -> list[list[Any]]:
    """Rows → one list per column (what asyncpg sends as an array)."""
    if not rows:
        return [[] for _ in range(width)]
    return [list(column) for column in zip(*rows, strict=True)]
