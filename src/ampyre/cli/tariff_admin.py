"""``ampyre tariffs import|list|show|assign|unassign|assignments|rate``: tariffs in the database.

Tariff files are Ampyre tariff documents (see docs/tariffs.md) or, with ``--ocpi``, OCPI 2.2.1
Tariff objects; numbers are read exactly. Every command exits with code 2 and a message when
the input is refused, having written nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer

from ampyre.cli.common import fail, run
from ampyre.cli.context import cli_context
from ampyre.cli.tariffs import tariffs_app

__all__ = ["tariffs_app"]
from ampyre.domain.errors import DomainError, ValidationFailed
from ampyre.domain.rating.assignment import AssignmentScope, TariffAssignment
from ampyre.formats.ocpi_tariff import dumps_ocpi, parse_ocpi_tariff, tariff_to_ocpi
from ampyre.formats.tariff_document import tariff_from_document, tariff_to_document
from ampyre.services.rating import RatingService
from ampyre.services.records import Page
from ampyre.services.tariffs import TariffService


@tariffs_app.command("import")
def import_tariff(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="Tariff JSON file"),
    tariff_id: str | None = typer.Option(
        None, "--id", help="Tariff id (default: the OCPI object's id; required otherwise)"
    ),
    name: str | None = typer.Option(None, help="Display name (default: the id)"),
    ocpi: bool = typer.Option(False, "--ocpi", help="The file is an OCPI 2.2.1 Tariff object"),
) -> None:
    """Create a tariff from a file (its first version)."""
    document = _read_json(file)

    async def create() -> None:
        valid_from = valid_until = None
        chosen_id = tariff_id
        if ocpi:
            parsed = parse_ocpi_tariff(document)
            tariff, valid_from, valid_until = parsed.tariff, parsed.valid_from, parsed.valid_until
            chosen_id = chosen_id or parsed.id
        else:
            tariff = tariff_from_document(document)
        if not chosen_id:
            raise ValidationFailed("give the tariff an id with --id")
        async with cli_context() as ctx:
            created = await TariffService(ctx.uow_factory, ctx.clock).do_create_tariff(
                ctx.actor,
                chosen_id,
                name or chosen_id,
                tariff,
                valid_from=valid_from,
                valid_until=valid_until,
            )
        typer.echo(f"tariff {created.id} created ({created.currency})")

    _guarded(create)


@tariffs_app.command("list")
def list_tariffs() -> None:
    """List tariffs: id, currency, number of versions, name (tab-separated)."""

    async def show() -> None:
        async with cli_context() as ctx:
            found = await TariffService(ctx.uow_factory, ctx.clock).list_tariffs(
                ctx.actor, Page(limit=1000)
            )
        for t in found:
            typer.echo(f"{t.id}\t{t.currency}\t{len(t.versions)}\t{t.name}")

    _guarded(show)


@tariffs_app.command("show")
def show_tariff(
    tariff_id: str = typer.Argument(..., metavar="ID"),
    ocpi: bool = typer.Option(False, "--ocpi", help="Print the latest version as OCPI 2.2.1"),
) -> None:
    """Print a tariff with all its versions (or its latest version as OCPI) as JSON."""

    async def show() -> None:
        async with cli_context() as ctx:
            stored = await TariffService(ctx.uow_factory, ctx.clock).get_tariff(
                ctx.actor, tariff_id
            )
        if ocpi:
            last = stored.versions[-1]
            typer.echo(
                dumps_ocpi(
                    tariff_to_ocpi(
                        last.tariff,
                        id=stored.id,
                        country_code="NL",
                        party_id="AMP",
                        valid_from=last.valid_from,
                        valid_until=last.valid_until,
                        last_updated=last.valid_from or stored.created_at or ctx.clock.now(),
                    ),
                    indent=2,
                )
            )
            return
        versions = [
            {
                "number": v.number,
                "valid_from": v.valid_from.isoformat() if v.valid_from else None,
                "valid_until": v.valid_until.isoformat() if v.valid_until else None,
                "tariff": tariff_to_document(v.tariff),
            }
            for v in stored.versions
        ]
        typer.echo(
            json.dumps(
                {
                    "id": stored.id,
                    "name": stored.name,
                    "currency": stored.currency,
                    "versions": versions,
                },
                indent=2,
                ensure_ascii=False,
            )
        )

    _guarded(show)


@tariffs_app.command("assign")
def assign(
    tariff_id: str = typer.Argument(..., metavar="ID"),
    scope: AssignmentScope = typer.Option(..., help="Where the tariff applies"),
    target: str | None = typer.Option(
        None, help="Station id, group, location id, operator or partner (not for network)"
    ),
    plan: str | None = typer.Option(None, help="Only for sessions under this contract plan"),
    priority: int = typer.Option(100, help="Lower wins between station groups"),
) -> None:
    """Assign a tariff (resolution order: docs/tariffs.md)."""

    async def create() -> None:
        async with cli_context() as ctx:
            done = await TariffService(ctx.uow_factory, ctx.clock).do_assign(
                ctx.actor, TariffAssignment(tariff_id, scope, target, plan, priority)
            )
        typer.echo(f"assignment {done.id}: {tariff_id} -> {scope.value} {target or ''}".rstrip())

    _guarded(create)


@tariffs_app.command("unassign")
def unassign(assignment_id: int = typer.Argument(..., metavar="ASSIGNMENT_ID")) -> None:
    """Remove an assignment."""

    async def remove() -> None:
        async with cli_context() as ctx:
            await TariffService(ctx.uow_factory, ctx.clock).do_unassign(ctx.actor, assignment_id)
        typer.echo(f"assignment {assignment_id} removed")

    _guarded(remove)


@tariffs_app.command("assignments")
def assignments() -> None:
    """List assignments: id, tariff, scope, target, plan, priority (tab-separated)."""

    async def show() -> None:
        async with cli_context() as ctx:
            found = await TariffService(ctx.uow_factory, ctx.clock).list_assignments(ctx.actor)
        for a in found:
            typer.echo(
                f"{a.id}\t{a.tariff_id}\t{a.scope.value}\t{a.target or '-'}\t"
                f"{a.plan_id or '-'}\t{a.priority}"
            )

    _guarded(show)


@tariffs_app.command("rate")
def rate_pending(
    batch: int = typer.Option(500, min=1, max=10_000, help="Sessions per database transaction"),
) -> None:
    """Rate every completed session that has no CDR yet (the server does this by itself)."""

    async def rate() -> None:
        total = 0
        async with cli_context() as ctx:
            service = RatingService(ctx.uow_factory, ctx.clock)
            while written := await service.do_rate_pending(batch):
                total += written
        typer.echo(f"{total} CDRs written")

    _guarded(rate)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text("utf-8"), parse_float=Decimal)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        fail(f"{path}: not a readable JSON file ({exc})")


def _guarded(action: Callable[[], Coroutine[Any, Any, None]]) -> None:
    try:
        run(action())
    except DomainError as exc:
        fail(exc.message)
