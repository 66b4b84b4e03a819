"""The read side of rating: sessions' meter data, suspended intervals and station facts.

Built for batches: one query per table for a whole list of transactions, so rating stored
sessions into CDRs costs a few round trips per batch, not per session.

On PostgreSQL the two large reads (meter values and status history: about a hundred rows
per session) go straight to asyncpg, like the telemetry writer's batches
(:mod:`ampyre.db.telemetry_pg`): SQLAlchemy's per-row result processing was most of the CPU
of rating stored sessions (``bench/rating_e2e.py``, docs/benchmarks.md "Rating (P5)"). Both
paths select the same rows and turn them into readings with the same code
(:func:`_readings_of`, which also puts them in time order); asyncpg already returns
``timestamptz`` as aware UTC datetimes, which is what :class:`~ampyre.db.types.UtcDateTime`
makes of them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from itertools import groupby
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from ampyre.db.repositories.transactions import transaction_from_row
from ampyre.db.tables import (
    connector_status_history,
    locations,
    meter_values,
    rating_queue,
    stations,
    transactions,
)
from ampyre.domain.metering import ValueFormat
from ampyre.domain.rating.usage import MeterReading, SessionUsage
from ampyre.domain.stations import ConnectorStatus
from ampyre.domain.transactions import Transaction
from ampyre.services.records import StationPricingFacts

POWER = "Power.Active.Import"
CURRENT = "Current.Import"
_SUSPENDED = frozenset({ConnectorStatus.SUSPENDED_EV.value, ConnectorStatus.SUSPENDED_EVSE.value})
_POWER_FACTOR = {"W": Decimal(1), "kW": Decimal(1000), None: Decimal(1)}
_LINE_PHASES = frozenset({"L1", "L2", "L3", "L1-N", "L2-N", "L3-N"})
"""Per-phase values that add up to the total (OCPI: current is the sum over phases)."""
_STATUS_LOOKBACK = timedelta(days=2)
"""How far before a session start to look for the status the connector was in."""

_READINGS_PG = """
SELECT transaction_id, array_agg("timestamp"), array_agg(energy_wh),
    array_agg(CASE WHEN energy_wh IS NULL THEN measurand END),
    array_agg(CASE WHEN energy_wh IS NULL THEN phase END),
    array_agg(CASE WHEN energy_wh IS NULL THEN unit END),
    array_agg(CASE WHEN energy_wh IS NULL THEN value END)
FROM meter_values
WHERE transaction_id = ANY($1::int[]) AND format = $2
    AND (energy_wh IS NOT NULL OR measurand = ANY($3::text[]))
GROUP BY transaction_id
"""
"""The rows of :meth:`SqlUsageRepository._readings` as one row per transaction holding
parallel arrays (timestamp, energy_wh, measurand, phase, unit, value): one aggregate pass
fills them all, so they line up; :func:`_readings_of` puts the samples in time order
(sorting them in PostgreSQL cost it about 40 % more CPU). A register row's text columns are not
used, so not sent. Decoding a few arrays costs asyncpg less than a record per meter value."""

_REGISTER_PG = """
SELECT transaction_id, array_agg("timestamp"), array_agg(energy_wh)
FROM meter_values
WHERE transaction_id = ANY($1::int[]) AND energy_wh IS NOT NULL
GROUP BY transaction_id
"""
"""Register readings only (``energy_wh`` is set only on raw register values): what rating
needs when no tariff restriction looks at power or current, about half the data."""

_STATUS_PG = """
SELECT station_id, connector_id, status, coalesce(station_time, received_at) AS at
FROM connector_status_history
WHERE station_id = ANY($1::text[]) AND received_at >= $2
    AND coalesce(station_time, received_at) < $3
ORDER BY coalesce(station_time, received_at), id
"""
"""The PostgreSQL form of :meth:`SqlUsageRepository._suspended`' statement."""


