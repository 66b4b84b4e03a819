"""``ampyre tariffs``: work with OCPI 2.2.1 tariffs from files, no database needed.

``ampyre tariffs price --tariff T.json --cdr C.json`` prices a CDR's charging periods with a
tariff through the same engine as live sessions and prints the OCPI totals as JSON, amounts
as exact decimal numbers (``5.50``). Refused input: a message on stderr, exit code 2.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from ampyre.cli.common import fail
from ampyre.domain.errors import ValidationFailed
from ampyre.domain.rating.pricing import price_session
from ampyre.formats.ocpi_cdr import cdr_totals_json, parse_cdr_usage
from ampyre.formats.ocpi_tariff import dumps_ocpi, parse_ocpi_tariff

T = TypeVar("T")

tariffs_app = typer.Typer(
    help="OCPI 2.2.1 tariffs: price a CDR's charging periods with a tariff.",
    no_args_is_help=True,
)


@tariffs_app.command("price")
def price(
    tariff: Path = typer.Option(..., "--tariff", help="OCPI 2.2.1 Tariff object (JSON file)"),
    cdr: Path = typer.Option(
        ..., "--cdr", help="OCPI 2.2.1 CDR (JSON file) whose charging_periods are priced"
    ),
    time_zone: str = typer.Option(
        "UTC",
        "--time-zone",
        help=(
            "IANA time zone of the location (e.g. Europe/Amsterdam), in which the tariff's "
            "start_time, end_time, dates and day_of_week are read. An OCPI CDR carries no "
            "time zone; UTC, the default, is how the public OCPI test vectors are priced."
        ),
    ),
) -> None:
    """Price a CDR with a tariff and print the CDR totals (costs, energy, hours) as JSON.

    The CDR's own totals are ignored; compare them with the output to check a CDR.
    """
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        fail(f"unknown time zone {time_zone!r} (use an IANA name such as Europe/Berlin)")
    ocpi_tariff = _parse(tariff, parse_ocpi_tariff)
    usage = _parse(cdr, parse_cdr_usage)
    if usage.currency != ocpi_tariff.tariff.currency:
        fail(f"the CDR is in {usage.currency} but the tariff in {ocpi_tariff.tariff.currency}")
    if not ocpi_tariff.in_force_at(usage.session_start):
        typer.secho(
            "warning: the tariff was not in force at the session start "
            "(start_date_time/end_date_time); priced anyway",
            fg=typer.colors.YELLOW,
            err=True,
        )
    priced = price_session(
        ocpi_tariff.tariff,
        usage.periods,
        session_start=usage.session_start,
        session_end=usage.session_end,
        tz=zone,
    )
    typer.echo(dumps_ocpi(cdr_totals_json(priced, usage), indent=2))


def _parse(path: Path, parse: Callable[[Mapping[str, Any]], T]) -> T:
    """Read a JSON file with exact numbers and decode it; any problem ends the command."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {path}: {exc}")
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        fail(f"{path} is not valid JSON: {exc}")
    if not isinstance(data, dict):
        fail(f"{path} must hold a JSON object")
    try:
        return parse(data)
    except ValidationFailed as exc:
        fail(f"{path}: {exc.message}")
