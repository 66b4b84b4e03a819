"""WebSocket life of a simulated station: connect, reconnect with backoff, reboot on Reset."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import math
import random
from urllib.parse import quote

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException
from websockets.typing import Subprotocol

from ampyre.ocpp.rpc import OcppVersion, RpcConnection, Side, WebsocketsTransport
from ampyre.simulator.station import LinkOutcome, SimulatedStation

logger = logging.getLogger("ampyre.simulator")

REBOOT_S = 5.0  # simulated seconds a station needs to come back after a Reset
BACKOFF_BASE_S = 1.0


class Backoff:
    """Exponential backoff with jitter: base·2^n capped, scaled by a random 0.5-1.0 factor.

    The jitter spreads a reconnect storm of thousands of stations over time.
    """

    def __init__(
        self, rng: random.Random, *, base: float = BACKOFF_BASE_S, cap: float = 60.0
    ) -> None:
        self._rng = rng
        self._base = base
        self._cap = cap
        self._failures = 0

    def next_delay(self) -> float:
        delay = min(self._cap, math.ldexp(self._base, self._failures)) * self._rng.uniform(0.5, 1.0)
        self._failures = min(self._failures + 1, 30)
        return delay

    def reset(self) -> None:
        self._failures = 0


def station_url(base_url: str, station_id: str) -> str:
    """`ws://host/ocpp` + station id → `ws://host/ocpp/<percent-encoded id>`."""
    return f"{base_url.rstrip('/')}/{quote(station_id, safe='')}"


def basic_auth_header(station_id: str, password: str) -> str:
    """HTTP Basic credentials (OCPP 1.6 security profile 1: username = charge point id)."""
    token = base64.b64encode(f"{station_id}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


async def open_socket(station: SimulatedStation) -> ClientConnection:
    """Open the station's WebSocket (subprotocol ocpp1.6, no compression)."""
    headers = {}
    if station.password is not None:
        headers["Authorization"] = basic_auth_header(station.station_id, station.password)
    ping = station.config.integer("WebSocketPingInterval") or None
    ws = await connect(
        station_url(station.options.url, station.station_id),
        subprotocols=[Subprotocol(OcppVersion.V16.value)],
        additional_headers=headers,
        compression=None,
        open_timeout=station.options.call_timeout,
        ping_interval=ping,
        ping_timeout=ping,
        max_queue=4,
        proxy=None,
        user_agent_header="Ampyre-SimCharger",
    )
    if ws.subprotocol != OcppVersion.V16.value:
        await ws.close()
        raise ConnectionRefusedError(f"server did not accept subprotocol {OcppVersion.V16.value}")
    return ws


async def run_station(station: SimulatedStation, stop: asyncio.Event) -> None:
    """Keep `station` connected until `stop` is set; then close its socket."""
    clock = station.clock
    backoff = Backoff(station.rng, cap=station.options.max_backoff)
    driver = asyncio.create_task(station.drive())
    connected_before = False
    try:
        while not stop.is_set():
            try:
                ws = await open_socket(station)
            except (OSError, TimeoutError, WebSocketException) as exc:
                station.report.connect_failures += 1
                logger.info("%s: cannot connect (%s)", station.station_id, exc)
                await clock.wait_for(stop, backoff.next_delay())
                continue
            if connected_before:
                station.report.reconnects += 1
            connected_before = True
            backoff.reset()
            try:
                outcome = await _serve(station, ws, stop)
            except Exception:
                logger.exception("%s: connection failed unexpectedly", station.station_id)
                outcome = LinkOutcome.CLOSED
            if outcome is LinkOutcome.RESET:
                station.reboot_done()
                await clock.wait_for(stop, REBOOT_S)
            elif outcome is LinkOutcome.CLOSED:
                logger.info("%s: connection closed", station.station_id)
                await clock.wait_for(stop, backoff.next_delay())
    finally:
        driver.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await driver
        await station.shutdown()


async def _serve(
    station: SimulatedStation, ws: ClientConnection, stop: asyncio.Event
) -> LinkOutcome:
    connection = RpcConnection(
        WebsocketsTransport(ws),
        version=OcppVersion.V16,
        side=Side.CHARGE_POINT,
        handlers=station.handlers,
        call_timeout=station.options.call_timeout,
    )
    reader = asyncio.create_task(connection.run())
    try:
        return await station.operate(connection, reader, stop)
    finally:
        await ws.close()
        reader.cancel()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await reader
