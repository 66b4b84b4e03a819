"""bench/bench_db.py against the real PostgreSQL: throw-away database and persistence check."""

from __future__ import annotations

import os

import asyncpg  # type: ignore[import-untyped]
import pytest
from bench_db import check_persistence, create_database, drop_database, find_server

pytestmark = pytest.mark.postgres

SCHEMA = """
CREATE TABLE transactions (id serial PRIMARY KEY, station_id text NOT NULL);
CREATE TABLE meter_values (
    id bigserial PRIMARY KEY, transaction_id int, station_id text NOT NULL, context text NOT NULL
);
CREATE TABLE connector_status_history (id bigserial PRIMARY KEY, station_id text NOT NULL);
INSERT INTO transactions (station_id) VALUES ('BENCH-00001'), ('BENCH-00002'), ('OTHER-1');
INSERT INTO meter_values (transaction_id, station_id, context) VALUES
    (1, 'BENCH-00001', 'Sample.Periodic'), (1, 'BENCH-00001', 'Sample.Periodic'),
    (2, 'BENCH-00002', 'Sample.Periodic'), (2, 'BENCH-00002', 'Transaction.Begin'),
    (3, 'OTHER-1', 'Sample.Periodic');
INSERT INTO connector_status_history (station_id) VALUES ('BENCH-00001'), ('OTHER-1');
"""


async def test_counts_only_the_benchmark_stations_and_compares_with_the_loadgen() -> None:
    server, version = await find_server("127.0.0.1", 5432, None)
    assert version[:2].isdigit()
    database = f"ampyre_bench_test_{os.getpid()}"
    await create_database(server, database)
    try:
        connection = await asyncpg.connect(server.dsn(database))
        try:
            await connection.execute(SCHEMA)
        finally:
            await connection.close()
        good = await check_persistence(
            server, database, "BENCH", {"transactions_started": 2, "samples_ok": 3}
        )
        short = await check_persistence(
            server, database, "BENCH", {"transactions_started": 2, "samples_ok": 4}
        )
    finally:
        await drop_database(server, database)
    assert good["transactions"] == {"rows": 2, "expected": 2, "ok": True}
    assert good["periodic_meter_samples"] == {"rows": 3, "expected": 3, "ok": True}
    assert good["status_history_rows"] == {"rows": 1}
    assert good["all_ok"] is True
    assert short["periodic_meter_samples"]["ok"] is False
    assert short["all_ok"] is False


async def test_missing_tables_make_the_check_fail() -> None:
    server, _ = await find_server("127.0.0.1", 5432, None)
    database = f"ampyre_bench_empty_{os.getpid()}"
    await create_database(server, database)
    try:
        result = await check_persistence(server, database, "BENCH", {})
    finally:
        await drop_database(server, database)
    assert "error" in result["transactions"]
    assert result["all_ok"] is False
