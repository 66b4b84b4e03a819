"""``ampyre serve``: one process with the OCPP gateway, REST API and background jobs."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

import typer

from ampyre.cli.common import configure_logging, fail, run, settings_or_exit
from ampyre.config import Settings
from ampyre.db.schema import schema_state

if TYPE_CHECKING:
    import uvicorn
    from starlette.types import ASGIApp

# The server stack (ampyre.main, uvicorn, FastAPI) is imported when a server starts, so
# one-shot commands such as `ampyre tariffs list` start in a fraction of the time.

GC_THRESHOLDS = (50_000, 50, 100)
"""With many live connections the default (700, 10, 10) makes collections so frequent that
they dominate tail latency (PERFORMANCE.md: p99 605 ms → 6.8 ms with tuned thresholds)."""


def serve(
    host: str | None = typer.Option(None, help="Address to listen on [AMPYRE_HOST, 127.0.0.1]"),
    port: int | None = typer.Option(None, help="Port to listen on [AMPYRE_PORT, 8180]"),
) -> None:
    """Run Ampyre: stations connect to ws://HOST:PORT/ocpp/{id}; REST API at /api/v1."""
    settings = settings_or_exit(host=host, port=port)
    state = run(schema_state(settings.database_url))
    if not state.up_to_date:
        fail(
            f"the database schema is out of date (at {state.current or 'nothing'}, "
            f"needs {state.head}): run `ampyre db upgrade` first"
        )
    run_server(settings)


def run_server(settings: Settings) -> None:
    import uvicorn

    from ampyre.main import build_app, build_components

    configure_logging(settings.log_level)
    app = build_app(build_components(settings))
    # Everything built so far (modules, SQLAlchemy metadata, schemas) lives as long as the
    # process: out of the collector's sight, full collections only walk the connections.
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    uvicorn.Server(uvicorn_config(app, settings)).run()


def uvicorn_config(app: ASGIApp, settings: Settings) -> uvicorn.Config:
    """The HTTP/WebSocket server settings Ampyre runs with (no per-message compression:
    it costs ~40 KiB per connection, OCPP.md)."""
    import uvicorn

    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        ws="websockets-sansio",
        ws_max_size=settings.ocpp_max_frame_bytes,
        ws_per_message_deflate=False,
        ws_ping_interval=settings.ocpp_ws_ping_interval_s,
        ws_ping_timeout=settings.ocpp_ws_ping_interval_s,
        backlog=4096,
        log_level=settings.log_level.lower(),
        access_log=False,
        timeout_graceful_shutdown=10,
    )