class SqlUsageRepository:
    """``UsageRepository`` over one connection."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def enqueue_for_rating(self, transaction_id: int, at: datetime) -> None:
        """One statement on the stop's path: an entry already there is left as it is."""
        insert = postgresql.insert if self._conn.dialect.name == "postgresql" else sqlite.insert
        await self._conn.execute(
            insert(rating_queue)
            .values(transaction_id=transaction_id, enqueued_at=at)
            .on_conflict_do_nothing(index_elements=["transaction_id"])
        )

    async def waiting_for_rating(self, limit: int) -> list[Transaction]:
        """The queue entries are locked (``FOR UPDATE SKIP LOCKED``, PostgreSQL only) until
        the unit of work ends, so concurrent raters take different transactions; the
        transactions themselves are not locked, so meter data keeps flowing meanwhile.
        SQLite has one writer at a time anyway and ignores the clause."""
        queued = (
            sa.select(rating_queue.c.transaction_id)
            .order_by(rating_queue.c.enqueued_at, rating_queue.c.transaction_id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = [row[0] for row in await self._conn.execute(queued)]
        if not ids:
            return []
        rows = await self._conn.execute(
            sa.select(transactions)
            .where(transactions.c.id.in_(ids))
            .order_by(transactions.c.stop_received_at, transactions.c.id)
        )
        return [transaction_from_row(row) for row in rows]

    async def done_rating(self, transaction_ids: Sequence[int]) -> None:
        if transaction_ids:
            await self._conn.execute(
                sa.delete(rating_queue).where(rating_queue.c.transaction_id.in_(transaction_ids))
            )

    async def usage(
        self,
        transactions_: Sequence[Transaction],
        *,
        until: datetime | None = None,
        with_power: bool = True,
        with_current: bool = True,
    ) -> dict[int, SessionUsage]:
        if not transactions_:
            return {}
        ids = [t.id for t in transactions_]
        measurands = [m for m, wanted in ((POWER, with_power), (CURRENT, with_current)) if wanted]
        readings = await self._readings(ids, measurands)
        suspended = await self._suspended(transactions_, until)
        result: dict[int, SessionUsage] = {}
        for t in transactions_:
            ended_at, meter_end = _end_of(t, until)
            result[t.id] = SessionUsage(
                started_at=t.started_at,
                ended_at=ended_at,
                meter_start_wh=t.meter_start_wh,
                meter_end_wh=meter_end,
                readings=readings.get(t.id, ()),
                suspended=suspended.get(t.id, ()),
            )
        return result

    async def station_facts(self, station_ids: Sequence[str]) -> dict[str, StationPricingFacts]:
        if not station_ids:
            return {}
        statement = (
            sa.select(
                stations.c.id, stations.c.location_id, stations.c.groups, locations.c.time_zone
            )
            .select_from(stations.outerjoin(locations, stations.c.location_id == locations.c.id))
            .where(stations.c.id.in_(sorted(set(station_ids))))
        )
        return {
            row.id: StationPricingFacts(
                station_id=row.id,
                location_id=row.location_id,
                time_zone=row.time_zone,
                groups=frozenset(row.groups or ()),
            )
            for row in await self._conn.execute(statement)
        }

    async def _readings(
        self, ids: list[int], measurands: list[str]
    ) -> dict[int, tuple[MeterReading, ...]]:
        """Register readings, and the power or current ``measurands`` asked for, per sample
        instant (phases summed, OCPI-style)."""
        if self._conn.dialect.name == "postgresql":
            if not measurands:
                rows = await _fetch_pg(self._conn, _REGISTER_PG, ids)
                return {row[0]: _register_readings(row[1], row[2]) for row in rows}
            rows = await _fetch_pg(self._conn, _READINGS_PG, ids, ValueFormat.RAW.value, measurands)
            return {row[0]: _readings_of(zip(*row[1:], strict=True)) for row in rows}
        statement = (
            sa.select(
                meter_values.c.transaction_id,
                meter_values.c.timestamp,
                meter_values.c.energy_wh,
                meter_values.c.measurand,
                meter_values.c.phase,
                meter_values.c.unit,
                meter_values.c.value,
            )
            .where(
                meter_values.c.transaction_id.in_(ids),
                meter_values.c.format == ValueFormat.RAW.value,
                sa.or_(
                    meter_values.c.energy_wh.is_not(None),
                    meter_values.c.measurand.in_(measurands),
                ),
            )
            .order_by(meter_values.c.transaction_id, meter_values.c.timestamp)
        )
        result = await self._conn.execute(statement)
        return {
            transaction_id: _readings_of(tuple(row[1:]) for row in rows)
            for transaction_id, rows in groupby(result, key=itemgetter(0))
        }

    async def _suspended(
        self, transactions_: Sequence[Transaction], until: datetime | None
    ) -> dict[int, list[tuple[datetime, datetime]]]:
        """Intervals in which each session's connector reported SuspendedEV/EVSE.

        Status changes at or after the latest session end of the batch are not read: no
        session of the batch could use them (:func:`_suspended_intervals` stops at its end).
        """
        ends = {t.id: _end_of(t, until)[0] for t in transactions_}
        station_ids = sorted({t.station_id for t in transactions_})
        earliest = min(t.started_at for t in transactions_) - _STATUS_LOOKBACK
        latest_end = max(ends.values())
        rows: Iterable[Sequence[Any]]
        if self._conn.dialect.name == "postgresql":
            rows = await _fetch_pg(self._conn, _STATUS_PG, station_ids, earliest, latest_end)
        else:
            at = sa.func.coalesce(
                connector_status_history.c.station_time, connector_status_history.c.received_at
            )
            statement = (
                sa.select(
                    connector_status_history.c.station_id,
                    connector_status_history.c.connector_id,
                    connector_status_history.c.status,
                    connector_status_history.c.station_time,
                    connector_status_history.c.received_at,
                )
                .where(
                    connector_status_history.c.station_id.in_(station_ids),
                    connector_status_history.c.received_at >= earliest,
                    at < latest_end,
                )
                .order_by(at, connector_status_history.c.id)
            )
            rows = [
                (row.station_id, row.connector_id, row.status, row.station_time or row.received_at)
                for row in await self._conn.execute(statement)
            ]
        history: dict[tuple[str, int], list[tuple[datetime, str]]] = defaultdict(list)
        for station_id, connector_id, status, changed_at in rows:
            history[(station_id, connector_id)].append((changed_at, status))
        result: dict[int, list[tuple[datetime, datetime]]] = {}
        for t in transactions_:
            changes = history.get((t.station_id, t.connector_id))
            if changes:
                intervals = _suspended_intervals(changes, t.started_at, ends[t.id])
                if intervals:
                    result[t.id] = intervals
        return result


async def _fetch_pg(conn: AsyncConnection, sql: str, *arguments: object) -> list[Any]:
    """Rows of a read straight from asyncpg (records, indexable like tuples), on the unit
    of work's connection and so inside its database transaction once one has begun."""
    raw = await conn.get_raw_connection()
    driver: Any = raw.driver_connection
    rows: list[Any] = await driver.fetch(sql, *arguments)
    return rows


def _readings_of(values: Iterable[Sequence[Any]]) -> tuple[MeterReading, ...]:
    """One transaction's meter values (timestamp, energy_wh, measurand, phase, unit, value)
    → its readings, one per sample instant, in time order."""
    by_time: dict[datetime, _Sample] = {}
    for at, energy_wh, measurand, phase, unit, value in values:
        sample = by_time.get(at)
        if sample is None:
            sample = by_time[at] = _Sample()
        if energy_wh is not None:
            sample.register_wh = energy_wh
        elif measurand == POWER:
            sample.add_power(value, unit, phase)
        else:
            sample.add_current(value, phase)
    return tuple(
        MeterReading(at, s.register_wh, s.power_w(), s.current_a())
        for at, s in sorted(by_time.items(), key=itemgetter(0))
    )


def _register_readings(
    times: Sequence[datetime], registers: Sequence[int]
) -> tuple[MeterReading, ...]:
    """Register-only readings in time order (a later value at the same instant wins)."""
    by_time = dict(zip(times, registers, strict=True))
    return tuple(MeterReading(at, wh) for at, wh in sorted(by_time.items(), key=itemgetter(0)))


class _Sample:
    __slots__ = ("_current", "_current_total", "_power", "_power_total", "register_wh")

    def __init__(self) -> None:
        self.register_wh: int | None = None
        self._power: Decimal | None = None
        self._power_total: Decimal | None = None
        self._current: Decimal | None = None
        self._current_total: Decimal | None = None

    def add_power(self, text: str, unit: str | None, phase: str | None) -> None:
        number = _number(text)
        factor = _POWER_FACTOR.get(unit)
        if number is None or factor is None:
            return
        if phase is None:
            self._power_total = number * factor
        elif phase in _LINE_PHASES:
            self._power = (self._power or Decimal(0)) + number * factor

    def add_current(self, text: str, phase: str | None) -> None:
        number = _number(text)
        if number is None:
            return
        if phase is None:
            self._current_total = number
        elif phase in _LINE_PHASES:
            self._current = (self._current or Decimal(0)) + number

    def power_w(self) -> Decimal | None:
        return self._power_total if self._power_total is not None else self._power

    def current_a(self) -> Decimal | None:
        return self._current_total if self._current_total is not None else self._current


def _number(text: str) -> Decimal | None:
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _end_of(t: Transaction, until: datetime | None) -> tuple[datetime, int]:
    """When the session ends for rating and the register reading there."""
    if t.stopped_at is not None and t.meter_stop_wh is not None:
        return t.stopped_at, t.meter_stop_wh
    end = until or t.last_meter_at or t.started_at
    if t.last_meter_at is not None and t.last_meter_at > end:
        end = t.last_meter_at
    return max(end, t.started_at), t.last_meter_wh or t.meter_start_wh


def _suspended_intervals(
    changes: list[tuple[datetime, str]], start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    intervals: list[tuple[datetime, datetime]] = []
    opened: datetime | None = None
    for at, status in changes:
        if at >= end:
            break
        suspended = status in _SUSPENDED
        if suspended and opened is None:
            opened = max(at, start)
        elif not suspended and opened is not None:
            if at > opened:
                intervals.append((opened, at))
            opened = None
    if opened is not None and end > opened:
        intervals.append((opened, end))
    return intervals
