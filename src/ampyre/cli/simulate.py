"""``ampyre simulate``: run simulated OCPP 1.6J stations against a CSMS."""

from __future__ import annotations

import asyncio
import json
import signal

import typer

from ampyre.cli.common import configure_logging, fail
from ampyre.simulator.config import SimulationOptions
from ampyre.simulator.fleet import run_simulation


def simulate(
    url: str = typer.Option(..., help="CSMS endpoint without the station id, ws://host:port/ocpp"),
    stations: int = typer.Option(1, min=1, help="How many stations"),
    password: str | None = typer.Option(None, help="Basic-auth password shared by the stations"),
    id_prefix: str = typer.Option("SIM", help="Station ids are PREFIX-00001, PREFIX-00002, ..."),
    tags: str = typer.Option(
        "",
        help="Comma-separated id tags drivers present (none: no local "
        "sessions, only remote starts)",
    ),
    connectors: int = typer.Option(2, min=1, max=16, help="Connectors per station"),
    speed: float = typer.Option(1.0, min=0.01, help="Time acceleration (10 = ten times faster)"),
    duration: float | None = typer.Option(None, min=0, help="Stop after this many real seconds"),
    seed: int | None = typer.Option(None, help="Random seed for reproducible behaviour"),
    meter_interval: float = typer.Option(10.0, min=1, help="Seconds between MeterValues"),
) -> None:
    """Run N realistic stations: boot, status, RFID sessions with a power curve in the meter
    values, remote commands obeyed, reconnects. Prints a JSON report at the end (Ctrl-C)."""
    configure_logging("INFO")
    try:
        options = SimulationOptions(
            url=url.rstrip("/"),
            stations=stations,
            id_prefix=id_prefix,
            password=password,
            id_tags=tuple(tag.strip() for tag in tags.split(",") if tag.strip()),
            connectors_per_station=connectors,
            speed=speed,
            duration=duration,
            seed=seed,
            meter_interval=meter_interval,
        )
    except ValueError as exc:
        fail(str(exc))
    stop = asyncio.Event()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        report = await run_simulation(options, stop=stop)
        typer.echo(json.dumps(report.as_dict(), indent=2))

    asyncio.run(main())
