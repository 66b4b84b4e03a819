"""The few statements whose SQL differs between SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite


def upsert_insert(dialect_name: str, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that supports ``ON CONFLICT`` (``on_conflict_do_nothing/do_update``).

    Both databases spell the clause the same way; SQLAlchemy only needs the dialect's own
    ``insert`` construct to render it.
    """
    if dialect_name == "postgresql":
        return postgresql.insert(table)
    if dialect_name == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"no upsert support for the {dialect_name!r} dialect")
