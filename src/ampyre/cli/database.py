"""``ampyre db``: schema migrations."""

from __future__ import annotations

import typer

from ampyre.cli.common import run, settings_or_exit
from ampyre.db.schema import schema_state, upgrade

app = typer.Typer(help="Database schema: upgrade and status.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command() -> None:
    """Apply all migrations to the database at AMPYRE_DATABASE_URL (creates SQLite files)."""
    settings = settings_or_exit()
    run(upgrade(settings.database_url))
    state = run(schema_state(settings.database_url))
    typer.echo(f"database is at revision {state.current} (head {state.head})")


@app.command("status")
def status_command() -> None:
    """Show the database's schema revision; exit code 1 when it is out of date."""
    settings = settings_or_exit()
    state = run(schema_state(settings.database_url))
    typer.echo(f"current: {state.current or 'empty'}  head: {state.head}")
    if not state.up_to_date:
        typer.echo("out of date: run `ampyre db upgrade`")
        raise typer.Exit(1)
