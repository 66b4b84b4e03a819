"""Group commit of high-volume station data (``TelemetryWriter``).

Flusher tasks, each writing one database transaction at a time on a connection it keeps
while it has work (on PostgreSQL a batch is a single statement, :mod:`ampyre.db.telemetry_pg`):

- ``durable_flushers`` **durable** flushers take statuses and meter values. A caller's
  ``await`` returns only after the transaction holding its item committed, so the OCPP answer
  is sent once the data is durable. If the commit fails, every caller of that batch gets
  :class:`TelemetryWriteFailed` and nothing of the batch is written (its items are not
  retried: the stations repeat their messages when they get an error). Two batches in flight
  may commit in either order; the writes are order-independent (a connector's status and a
  transaction's live meter only move forward);
- one **background** flusher takes message-log frames and last-seen times, which callers
  hand over without waiting, and connection events, whose callers wait for the commit. A
  failed write is put back and retried with growing pauses, so nothing is lost while the
  database recovers. Being one task, it writes connection events in the order they came.

A batch closes ``max_delay`` seconds after its first item arrived, or at once when it holds
``max_batch`` rows; items arriving while batches are being written form the next ones, so
under load batches grow by themselves. When ``max_pending`` rows wait, further awaiting
callers queue for room, first come first served (back-pressure), instead of anything being
dropped; fire-and-forget items are always accepted and count towards that bound.

Items are checked on arrival (:mod:`ampyre.db.telemetry_checks`): one that no database
could store raises ``UnstorableItem`` to its own caller and never joins a batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ampyre.db.telemetry_checks import (
    UnstorableItem,
    check_connection_event,
    check_meter_batch,
    check_status,
    check_time,
    storable_frame,
)
from ampyre.db.telemetry_rows import BackgroundBatch, DurableBatch, PresenceChange
from ampyre.domain.stations import StatusReport
from ampyre.services.records import ConnectionEvent, LoggedFrame, MeterBatch

log = logging.getLogger(__name__)

__all__ = ["BatchedTelemetryWriter", "TelemetryWriteFailed", "UnstorableItem"]


class TelemetryWriteFailed(RuntimeError):
    """The batch holding the caller's item was not committed; ``__cause__`` says why."""


@dataclass(slots=True)
class _Waiting:
    future: asyncio.Future[None]
    item: StatusReport | MeterBatch
    rows: int
    enqueued_at: float


