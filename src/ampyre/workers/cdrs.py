"""Background rating of completed transactions into CDRs."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from ampyre.services.rating import RatingService

log = logging.getLogger(__name__)


class CdrWorker:
    """Rates completed transactions in the background: woken when one completes, and
    sweeping every ``period_s`` for any that were missed (e.g. across a restart)."""

    def __init__(self, rating: RatingService, *, period_s: float = 30.0, batch: int = 500):
        self._rating = rating
        self._period_s = period_s
        self._batch = batch
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def notify(self, transaction_id: int) -> None:
        """A transaction completed: rate it soon."""
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="cdr-worker")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._period_s)
            self._wake.clear()
            try:
                # A full batch means more may be waiting: go on until a batch comes back short.
                written = self._batch
                while written >= self._batch:
                    written = await self._rating.do_rate_pending(self._batch)
            except Exception:
                log.exception("rating completed transactions failed; retrying later")
