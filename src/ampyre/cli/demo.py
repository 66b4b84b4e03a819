"""``ampyre demo``: a live network in one command (SQLite, no other service)."""

from __future__ import annotations

import asyncio
import contextlib

import typer

from ampyre.cli.common import configure_logging, run, settings_or_exit
from ampyre.cli.context import cli_context
from ampyre.cli.demo_data import DEMO_TAGS, demo_password, demo_station_ids, seed
from ampyre.cli.server import uvicorn_config
from ampyre.db.schema import upgrade
from ampyre.services.api_tokens import ApiTokenService
from ampyre.services.records import Role
from ampyre.simulator.config import SimulationOptions, StationCredentials


def demo(
    port: int | None = typer.Option(None, help="Port to listen on [AMPYRE_PORT, 8180]"),
    speed: float = typer.Option(
        20.0,
        min=1,
        help="How much faster than real time stations charge (sessions of hours take minutes)",
    ),
) -> None:
    """Seed demo data (cities across Europe, stations, customers with contracts and cards),
    print an admin API token, then serve Ampyre with simulated stations charging until
    Ctrl-C."""
    settings = settings_or_exit(port=port)
    configure_logging(settings.log_level)
    run(upgrade(settings.database_url))

    async def prepare() -> str:
        async with cli_context() as ctx:
            await seed(ctx, country=settings.operator_country, provider=settings.emsp_party_id)
            _, secret = await ApiTokenService(ctx.uow_factory, ctx.clock).do_create_token(
                None, "demo", Role.ADMIN
            )
        return secret

    token = run(prepare())
    base = f"http://{settings.host}:{settings.port}"
    typer.echo(
        f"\nAmpyre demo on {base}\n"
        f"  REST API docs: {base}/api/v1/docs\n"
        f"  admin token:   {token}\n"
        f"  try: curl -H 'Authorization: Bearer {token}' {base}/api/v1/stations\n"
        f"  stations connect to ws://{settings.host}:{settings.port}"
        f"{settings.ocpp_path_prefix}/<id>\n"
    )
    import uvicorn

    from ampyre.main import build_app, build_components
    from ampyre.simulator.fleet import run_simulation

    server = uvicorn.Server(uvicorn_config(build_app(build_components(settings)), settings))
    options = SimulationOptions(
        url=f"ws://{settings.host}:{settings.port}{settings.ocpp_path_prefix}",
        credentials=tuple(
            StationCredentials(station_id, demo_password(station_id))
            for station_id in demo_station_ids()
        ),
        id_tags=DEMO_TAGS,
        speed=speed,
        mean_idle_time=1200.0,
        meter_interval=60.0,
        heartbeat_interval=300.0,
    )

    async def serve_and_simulate() -> None:
        serving = asyncio.create_task(server.serve())
        while not server.started:
            if serving.done():
                return
            await asyncio.sleep(0.05)
        stop = asyncio.Event()
        simulation = asyncio.create_task(run_simulation(options, stop=stop))
        await serving
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(simulation, 5)

    asyncio.run(serve_and_simulate())
