"""Alembic environment for Ampyre, configured in code (no alembic.ini).

Normally run through :mod:`ampyre.db.schema`, which passes an open synchronous connection
(from ``AsyncConnection.run_sync``) in ``config.attributes["connection"]``. Without one, the
URL in the ``sqlalchemy.url`` option is used (e.g. for ``alembic revision --autogenerate``
with a config from :func:`ampyre.db.schema.alembic_config`); offline mode prints SQL.
"""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from alembic import context

from ampyre.db.engine import create_engine
from ampyre.db.tables import metadata

config = context.config


def run_on(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_on_url(url: str) -> None:
    engine = create_engine(url, sqlite_foreign_keys=False)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run_on)
    finally:
        await engine.dispose()


def main() -> None:
    url = config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(
            url=url, target_metadata=metadata, render_as_batch=True, literal_binds=True
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
    elif url is not None:
        asyncio.run(run_on_url(url))
    else:
        raise RuntimeError("no database: pass a connection or set sqlalchemy.url")


main()
