"""Runs the health jobs on a fixed period inside the serving process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from ampyre.services.health import HealthService

log = logging.getLogger(__name__)


class PeriodicJobs:
    """Starts one task per job; a failing run is logged and retried next period."""

    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[None]] = []

    def every(self, seconds: float, name: str, job: Callable[[], Awaitable[object]]) -> None:
        self._tasks.append(asyncio.create_task(self._loop(seconds, name, job), name=name))

    async def _loop(self, seconds: float, name: str, job: Callable[[], Awaitable[object]]) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await job()
            except Exception:
                log.exception("periodic job %s failed", name)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()


def schedule_health_jobs(
    jobs: PeriodicJobs,
    health: HealthService,
    close_silent_sockets: Callable[[], Awaitable[object]],
    *,
    period_s: float,
) -> None:
    jobs.every(period_s, "offline-detection", health.do_mark_silent_stations_offline)
    jobs.every(period_s, "ghost-sockets", close_silent_sockets)
    jobs.every(period_s, "stuck-transactions", health.do_close_stuck_transactions)
    jobs.every(3600, "message-log-retention", health.do_prune_message_log)
