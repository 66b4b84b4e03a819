"""Async engines for SQLite (embedded default) and PostgreSQL (production).

Accepted URLs; the driver part is always replaced by the async driver Ampyre uses:

- ``sqlite:///relative.db``, ``sqlite:////abs/path.db``, ``sqlite+aiosqlite:///...``
  → aiosqlite.
- ``postgresql://user@host/db``, ``postgres://...``, ``postgresql+asyncpg://...``,
  ``postgresql+psycopg2://...`` → asyncpg.

SQLite connections run in WAL mode with ``synchronous=NORMAL`` (durable across process
crashes; a power cut may lose the last commits but never corrupts the file), enforce foreign
keys and wait up to ``SQLITE_BUSY_TIMEOUT_MS`` for a lock. The sqlite3 driver's own
transaction handling is switched off and every transaction starts with ``BEGIN IMMEDIATE``:
it takes the write lock at the start, so a transaction that reads and then writes never
fails with "database is locked" half-way (SQLite allows one writer at a time anyway).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

SQLITE_BUSY_TIMEOUT_MS = 30_000
POSTGRES_POOL_SIZE = 10
POSTGRES_MAX_OVERFLOW = 10


def normalise_url(url: str | URL) -> URL:
    """``url`` with the async driver Ampyre uses; raises ``ValueError`` for other databases."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg")
    raise ValueError(f"unsupported database {backend!r}: use sqlite:/// or postgresql://")


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, *, sqlite_foreign_keys: bool = True) -> AsyncEngine:
    """An engine for ``url`` (see the module docstring for accepted forms).

    ``sqlite_foreign_keys=False`` is only for schema migrations, which rebuild tables on
    SQLite and must not cascade deletes while doing so; it has no effect on PostgreSQL.
    """
    normalised = normalise_url(url)
    if normalised.get_backend_name() == "sqlite":
        engine = create_async_engine(normalised)
        _configure_sqlite(engine, foreign_keys=sqlite_foreign_keys)
        return engine
    return create_async_engine(
        normalised,
        pool_size=POSTGRES_POOL_SIZE,
        max_overflow=POSTGRES_MAX_OVERFLOW,
        pool_pre_ping=True,
    )


def _configure_sqlite(engine: AsyncEngine, *, foreign_keys: bool) -> None:
    pragmas = (
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=NORMAL",
        f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}",
        f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    )

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module (it would not BEGIN before
        # a SELECT); SQLAlchemy's "begin" event below emits BEGIN instead.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in pragmas:
                cursor.execute(pragma)
        finally:
            cursor.close()

    def on_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    sa.event.listen(engine.sync_engine, "connect", on_connect)
    sa.event.listen(engine.sync_engine, "begin", on_begin)
