"""``ampyre stations|tags|tokens``: provisioning for operators' scripts.

Every command prints what it did on one line (or a table) and exits non-zero with a clear
message when the input is refused; nothing is written in that case.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

from ampyre.cli.common import fail, run
from ampyre.cli.context import cli_context
from ampyre.domain.errors import DomainError
from ampyre.domain.id_tags import IdTag, TagStatus
from ampyre.domain.stations import RegistrationStatus
from ampyre.services.api_tokens import ApiTokenService
from ampyre.services.id_tags import IdTagService
from ampyre.services.records import Page, Role
from ampyre.services.station_import import StationImportService, parse_station_csv
from ampyre.services.stations_admin import NewStation, StationAdminService

stations = typer.Typer(help="Register and list charging stations.", no_args_is_help=True)
tags = typer.Typer(
    help="Operator tags: staff and service cards that belong to no contract (customers' cards"
    " are charging tokens of contracts, see /api/v1/charging-tokens).",
    no_args_is_help=True,
)
tokens = typer.Typer(help="Bearer tokens for the REST API.", no_args_is_help=True)


@stations.command("add")
def stations_add(
    station_id: str = typer.Argument(..., metavar="ID", help="The station's OCPP identity"),
    password: str = typer.Option(
        None, help="Basic-auth password (16-40 characters); generated and printed if omitted"
    ),
    location: str | None = typer.Option(None, help="Location id the station stands at"),
    name: str | None = typer.Option(None, help="Display name"),
    pending: bool = typer.Option(False, help="Register as Pending (needs approval)"),
) -> None:
    """Register a station so it may connect with HTTP Basic auth (security profile 1)."""

    async def add() -> None:
        async with cli_context() as ctx:
            created = await StationAdminService(ctx.uow_factory, ctx.clock).do_create_station(
                ctx.actor,
                NewStation(
                    id=station_id,
                    password=password,
                    location_id=location,
                    name=name,
                    registration_status=(
                        RegistrationStatus.PENDING if pending else RegistrationStatus.ACCEPTED
                    ),
                ),
            )
        typer.echo(
            f"station {created.station.id} registered ({created.station.registration_status.value})"
        )
        if created.generated_password:
            typer.echo(f"password: {created.generated_password}")

    _guarded(add)


@stations.command("import")
def stations_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV: id,password[,...]"),
    skip_invalid: bool = typer.Option(False, help="Import the good rows, report the bad ones"),
) -> None:
    """Register many stations from a CSV file (columns id,password[,location_id,name])."""

    text = file.read_text("utf-8")

    async def import_all() -> None:
        rows = parse_station_csv(text)
        async with cli_context() as ctx:
            report = await StationImportService(ctx.uow_factory, ctx.clock).do_import_stations(
                ctx.actor, rows, skip_invalid=skip_invalid
            )
        for error in report.errors:
            typer.echo(f"line {error.line}: {error.station_id}: {error.message}", err=True)
        if report.rejected:
            fail(f"nothing imported: {len(report.errors)} invalid row(s)")
        typer.echo(f"imported {report.imported} of {report.rows} station(s)")

    _guarded(import_all)


@stations.command("list")
def stations_list(limit: int = typer.Option(100, min=1, max=10_000)) -> None:
    """List stations with their registration status and whether they are connected."""

    async def show() -> None:
        async with cli_context() as ctx:
            found = await StationAdminService(ctx.uow_factory, ctx.clock).list_stations(
                ctx.actor, Page(limit=limit)
            )
        for station in found:
            online = "online" if station.connected else "offline"
            typer.echo(f"{station.id}\t{station.registration_status.value}\t{online}")

    _guarded(show)


@stations.command("approve")
def stations_approve(station_id: str = typer.Argument(..., metavar="ID")) -> None:
    """Accept a Pending station (it is Accepted at its next BootNotification)."""

    async def approve() -> None:
        async with cli_context() as ctx:
            await StationAdminService(ctx.uow_factory, ctx.clock).do_approve_station(
                ctx.actor, station_id
            )
        typer.echo(f"station {station_id} approved")

    _guarded(approve)


@tags.command("add")
def tags_add(
    tag: str = typer.Argument(..., metavar="TAG", help="The id tag (RFID uid), 1-20 characters"),
    expires: datetime | None = typer.Option(None, help="Expiry, ISO 8601 (UTC if no offset)"),
    blocked: bool = typer.Option(False, help="Add it blocked"),
    parent: str | None = typer.Option(None, help="Parent id tag (group)"),
) -> None:
    """Allow an id tag to charge (OCPP Authorize answers Accepted until it expires)."""

    async def add() -> None:
        expiry = None
        if expires is not None:
            expiry = expires if expires.tzinfo else expires.replace(tzinfo=UTC)
        async with cli_context() as ctx:
            await IdTagService(ctx.uow_factory).do_add_tag(
                ctx.actor,
                IdTag(tag, TagStatus.BLOCKED if blocked else TagStatus.ACTIVE, expiry, parent),
            )
        typer.echo(f"id tag {tag} added ({'blocked' if blocked else 'active'})")

    _guarded(add)


@tokens.command("create")
def tokens_create(
    role: Role = typer.Option(..., help="What the token may do"),
    name: str = typer.Option("cli", help="A name to recognise the token by"),
) -> None:
    """Create an API bearer token and print it (it is shown only once)."""

    async def create() -> None:
        async with cli_context() as ctx:
            _, secret = await ApiTokenService(ctx.uow_factory, ctx.clock).do_create_token(
                None, name, role
            )
        typer.echo(secret)

    _guarded(create)


@tokens.command("list")
def tokens_list() -> None:
    """List API tokens (never their secrets)."""

    async def show() -> None:
        async with cli_context() as ctx:
            found = await ApiTokenService(ctx.uow_factory, ctx.clock).list_tokens(ctx.actor)
        for token in found:
            state = "revoked" if token.revoked_at else "active"
            typer.echo(f"{token.id}\t{token.name}\t{token.role.value}\t{state}")

    _guarded(show)


@tokens.command("revoke")
def tokens_revoke(token_id: int = typer.Argument(..., metavar="ID")) -> None:
    """Revoke an API token at once."""

    async def revoke() -> None:
        async with cli_context() as ctx:
            await ApiTokenService(ctx.uow_factory, ctx.clock).do_revoke_token(ctx.actor, token_id)
        typer.echo(f"token {token_id} revoked")

    _guarded(revoke)


def _guarded(action: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a command coroutine; domain errors become a message and exit code 2."""
    try:
        run(action())
    except DomainError as exc:
        fail(exc.message)
