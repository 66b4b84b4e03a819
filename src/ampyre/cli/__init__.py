"""The ``ampyre`` command: serve, demo, simulate, database and provisioning commands."""

from __future__ import annotations

import typer

from ampyre.cli import database, provisioning, secret_keys
from ampyre.cli.demo import demo
from ampyre.cli.server import serve
from ampyre.cli.simulate import simulate
from ampyre.cli.tariff_admin import tariffs_app

app = typer.Typer(
    help="Ampyre: charge point management and e-mobility billing.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("serve")(serve)
app.command("demo")(demo)
app.command("simulate")(simulate)
app.add_typer(database.app, name="db")
app.add_typer(provisioning.stations, name="stations")
app.add_typer(provisioning.tags, name="tags")
app.add_typer(provisioning.tokens, name="tokens")
app.add_typer(tariffs_app, name="tariffs")
app.add_typer(secret_keys.app, name="secrets")