class BatchedTelemetryWriter:
    """``TelemetryWriter`` with group commit; ``await start()`` before use, ``await stop()``
    to write everything still queued.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        max_delay: float = 0.005,
        max_batch: int = 2000,
        max_pending: int = 50_000,
        retry_delay: float = 0.2,
        max_retry_delay: float = 5.0,
        stop_attempts: int = 5,
        durable_flushers: int = 2,
        idle_release_s: float = 1.0,
        last_seen_resolution_s: float = 0.0,
    ) -> None:
        """``max_delay`` in seconds; ``max_batch``/``max_pending`` in rows (a status is one
        row, a meter batch one row per sampled value, a frame or last-seen time one row).
        ``stop_attempts`` bounds the retries of background rows while stopping.
        ``durable_flushers`` durable batches may be in flight at once (each on its own
        connection), overlapping one batch's round trips with the next one's preparation.
        A flusher keeps its connection until it has had no work for ``idle_release_s``
        seconds. ``last_seen_resolution_s``: a station's last-seen time is only written
        again once it moved on by that much (0: every newer time is written), which spares
        the database an UPDATE per station and batch under heavy traffic.
        """
        if max_batch < 1 or max_pending < max_batch or durable_flushers < 1:
            raise ValueError("need 1 <= max_batch <= max_pending and durable_flushers >= 1")
        self._durable_flushers = durable_flushers
        self._engine = engine
        self._max_delay = max_delay
        self._max_batch = max_batch
        self._max_pending = max_pending
        self._retry_delay = retry_delay
        self._max_retry_delay = max_retry_delay
        self._stop_attempts = stop_attempts
        self._idle_release_s = idle_release_s
        self._last_seen_resolution = timedelta(seconds=last_seen_resolution_s)
        self._last_seen_queued: dict[str, datetime] = {}
        """Per station, the newest last-seen time handed to a batch (with a resolution)."""
        self._durable: deque[_Waiting] = deque()
        self._durable_rows = 0
        self._background = BackgroundBatch()
        self._background_since = 0.0
        self._durable_wake = asyncio.Event()
        self._durable_full = asyncio.Event()
        self._background_wake = asyncio.Event()
        self._background_full = asyncio.Event()
        self._room_waiters: deque[tuple[asyncio.Future[None], int]] = deque()
        self._granted_rows = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    @property
    def pending_rows(self) -> int:
        """Rows accepted and not yet taken into a batch."""
        return self._durable_rows + len(self._background)

    async def start(self) -> None:
        if self._loop is not None:
            raise RuntimeError("the telemetry writer was already started")
        self._loop = asyncio.get_running_loop()
        self._tasks = [
            asyncio.create_task(self._durable_flusher(), name=f"telemetry-durable-{number}")
            for number in range(self._durable_flushers)
        ]
        self._tasks.append(
            asyncio.create_task(self._background_flusher(), name="telemetry-background")
        )

    async def stop(self) -> None:
        """Refuse new items, write everything queued, and wait for the flushers to finish."""
        if self._loop is None:
            return
        if self._stopping:
            await asyncio.gather(*self._tasks)
            return
        self._stopping = True
        for event in (
            self._durable_wake,
            self._durable_full,
            self._background_wake,
            self._background_full,
        ):
            event.set()
        while self._room_waiters:
            waiter, _ = self._room_waiters.popleft()
            if not waiter.done():
                waiter.set_exception(RuntimeError("the telemetry writer is stopping"))
        await asyncio.gather(*self._tasks)

    async def record_status(self, report: StatusReport) -> None:
        """Store a StatusNotification: history row, and the connector's current status
        (connector rows are created with defaults when a station reports a new connector;
        connector 0, the station, goes to the history only).

        Raises ``UnstorableItem`` at once for an item no database can hold, and
        ``TelemetryWriteFailed`` when its batch could not be committed.
        """
        check_status(report)
        await self._submit(report, rows=1)

    async def record_meter_values(self, batch: MeterBatch) -> None:
        """Store one row per sampled value; with ``register_wh`` and a transaction, advance
        the transaction's live meter (see :func:`ampyre.db.meter_rows.reading_is_newer`;
        ``register_at`` defaults to ``received_at``).
        """
        check_meter_batch(batch)
        rows = sum(len(sample.values) for sample in batch.samples)
        await self._submit(batch, rows=max(rows, 1))

    def record_frame(self, frame: LoggedFrame) -> None:
        """Queue a message-log row; raises ``UnstorableItem`` for a malformed frame."""
        loop = self._accepting()
        stored = storable_frame(frame)
        if not self._background:
            self._background_since = loop.time()
        self._background.frames.append(stored)
        self._background_wake.set()
        if len(self._background.frames) >= self._max_batch:
            self._background_full.set()

    def touch(self, station_id: str, at: datetime) -> None:
        """Note that the station was seen at ``at``; only the newest time per station is
        written (and with ``last_seen_resolution_s``, only once it moved on by that much),
        and ``stations.last_seen_at`` never moves back.
        """
        loop = self._accepting()
        check_time(at, "last-seen time")
        if self._last_seen_resolution:
            queued = self._last_seen_queued.get(station_id)
            if queued is not None and at - queued < self._last_seen_resolution:
                return
            self._last_seen_queued[station_id] = at
        if not self._background:
            self._background_since = loop.time()
        self._background.touch(station_id, at)
        self._background_wake.set()

    async def record_connection(
        self, event: ConnectionEvent, *, ocpp_version: str | None = None
    ) -> None:
        """Store a station connecting or disconnecting: the history row and the station's
        presence flag; "connected" also sets ``ocpp_version`` (unless None) and counts as
        being seen at ``event.at``. A "connected" event of a station that no longer exists
        changes nothing.

        Events go with the message log (one writer, so they are written in the order they
        were recorded, and the presence flag ends as the last one says); returns once the
        event is committed. While the database is failing the event waits and is retried
        like the message log.
        """
        loop = self._accepting()
        check_connection_event(event, ocpp_version)
        if event.event == "disconnected":
            self._last_seen_queued.pop(event.station_id, None)
        written: asyncio.Future[None] = loop.create_future()
        if not self._background:
            self._background_since = loop.time()
        self._background.presence.append(PresenceChange(event, ocpp_version, written))
        self._background_wake.set()
        await written

    def _accepting(self) -> asyncio.AbstractEventLoop:
        if self._loop is None or self._stopping:
            raise RuntimeError("the telemetry writer is not running")
        return self._loop

    async def _submit(self, item: StatusReport | MeterBatch, *, rows: int) -> None:
        loop = self._accepting()
        if self._room_waiters or self.pending_rows + self._granted_rows >= self._max_pending:
            await self._wait_for_room(loop, rows)
            loop = self._accepting()
        future: asyncio.Future[None] = loop.create_future()
        self._durable.append(_Waiting(future, item, rows, loop.time()))
        self._durable_rows += rows
        self._durable_wake.set()
        if self._durable_rows >= self._max_batch:
            self._durable_full.set()
        await future

    async def _durable_flusher(self) -> None:
        loop = asyncio.get_running_loop()
        connection = _HeldConnection(self._engine)
        try:
            while self._durable or not self._stopping:
                if not self._durable:
                    await self._wait_for_work(self._durable_wake, connection)
                    continue
                closes_at = self._durable[0].enqueued_at + self._max_delay
                await self._gather_more(
                    self._durable_full, closes_at - loop.time(), self._durable_rows
                )
                if not self._durable:
                    continue  # another flusher took the batch meanwhile
                taken = self._take_durable()
                self._make_room()
                await self._flush_durable(taken, connection)
        finally:
            self._fail_queued(RuntimeError("the telemetry writer stopped unexpectedly"))
            await connection.release()

    def _take_durable(self) -> list[_Waiting]:
        taken: list[_Waiting] = []
        rows = 0
        while self._durable and (not taken or rows + self._durable[0].rows <= self._max_batch):
            waiting = self._durable.popleft()
            taken.append(waiting)
            rows += waiting.rows
        self._durable_rows -= rows
        return taken

    async def _flush_durable(self, taken: list[_Waiting], connection: _HeldConnection) -> None:
        batch = DurableBatch()
        try:
            for waiting in taken:
                if isinstance(waiting.item, StatusReport):
                    batch.add_status(waiting.item)
                else:
                    batch.add_meter_values(waiting.item)
            await connection.write(batch.write)
        except BaseException as exc:
            log.exception("telemetry batch of %d items failed; nothing written", len(taken))
            for waiting in taken:
                if not waiting.future.done():
                    failure = TelemetryWriteFailed(f"telemetry batch not written: {exc!r}")
                    failure.__cause__ = exc
                    waiting.future.set_exception(failure)
            if not isinstance(exc, Exception):
                raise
        else:
            for waiting in taken:
                if not waiting.future.done():
                    waiting.future.set_result(None)
        finally:
            self._make_room()

    async def _background_flusher(self) -> None:
        connection = _HeldConnection(self._engine)
        try:
            await self._flush_background_until_stopped(connection)
        finally:
            self._background.settle(RuntimeError("the telemetry writer stopped unexpectedly"))
            await connection.release()

    async def _flush_background_until_stopped(self, connection: _HeldConnection) -> None:
        loop = asyncio.get_running_loop()
        failures = 0
        while self._background or not self._stopping:
            if not self._background:
                await self._wait_for_work(self._background_wake, connection)
                continue
            closes_at = self._background_since + self._max_delay
            await self._gather_more(
                self._background_full, closes_at - loop.time(), len(self._background.frames)
            )
            batch = self._take_background()
            self._make_room()
            try:
                await connection.write(batch.write)
            except Exception as exc:
                failures += 1
                log.exception("message log / last-seen write failed (attempt %d)", failures)
                self._background.merge(batch)
                if self._stopping and failures >= self._stop_attempts:
                    lost = len(self._background)
                    log.error("telemetry writer stopped with %d log rows unwritten", lost)
                    failure = TelemetryWriteFailed(f"connection event not written: {exc!r}")
                    failure.__cause__ = exc
                    self._background.settle(failure)
                    self._background = BackgroundBatch()
                    return
                pause = self._retry_delay * 2 ** (failures - 1)
                await asyncio.sleep(min(pause, self._max_retry_delay))
            else:
                failures = 0
                batch.settle()
            finally:
                self._make_room()

    def _take_background(self) -> BackgroundBatch:
        current = self._background
        if len(current.frames) <= self._max_batch:
            self._background = BackgroundBatch()
            return current
        taken = BackgroundBatch(frames=current.frames[: self._max_batch])
        taken.last_seen, current.last_seen = current.last_seen, {}
        taken.presence, current.presence = current.presence, []
        del current.frames[: self._max_batch]
        if self._loop is not None:
            self._background_since = self._loop.time()
        return taken

    async def _wait_for_work(self, wake: asyncio.Event, connection: _HeldConnection) -> None:
        """Sleep until ``wake`` is set. A held connection is kept while work keeps coming
        (a checkout costs a ping round trip) and goes back to the pool after
        ``idle_release_s`` without any."""
        wake.clear()
        if not connection.held:
            await wake.wait()
            return
        try:
            async with asyncio.timeout(self._idle_release_s):
                await wake.wait()
        except TimeoutError:
            await connection.release()

    async def _gather_more(self, full: asyncio.Event, delay: float, rows: int) -> None:
        """Let a batch fill for up to ``delay`` seconds unless it is full or we are stopping."""
        if delay <= 0 or rows >= self._max_batch or self._stopping:
            return
        full.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await full.wait()

    async def _wait_for_room(self, loop: asyncio.AbstractEventLoop, rows: int) -> None:
        """Queue behind earlier waiters (first come, first served) until rows are free.

        On return ``rows`` are reserved for the caller (``_granted_rows``) and the caller
        must enqueue at once, which turns the reservation into pending rows.
        """
        waiter: asyncio.Future[None] = loop.create_future()
        self._room_waiters.append((waiter, rows))
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._granted_rows -= rows
                self._make_room()
            raise
        self._granted_rows -= rows

    def _make_room(self) -> None:
        """Let waiting callers in, oldest first, while their rows fit under the bound."""
        while self._room_waiters:
            waiter, rows = self._room_waiters[0]
            if waiter.done():
                self._room_waiters.popleft()
                continue
            in_use = self.pending_rows + self._granted_rows
            if in_use and in_use + rows > self._max_pending:
                return
            self._room_waiters.popleft()
            self._granted_rows += rows
            waiter.set_result(None)

    def _fail_queued(self, error: BaseException) -> None:
        while self._durable:
            waiting = self._durable.popleft()
            if not waiting.future.done():
                waiting.future.set_exception(error)
        self._durable_rows = 0


class _HeldConnection:
    """The connection a flusher keeps while it has work, so back-to-back batches skip the
    pool's checkout ping and reset; it goes back to the pool when the queue runs empty and
    is dropped after any failure (the next batch takes a fresh, pinged one).
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._conn: AsyncConnection | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None

    async def write(self, work: Callable[[AsyncConnection], Awaitable[None]]) -> None:
        """Run ``work`` in one transaction and commit it."""
        if self._conn is None:
            self._conn = await self._engine.connect()
        try:
            async with self._conn.begin():
                await work(self._conn)
        except BaseException:
            await self.release()
            raise

    async def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.close()
            except Exception:
                log.warning("closing a telemetry connection failed", exc_info=True)
