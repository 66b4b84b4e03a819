"""The rating benchmark's PostgreSQL data: stored sessions in, CDR checks out.

`store_sessions` writes what Ampyre would have stored for the generated sessions of
`bench/rating.py` (COPY through asyncpg; not part of any measured time): one location in
Europe/Berlin, stations with two connectors each, completed transactions, their meter values
(per sample an `Energy.Active.Import.Register` row, plus a `Power.Active.Import` row unless
power is off) and their connectors' status history (Preparing, Charging, SuspendedEV at the
start of a parking tail, Finishing, Available). Sessions never overlap on a connector.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from rating import TIME_ZONE, SessionSpec

from ampyre.domain.money import Price

LOCATION_ID = "BENCH-LOC"
ID_PREFIX = "BENCH"
CONNECTORS_PER_STATION = 2
TRANSACTION_COLUMNS = (
    "id",
    "station_id",
    "connector_id",
    "id_tag",
    "auth_status",
    "state",
    "meter_start_wh",
    "started_at",
    "start_received_at",
    "start_key",
    "last_meter_wh",
    "last_meter_at",
    "meter_stop_wh",
    "stopped_at",
    "stop_received_at",
    "stop_reason",
    "flags",
)
METER_COLUMNS = (
    "transaction_id",
    "station_id",
    "connector_id",
    "timestamp",
    "received_at",
    "measurand",
    "unit",
    "context",
    "location",
    "format",
    "value",
    "energy_wh",
)
STATUS_COLUMNS = (
    "station_id",
    "connector_id",
    "status",
    "error_code",
    "station_time",
    "received_at",
)
RECEIVED_LAG = timedelta(milliseconds=300)
"""How long after the station's timestamp a frame is stored."""


def assign_connectors(specs: Sequence[SessionSpec], stations: int) -> list[tuple[str, int]]:
    """(station id, connector id) per session (in `specs` order): the connector free
    longest, so no two sessions overlap on a connector (their status histories would mix)."""
    free_at: dict[tuple[str, int], datetime] = {}
    slots = [
        (f"{ID_PREFIX}-{n:05d}", c)
        for n in range(1, stations + 1)
        for c in range(1, CONNECTORS_PER_STATION + 1)
    ]
    result: list[tuple[str, int]] = [("", 0)] * len(specs)
    order = sorted(range(len(specs)), key=lambda i: specs[i].started_at)
    cursor = 0
    for index in order:
        spec = specs[index]
        for attempt in range(len(slots)):
            slot = slots[(cursor + attempt) % len(slots)]
            busy_until = free_at.get(slot)
            if busy_until is None or busy_until + timedelta(minutes=5) < spec.started_at:
                break
        else:
            raise RuntimeError("not enough connectors for the sessions; raise --stations")
        cursor = (cursor + attempt + 1) % len(slots)
        free_at[slot] = spec.stopped_at
        result[index] = slot
    return result


async def store_sessions(
    dsn: str, specs: Sequence[SessionSpec], *, stations: int, power: bool
) -> dict[str, int]:
    """Insert the location, stations, transactions, meter values and status history;
    returns the row counts. Transaction ids are 1..N in `specs` order."""
    slots = assign_connectors(specs, stations)
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction():
            await _location_and_stations(connection, stations)
            transactions = [_transaction(n, s, slot) for n, (s, slot) in _numbered(specs, slots)]
            await connection.copy_records_to_table(
                "transactions", records=transactions, columns=TRANSACTION_COLUMNS
            )
            await connection.execute(
                "SELECT setval(pg_get_serial_sequence('transactions', 'id'), $1)", len(specs)
            )
            # Completed transactions wait in the rating queue, as the server leaves them.
            await connection.execute(QUEUE_ALL)
            meter_rows = 0
            status_rows = 0
            for chunk in _chunks(list(_numbered(specs, slots)), 2000):
                meters = [row for n, (s, slot) in chunk for row in _meter_rows(n, s, slot, power)]
                statuses = [row for _, (s, slot) in chunk for row in _status_rows(s, slot)]
                await connection.copy_records_to_table(
                    "meter_values", records=meters, columns=METER_COLUMNS
                )
                await connection.copy_records_to_table(
                    "connector_status_history", records=statuses, columns=STATUS_COLUMNS
                )
                meter_rows += len(meters)
                status_rows += len(statuses)
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    return {
        "stations": stations,
        "transactions": len(specs),
        "meter_values": meter_rows,
        "connector_status_history": status_rows,
    }


def _numbered(
    specs: Sequence[SessionSpec], slots: Sequence[tuple[str, int]]
) -> list[tuple[int, tuple[SessionSpec, tuple[str, int]]]]:
    return list(enumerate(zip(specs, slots, strict=True), start=1))


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


