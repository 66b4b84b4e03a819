"""A minimal OCPP 1.6J CSMS on the `ocpp` package and `websockets`, for comparison runs.

    python bench/minimal_csms.py --port 8190

It answers what bench/loadgen.py sends (BootNotification Accepted, Heartbeat,
StatusNotification, StartTransaction with a counter as transactionId, MeterValues) and keeps
nothing: no database, no message log, no password check. Schema validation is the `ocpp`
package's default. `GET /health` answers 200 so bench/run.py can wait for it.

PERFORMANCE.md "How to measure": absolute times on a shared machine are noisy, so Ampyre's
server CPU per message is also reported as a ratio to this server's, measured in the same
session with the same load (`bench/run.py --target minimal`).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import logging
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

import uvloop
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action, AuthorizationStatus, RegistrationStatus
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

HEARTBEAT_INTERVAL_S = 300
_transaction_ids = itertools.count(1)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class MinimalChargePoint(ChargePoint):  # type: ignore[misc]
    """The CSMS side of one station: fixed answers, nothing stored."""

    @on(Action.boot_notification)  # type: ignore[untyped-decorator]
    def on_boot(self, **_: Any) -> Any:
        return call_result.BootNotification(
            current_time=_now(), interval=HEARTBEAT_INTERVAL_S, status=RegistrationStatus.accepted
        )

    @on(Action.heartbeat)  # type: ignore[untyped-decorator]
    def on_heartbeat(self, **_: Any) -> Any:
        return call_result.Heartbeat(current_time=_now())

    @on(Action.status_notification)  # type: ignore[untyped-decorator]
    def on_status(self, **_: Any) -> Any:
        return call_result.StatusNotification()

    @on(Action.start_transaction)  # type: ignore[untyped-decorator]
    def on_start(self, **_: Any) -> Any:
        return call_result.StartTransaction(
            transaction_id=next(_transaction_ids),
            id_tag_info={"status": AuthorizationStatus.accepted},
        )

    @on(Action.meter_values)  # type: ignore[untyped-decorator]
    def on_meter_values(self, **_: Any) -> Any:
        return call_result.MeterValues()


async def serve_station(connection: ServerConnection) -> None:
    path = connection.request.path if connection.request else ""
    with contextlib.suppress(ConnectionClosed):
        await MinimalChargePoint(path.rstrip("/").rsplit("/", 1)[-1], connection).start()


def health(connection: ServerConnection, request: Request) -> Response | None:
    if request.path == "/health":
        return connection.respond(HTTPStatus.OK, "ok\n")
    return None


async def main(host: str, port: int) -> None:
    async with serve(
        serve_station,
        host,
        port,
        subprotocols=[Subprotocol("ocpp1.6")],
        compression=None,
        process_request=health,
        ping_interval=None,
        backlog=4096,
    ) as server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8190)
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    uvloop.run(main(arguments.host, arguments.port))
