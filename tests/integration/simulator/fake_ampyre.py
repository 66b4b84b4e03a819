"""Stand-in for the `ampyre` CLI, to test bench/run.py's orchestration on its own.

    fake_ampyre.py db upgrade | stations import FILE.csv | serve --host H --port P

Uses AMPYRE_DATABASE_URL like the real one; `serve` is a tiny OCPP 1.6 CSMS (the real
RpcConnection) that stores transactions, meter values and statuses in PostgreSQL, answers
GET /health and exits cleanly on SIGTERM.
"""

from __future__ import annotations

import asyncio
import base64
import csv
import itertools
import os
import signal
import sys
from http import HTTPStatus
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from ampyre.ocpp.rpc import Handler, OcppVersion, RpcConnection, Side, WebsocketsTransport

NOW = "2026-01-01T00:00:00Z"
SCHEMA = """
CREATE TABLE stations (id text PRIMARY KEY, password text NOT NULL);
CREATE TABLE transactions (id serial PRIMARY KEY, station_id text NOT NULL);
CREATE TABLE meter_values (
    id bigserial PRIMARY KEY, transaction_id int, station_id text NOT NULL, context text NOT NULL
);
CREATE TABLE connector_status_history (id bigserial PRIMARY KEY, station_id text NOT NULL);
"""


def dsn() -> str:
    return os.environ["AMPYRE_DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")


async def upgrade() -> None:
    connection = await asyncpg.connect(dsn())
    try:
        await connection.execute(SCHEMA)
    finally:
        await connection.close()


def read_stations(path: str) -> list[tuple[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return [(row["id"], row["password"]) for row in csv.DictReader(handle)]


async def import_stations(rows: list[tuple[str, str]]) -> None:
    connection = await asyncpg.connect(dsn())
    try:
        await connection.executemany("INSERT INTO stations VALUES ($1, $2)", rows)
    finally:
        await connection.close()


class FakeServer:
    def __init__(self, pool: Any, passwords: dict[str, str]) -> None:
        self.pool = pool
        self.passwords = passwords
        self.message_ids = itertools.count()

    def check(self, connection: ServerConnection, request: Request) -> Response | None:
        if request.path == "/health":
            return connection.respond(HTTPStatus.OK, "ok\n")
        station_id = request.path.rsplit("/", 1)[-1]
        token = f"{station_id}:{self.passwords.get(station_id)}".encode()
        if request.headers.get("Authorization") != "Basic " + base64.b64encode(token).decode():
            return connection.respond(HTTPStatus.UNAUTHORIZED, "Unauthorized\n")
        return None

    async def station(self, websocket: ServerConnection) -> None:
        assert websocket.request is not None
        station_id = websocket.request.path.rsplit("/", 1)[-1]
        connection = RpcConnection(
            WebsocketsTransport(websocket),
            version=OcppVersion.V16,
            side=Side.CSMS,
            handlers=self.handlers(station_id),
        )
        await connection.run()

    def handlers(self, station_id: str) -> dict[str, Handler]:
        pool = self.pool

        async def boot(payload: dict[str, Any]) -> dict[str, Any]:
            return {"status": "Accepted", "currentTime": NOW, "interval": 300}

        async def heartbeat(payload: dict[str, Any]) -> dict[str, Any]:
            return {"currentTime": NOW}

        async def status(payload: dict[str, Any]) -> dict[str, Any]:
            sql = "INSERT INTO connector_status_history (station_id) VALUES ($1)"
            await pool.execute(sql, station_id)
            return {}

        async def start(payload: dict[str, Any]) -> dict[str, Any]:
            sql = "INSERT INTO transactions (station_id) VALUES ($1) RETURNING id"
            transaction_id = await pool.fetchval(sql, station_id)
            return {"transactionId": transaction_id, "idTagInfo": {"status": "Accepted"}}

        async def meter_values(payload: dict[str, Any]) -> dict[str, Any]:
            rows = [
                (payload.get("transactionId"), station_id, sample.get("context", "Sample.Periodic"))
                for value in payload["meterValue"]
                for sample in value["sampledValue"]
            ]
            sql = "INSERT INTO meter_values (transaction_id, station_id, context) VALUES ($1,$2,$3)"
            await pool.executemany(sql, rows)
            return {}

        return {
            "BootNotification": boot,
            "Heartbeat": heartbeat,
            "StatusNotification": status,
            "StartTransaction": start,
            "MeterValues": meter_values,
        }


async def run_server(port: int) -> None:
    pool = await asyncpg.create_pool(dsn(), min_size=1, max_size=4)
    passwords = dict(await pool.fetch("SELECT id, password FROM stations"))
    fake = FakeServer(pool, passwords)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with serve(
        fake.station,
        "127.0.0.1",
        port,
        subprotocols=[Subprotocol("ocpp1.6")],
        compression=None,
        process_request=fake.check,
    ) as server:
        await stop.wait()
        server.close()
        await server.wait_closed()
    await pool.close()


def main(argv: list[str]) -> None:
    if argv[:2] == ["db", "upgrade"]:
        asyncio.run(upgrade())
    elif argv[:2] == ["stations", "import"]:
        asyncio.run(import_stations(read_stations(argv[2])))
    elif argv[:1] == ["serve"]:
        asyncio.run(run_server(int(argv[argv.index("--port") + 1])))
    else:
        sys.exit(f"fake ampyre: unknown command {argv}")


if __name__ == "__main__":
    main(sys.argv[1:])
