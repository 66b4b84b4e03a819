"""Ordered delivery of a station's CALLs over its current connection.

Everything a station sends goes through one queue and one sender task per connection, so
messages leave in the order the station produced them (StatusNotification Preparing before
Authorize, ...) and at most one CALL is outstanding (OCPP-J 1.6 §4.1.1).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from ampyre.ocpp.rpc import (
    CallErrorReceived,
    CallTimeout,
    ConnectionLost,
    OcppError,
    RpcCallFailed,
)
from ampyre.simulator.report import SimulationReport

logger = logging.getLogger("ampyre.simulator")


class CallPort(Protocol):
    """One live OCPP-J connection as seen by the caller (RpcConnection fits)."""

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]: ...


class Delivery(Enum):
    ANSWERED = "answered"
    REJECTED = "rejected"
    TIMEOUT = "timeout"
    LOST = "lost"
    OFFLINE = "offline"


Outcome = tuple[Delivery, dict[str, Any] | None]


@dataclass
class _Item:
    action: str
    payload: dict[str, Any]
    answer: asyncio.Future[Outcome] | None


class Outbox:
    """FIFO of CALLs for the connection currently attached (none while offline)."""

    def __init__(self, station_id: str, report: SimulationReport) -> None:
        self.station_id = station_id
        self.report = report
        self._queue: asyncio.Queue[_Item] = asyncio.Queue()
        self._sender: asyncio.Task[None] | None = None

    @property
    def attached(self) -> bool:
        return self._sender is not None

    def attach(self, link: CallPort) -> None:
        """Start sending on `link`."""
        self._sender = asyncio.create_task(self._send_all(link))

    async def detach(self) -> None:
        """Stop sending; queued calls fail with OFFLINE, best-effort messages are dropped."""
        sender, self._sender = self._sender, None
        if sender is not None:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
        while not self._queue.empty():
            item = self._queue.get_nowait()
            self._queue.task_done()
            if item.answer is not None and not item.answer.done():
                item.answer.set_result((Delivery.OFFLINE, None))

    async def drain(self, grace_s: float) -> None:
        """Wait (at most `grace_s` real seconds) until everything queued has been answered."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), grace_s)

    async def exchange(self, action: str, payload: dict[str, Any]) -> Outcome:
        """Send a CALL after everything queued before it and wait for its outcome."""
        if self._sender is None:
            return Delivery.OFFLINE, None
        answer: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Item(action, payload, answer))
        return await answer

    def post(self, action: str, payload: dict[str, Any]) -> None:
        """Queue a CALL whose answer nobody waits for; dropped when offline."""
        if self._sender is not None:
            self._queue.put_nowait(_Item(action, payload, None))

    async def _send_all(self, link: CallPort) -> None:
        while True:
            item = await self._queue.get()
            outcome: Outcome = (Delivery.LOST, None)
            try:
                if item.answer is None or not item.answer.done():
                    outcome = await self._send(link, item.action, item.payload)
            finally:
                self._queue.task_done()
                if item.answer is not None and not item.answer.done():
                    item.answer.set_result(outcome)

    async def _send(self, link: CallPort, action: str, payload: dict[str, Any]) -> Outcome:
        self.report.messages_sent[action] += 1
        try:
            return Delivery.ANSWERED, await link.call(action, payload)
        except CallErrorReceived as exc:
            self.report.call_errors += 1
            logger.warning("%s: %s answered with CALLERROR: %s", self.station_id, action, exc)
            return Delivery.REJECTED, None
        except CallTimeout:
            self.report.call_timeouts += 1
            logger.warning("%s: %s got no answer in time", self.station_id, action)
            return Delivery.TIMEOUT, None
        except ConnectionLost:
            self.report.connection_losses += 1
            return Delivery.LOST, None
        except (RpcCallFailed, OcppError) as exc:
            self.report.call_errors += 1
            logger.warning("%s: %s failed: %s", self.station_id, action, exc)
            return Delivery.REJECTED, None
