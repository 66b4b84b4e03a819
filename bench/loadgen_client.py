"""One load-generating OCPP 1.6 connection: raw OCPP-J frames, one reader task, no RPC layer.

Kept lean on purpose (orjson bytes in and out, one pending CALL tracked by three slots) so a
single process can drive thousands of connections. At most one CALL is outstanding per
connection (OCPP-J 1.6 §4.1.1): the scheduler only picks stations whose `pending_id` is None.
"""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any
from urllib.parse import quote

import orjson
from loadgen_stats import LoadStats, answer_has_right_shape
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

CALL, CALLRESULT, CALLERROR = 2, 3, 4
SUBPROTOCOL = Subprotocol("ocpp1.6")


async def open_connection(
    url: str, station_id: str, password: str | None, open_timeout_s: float
) -> ClientConnection:
    """Authenticated OCPP 1.6 WebSocket (Basic auth, no compression, no client pings)."""
    headers = {}
    if password is not None:
        token = base64.b64encode(f"{station_id}:{password}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {token}"
    ws = await connect(
        f"{url.rstrip('/')}/{quote(station_id, safe='')}",
        subprotocols=[SUBPROTOCOL],
        additional_headers=headers,
        compression=None,
        open_timeout=open_timeout_s,
        close_timeout=2,
        ping_interval=None,
        max_queue=2,
        proxy=None,
        user_agent_header="Ampyre-Loadgen",
    )
    if ws.subprotocol != SUBPROTOCOL:
        await ws.close()
        raise ConnectionRefusedError("server did not select subprotocol ocpp1.6")
    return ws


class LoadStation:
    """A connected station: sends CALLs, its reader task settles their answers in `stats`."""

    __slots__ = (
        "alive",
        "answer_within_s",
        "energy_wh",
        "next_id",
        "pending_action",
        "pending_id",
        "pending_sent_at",
        "reader",
        "station_id",
        "stats",
        "transaction_id",
        "waiter",
        "ws",
    )

    def __init__(
        self, station_id: str, ws: ClientConnection, stats: LoadStats, answer_within_s: float
    ) -> None:
        self.station_id = station_id
        self.answer_within_s = answer_within_s
        self.ws = ws
        self.stats = stats
        self.alive = True
        self.next_id = 0
        self.pending_id: str | None = None
        self.pending_action = ""
        self.pending_sent_at = 0.0
        self.waiter: asyncio.Future[Any] | None = None
        self.transaction_id: int | None = None
        self.energy_wh = 0
        self.reader = asyncio.create_task(self._read())

    async def send(self, action: str, payload: dict[str, Any]) -> str | None:
        """Send a CALL; returns its message id, or None when the connection is gone."""
        self.next_id += 1
        message_id = str(self.next_id)
        self.pending_id = message_id
        self.pending_action = action
        self.stats.sent(action)
        self.pending_sent_at = time.perf_counter()
        try:
            await self.ws.send(orjson.dumps([CALL, message_id, action, payload]), text=True)
        except ConnectionClosed:
            self._connection_gone()
            return None
        return message_id

    async def call(self, action: str, payload: dict[str, Any]) -> Any:
        """Send a CALL and wait for its answer: the payload if OK, else None (counted)."""
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.waiter = waiter
        message_id = await self.send(action, payload)
        if message_id is None:
            return None
        try:
            return await asyncio.wait_for(waiter, self.answer_within_s)
        except TimeoutError:
            self.expire(message_id)
            return None

    def expire(self, message_id: str) -> bool:
        """Count the CALL `message_id` as lost if it is still unanswered."""
        if self.pending_id != message_id:
            return False
        self.pending_id = None
        self.stats.lost += 1
        self._wake(None)
        return True

    async def _read(self) -> None:
        try:
            while True:
                data = await self.ws.recv(decode=False)
                received_at = time.perf_counter()
                try:
                    frame = orjson.loads(data)
                except orjson.JSONDecodeError:
                    self.stats.failed("unparsable frame")
                    continue
                if type(frame) is list and len(frame) >= 3 and frame[0] == CALL:
                    await self._refuse(frame)
                else:
                    self._settle(frame, received_at)
        except ConnectionClosed:
            pass
        finally:
            self._connection_gone()

    def _settle(self, frame: Any, received_at: float) -> None:
        """Account the answer to the pending CALL; one later than `answer_within_s` is lost."""
        if type(frame) is not list or len(frame) < 3 or frame[1] != self.pending_id:
            self.stats.late_answers += 1
            return
        action = self.pending_action
        self.pending_id = None
        result = None
        latency_s = received_at - self.pending_sent_at
        if latency_s > self.answer_within_s:
            self.stats.lost += 1
            self.stats.late_answers += 1
        elif frame[0] == CALLRESULT and answer_has_right_shape(action, frame[2]):
            result = frame[2]
            self.stats.answered(action, latency_s * 1000.0)
        elif frame[0] == CALLERROR:
            self.stats.failed(f"{action}: CALLERROR {frame[2]}")
        else:
            self.stats.failed(f"{action}: unexpected answer")
        self._wake(result)

    async def _refuse(self, frame: list[Any]) -> None:
        """The CSMS called us: this load generator implements no command."""
        self.stats.server_calls += 1
        error = [CALLERROR, frame[1], "NotSupported", "load generator", {}]
        try:
            await self.ws.send(orjson.dumps(error), text=True)
        except ConnectionClosed:
            self._connection_gone()

    def _wake(self, result: Any) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(result)

    def _connection_gone(self) -> None:
        if not self.alive:
            return
        self.alive = False
        if self.pending_id is not None:
            self.pending_id = None
            self.stats.failed("connection closed")
        self._wake(None)
