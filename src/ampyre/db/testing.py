"""Throwaway databases for tests (any test folder may use these; pytest is not imported).

PostgreSQL: ``AMPYRE_TEST_POSTGRES_URL`` names a database on a server where the user may
create databases (default ``postgresql://postgres@127.0.0.1:5432/test``); each test session
creates its own uniquely named database there and drops it afterwards.
``AMPYRE_TEST_SKIP_POSTGRES=1`` skips PostgreSQL; otherwise a missing server is an error.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from ampyre.db.engine import normalise_url
from ampyre.db.tables import metadata

POSTGRES_URL_ENV = "AMPYRE_TEST_POSTGRES_URL"
SKIP_POSTGRES_ENV = "AMPYRE_TEST_SKIP_POSTGRES"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
DATABASE_PREFIX = "ampyre_test_"


def postgres_skipped() -> bool:
    return os.environ.get(SKIP_POSTGRES_ENV) == "1"


def postgres_admin_url() -> str:
    """The database to connect to when creating and dropping test databases."""
    return os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


async def create_postgres_database(admin_url: str | None = None) -> str:
    """Create an empty database named ``ampyre_test_<random>``; returns its URL."""
    admin = normalise_url(admin_url or postgres_admin_url())
    name = DATABASE_PREFIX + secrets.token_hex(6)
    await _run_autocommit(admin.render_as_string(hide_password=False), f'CREATE DATABASE "{name}"')
    return admin.set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(url: str, admin_url: str | None = None) -> None:
    """Drop the test database at ``url``, closing any connections still open to it.

    Refuses names without the ``ampyre_test_`` prefix, so a wrong URL cannot drop real data.
    """
    name = make_url(url).database
    if name is None or not name.startswith(DATABASE_PREFIX) or not name.isidentifier():
        raise ValueError(f"refusing to drop {name!r}: not a test database")
    admin = normalise_url(admin_url or postgres_admin_url())
    statement = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    await _run_autocommit(admin.render_as_string(hide_password=False), statement)


async def reset_database(engine: AsyncEngine) -> None:
    """Empty every Ampyre table and restart the id sequences (schema stays)."""
    tables = metadata.sorted_tables
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            await conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            return
        for table in reversed(tables):
            await conn.execute(sa.delete(table))
        has_sequences = await conn.scalar(
            sa.text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_sequence'")
        )
        if has_sequences:
            await conn.exec_driver_sql("DELETE FROM sqlite_sequence")


def copy_sqlite_database(source: Path, target: Path) -> None:
    """Copy a closed SQLite database file (and its WAL, if any) to ``target``."""
    shutil.copyfile(source, target)
    for suffix in ("-wal", "-shm"):
        extra = source.with_name(source.name + suffix)
        if extra.exists():
            shutil.copyfile(extra, target.with_name(target.name + suffix))


async def _run_autocommit(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.exec_driver_sql(statement)
    finally:
        await engine.dispose()