async def _location_and_stations(connection: Any, stations: int) -> None:
    await connection.execute(
        "INSERT INTO locations (id, name, street, city, postal_code, country, latitude,"
        " longitude, time_zone, opening_hours, points_of_interest, public)"
        " VALUES ($1, 'Benchmark site', 'Alexanderplatz 1', 'Berlin', '10178', 'DE',"
        " 52.5219, 13.4132, $2, '{}', '[]', true)",
        LOCATION_ID,
        TIME_ZONE,
    )
    await connection.execute(
        "INSERT INTO stations (id, location_id, registration_status, groups, connected)"
        " SELECT $1 || '-' || lpad(n::text, 5, '0'), $2, 'Accepted', '[]', false"
        " FROM generate_series(1, $3::int) AS n",
        ID_PREFIX,
        LOCATION_ID,
        stations,
    )


def _transaction(number: int, spec: SessionSpec, slot: tuple[str, int]) -> tuple[Any, ...]:
    station_id, connector_id = slot
    return (
        number,
        station_id,
        connector_id,
        f"TAG{spec.number % 5000:05d}",
        "Accepted",
        "Completed",
        spec.meter_start_wh,
        spec.started_at,
        spec.started_at + RECEIVED_LAG,
        f"bench-{number}",
        spec.meter_stop_wh,
        spec.stopped_at,
        spec.meter_stop_wh,
        spec.stopped_at,
        spec.stopped_at + RECEIVED_LAG,
        "EVDisconnected",
        "[]",
    )


def _meter_rows(
    number: int, spec: SessionSpec, slot: tuple[str, int], power: bool
) -> list[tuple[Any, ...]]:
    station_id, connector_id = slot
    rows: list[tuple[Any, ...]] = []
    for at, wh, watts in spec.samples:
        received = at + RECEIVED_LAG
        common = (number, station_id, connector_id, at, received)
        rows.append(
            (*common, "Energy.Active.Import.Register", "Wh", "Sample.Periodic", "Outlet", "Raw",
             str(wh), wh)
        )  # fmt: skip
        if power:
            rows.append(
                (*common, "Power.Active.Import", "W", "Sample.Periodic", "Outlet", "Raw", watts,
                 None)
            )  # fmt: skip
    return rows


def _status_rows(spec: SessionSpec, slot: tuple[str, int]) -> list[tuple[Any, ...]]:
    station_id, connector_id = slot
    changes = [
        ("Preparing", spec.started_at - timedelta(seconds=30)),
        ("Charging", spec.started_at),
    ]
    if spec.full_at is not None:
        changes.append(("SuspendedEV", spec.full_at))
    changes += [
        ("Finishing", spec.stopped_at),
        ("Available", spec.stopped_at + timedelta(minutes=2)),
    ]
    return [
        (station_id, connector_id, status, "NoError", at, at + RECEIVED_LAG)
        for status, at in changes
    ]


CHECK_SQL = """
SELECT
    (SELECT count(*) FROM transactions) AS transactions,
    (SELECT count(*) FROM cdrs) AS cdrs,
    (SELECT count(DISTINCT transaction_id) FROM cdrs) AS transactions_with_cdr,
    (SELECT count(*) FROM transactions t
        WHERE NOT EXISTS (SELECT FROM cdrs c WHERE c.transaction_id = t.id)) AS without_cdr,
    (SELECT count(*) FROM cdrs WHERE sequence <> 1) AS not_first,
    (SELECT coalesce(sum(total_excl_vat), 0) FROM cdrs) AS sum_excl_vat,
    (SELECT coalesce(sum(total_incl_vat), 0) FROM cdrs) AS sum_incl_vat,
    (SELECT count(*) FROM cdrs WHERE tariff_id IS NULL) AS without_tariff
"""


async def check_cdrs(dsn: str, expected: Price) -> dict[str, Any]:
    """Every transaction has exactly one CDR (sequence 1, priced with the tariff) and the
    CDRs' rounded totals add up to the engine-alone sum `expected`."""
    connection = await asyncpg.connect(dsn)
    try:
        row = await connection.fetchrow(CHECK_SQL)
    finally:
        await connection.close()
    found = dict(row)
    sums_ok = (
        found["sum_excl_vat"] == expected.excl_vat and found["sum_incl_vat"] == expected.incl_vat
    )
    ok = (
        found["cdrs"] == found["transactions"] == found["transactions_with_cdr"]
        and found["without_cdr"] == 0
        and found["not_first"] == 0
        and found["without_tariff"] == 0
        and sums_ok
    )
    return {**json.loads(json.dumps(found, default=str)), "sums_equal_engine": sums_ok, "ok": ok}


QUEUE_ALL = (
    "INSERT INTO rating_queue (transaction_id, enqueued_at) "
    "SELECT id, stop_received_at FROM transactions ON CONFLICT DO NOTHING"
)


async def reset_cdrs(dsn: str) -> None:
    """Forget every CDR and queue every transaction for rating again, for the next run."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("TRUNCATE cdrs RESTART IDENTITY")
        await connection.execute(QUEUE_ALL)
        await connection.execute("VACUUM ANALYZE cdrs")
        await connection.execute("VACUUM ANALYZE rating_queue")
    finally:
        await connection.close()
