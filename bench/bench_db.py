"""The benchmark's throw-away PostgreSQL database and the "everything was persisted" checks.

Adapt `PERSISTENCE_CHECKS` when the schema changes: each check counts rows for the benchmark's
stations (their ids start with the prefix) and names the load generator figure it must equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg  # type: ignore[import-untyped]

USERS = ("postgres", "root")
MAINTENANCE_DATABASES = ("postgres", "template1", "test")


@dataclass(frozen=True)
class PersistenceCheck:
    """`sql` takes the station id LIKE pattern as $1; `expected` is a loadgen summary key
    (None: reported only, not compared)."""

    name: str
    sql: str
    expected: str | None


PERSISTENCE_CHECKS = (
    PersistenceCheck(
        "transactions",
        "SELECT count(*) FROM transactions WHERE station_id LIKE $1",
        "transactions_started",
    ),
    PersistenceCheck(
        "periodic_meter_samples",
        "SELECT count(*) FROM meter_values mv JOIN transactions t ON t.id = mv.transaction_id"
        " WHERE t.station_id LIKE $1 AND mv.context = 'Sample.Periodic'",
        "samples_ok",
    ),
    PersistenceCheck(
        "status_history_rows",
        "SELECT count(*) FROM connector_status_history WHERE station_id LIKE $1",
        None,
    ),
)


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    user: str
    maintenance_db: str

    def dsn(self, database: str) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database}"

    def sqlalchemy_url(self, database: str) -> str:
        return f"postgresql+asyncpg://{self.user}@{self.host}:{self.port}/{database}"


async def find_server(host: str, port: int, user: str | None) -> tuple[Server, str]:
    """The first user/database pair that connects (trust auth), and the server version."""
    failures = []
    for candidate in (user,) if user else USERS:
        for database in MAINTENANCE_DATABASES:
            try:
                connection = await asyncpg.connect(
                    host=host, port=port, user=candidate, database=database, timeout=5
                )
            except (OSError, asyncpg.PostgresError) as exc:
                failures.append(f"{candidate}@{database}: {exc}")
                continue
            try:
                version = str(await connection.fetchval("SHOW server_version"))
            finally:
                await connection.close()
            return Server(host, port, candidate, database), version
    raise RuntimeError("cannot connect to PostgreSQL: " + "; ".join(failures))


async def _execute(server: Server, statement: str) -> None:
    connection = await asyncpg.connect(server.dsn(server.maintenance_db))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def create_database(server: Server, name: str) -> None:
    await _execute(server, f'CREATE DATABASE "{name}"')


async def drop_database(server: Server, name: str) -> None:
    await _execute(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def check_persistence(
    server: Server, database: str, id_prefix: str, loadgen: dict[str, Any]
) -> dict[str, Any]:
    """Row counts of `PERSISTENCE_CHECKS` and whether each equals the loadgen's figure."""
    connection = await asyncpg.connect(server.dsn(database))
    results: dict[str, Any] = {}
    try:
        for check in PERSISTENCE_CHECKS:
            try:
                rows = int(await connection.fetchval(check.sql, f"{id_prefix}-%"))
            except asyncpg.PostgresError as exc:
                results[check.name] = {"error": str(exc)}
                continue
            entry: dict[str, Any] = {"rows": rows}
            if check.expected is not None:
                expected = int(loadgen.get(check.expected, 0))
                entry |= {"expected": expected, "ok": rows == expected}
            results[check.name] = entry
    finally:
        await connection.close()
    compared = [r for r in results.values() if "expected" in r or "error" in r]
    results["all_ok"] = all(r.get("ok", False) for r in compared)
    return results
