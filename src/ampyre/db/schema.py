"""Schema migrations (Alembic, configured in code) and the schema-version check.

``ampyre db upgrade`` calls :func:`upgrade`; ``serve`` calls :func:`schema_state` and refuses
to start unless it is up to date. Developers add a revision with::

    from alembic import command
    from ampyre.db.schema import alembic_config
    command.revision(alembic_config("sqlite:///dev.db"), "what changed", autogenerate=True)

and then check the generated operations by hand (see ``migrations/versions/0001_initial.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from ampyre.db.engine import create_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

_Command = Callable[[Config], None]


@dataclass(frozen=True, slots=True)
class SchemaState:
    """Which migration the database is at (``None``: none applied) and the newest one."""

    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration for Ampyre's migrations, optionally bound to ``url``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # configparser interpolation: a literal "%" (e.g. in a password) must be doubled.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


async def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` to ``revision`` (default: the newest) in one
    transaction.

    On SQLite foreign keys are off while migrating (batch mode rebuilds tables, which must
    not cascade) and are checked before commit: a violation rolls everything back.
    """
    await _migrate(url, lambda config: command.upgrade(config, revision))


async def downgrade(url: str, revision: str = "base") -> None:
    """Migrate back to ``revision`` (default: an empty database). Drops data."""
    await _migrate(url, lambda config: command.downgrade(config, revision))


async def schema_state(url: str) -> SchemaState:
    """The current revision of the database at ``url`` next to the newest one.

    An empty database (no tables at all) has ``current`` None. Connecting to a SQLite path
    that does not exist creates an empty file.
    """
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            current = await conn.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    finally:
        await engine.dispose()
    return SchemaState(current=current, head=head_revision())


async def _migrate(url: str, run: _Command) -> None:
    engine = create_engine(url, sqlite_foreign_keys=False)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_run_with_connection, run)
            if conn.dialect.name == "sqlite":
                violations = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all()
                if violations:
                    raise RuntimeError(f"migration broke foreign keys: {violations[:10]}")
    finally:
        await engine.dispose()


def _run_with_connection(connection: sa.Connection, run: _Command) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    run(config)
