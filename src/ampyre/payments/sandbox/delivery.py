"""Webhook delivery: every event is POSTed, signed, to the configured URL in the background.

A delivery that fails (connection error, timeout, an answer other than 2xx) is retried with
exponential backoff (:class:`DeliveryPolicy`) and, if the process stops first, again at the
next start (undelivered events stay in the sandbox's storage). Without chaos, events leave
one at a time in the order they were created (a retried one may then arrive late).

:class:`WebhookChaos` makes delivery as unreliable as a real provider's, deterministically
for a given seed: a share of events is delivered twice, and each delivery waits a random
delay first, so events arrive out of order. A receiver must therefore deduplicate on the
event id and only move states forward.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from ampyre.payments.sandbox.webhooks import SIGNATURE_HEADER, sign

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
RecordAttempt = Callable[[str, str | None], Awaitable[None]]
"""Called after every attempt with the event id and the error (None: delivered)."""


@dataclass(frozen=True, slots=True)
class WebhookChaos:
    """``duplicate_rate``: share (0..1) of events delivered twice; ``max_delay_s``: each
    delivery first waits a random time up to this; ``seed``: repeatable choices."""

    duplicate_rate: float = 0.0
    max_delay_s: float = 0.0
    seed: int | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.duplicate_rate <= 1.0:
            raise ValueError("duplicate_rate is a share between 0 and 1")
        if self.max_delay_s < 0:
            raise ValueError("max_delay_s cannot be negative")


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """Per attempt ``timeout_s``; at most ``max_attempts``; the n-th retry waits
    ``retry_base_s * 2**(n-1)`` seconds, at most ``retry_max_s``."""

    timeout_s: float = 10.0
    max_attempts: int = 8
    retry_base_s: float = 1.0
    retry_max_s: float = 300.0

    def backoff(self, attempts_done: int) -> float:
        return float(min(self.retry_max_s, self.retry_base_s * 2 ** (attempts_done - 1)))


class WebhookSender:
    """Delivers events to ``url`` signed with ``secret`` (see :mod:`.webhooks`)."""

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        clock: Clock,
        record: RecordAttempt,
        chaos: WebhookChaos = WebhookChaos(),
        policy: DeliveryPolicy = DeliveryPolicy(),
    ) -> None:
        self._url = url
        self._secret = secret
        self._clock = clock
        self._record = record
        self._chaos = chaos
        self._policy = policy
        self._rng = random.Random(chaos.seed)  # noqa: S311 - chaos, not security
        self._queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
        self._tasks: set[asyncio.Task[None]] = set()
        self._worker: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None
        self._outstanding = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def start(self, pending: Iterable[tuple[str, bytes]] = ()) -> None:
        """Start delivering, beginning with ``pending`` (events not delivered before)."""
        self._client = httpx.AsyncClient(timeout=self._policy.timeout_s)
        self._worker = asyncio.create_task(self._run(), name="sandbox-psp-webhooks")
        for event_id, body in pending:
            self.enqueue(event_id, body)

    def enqueue(self, event_id: str, body: bytes) -> None:
        self._outstanding += 1
        self._idle.clear()
        self._queue.put_nowait((event_id, body))

    async def idle(self) -> None:
        """Wait until every event enqueued so far was delivered or given up on."""
        await self._idle.wait()

    async def stop(self) -> None:
        """Stop at once; what was not delivered is delivered at the next start."""
        tasks = [*self._tasks, *([self._worker] if self._worker else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._worker = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _plan(self) -> list[float]:
        """The delay before each delivery of one event (two entries: delivered twice)."""
        count = 2 if self._rng.random() < self._chaos.duplicate_rate else 1
        return [self._rng.uniform(0, self._chaos.max_delay_s) for _ in range(count)]

    async def _run(self) -> None:
        while True:
            event_id, body = await self._queue.get()
            delays = self._plan()
            self._outstanding += len(delays) - 1
            for delay in delays:
                if delay > 0:
                    self._spawn(self._deliver(event_id, body, delay=delay, attempts_done=0))
                    continue
                try:
                    delivered = await self._attempt(event_id, body)
                except Exception:
                    log.exception("sandbox PSP could not deliver %s", event_id)
                    delivered = False
                if delivered:
                    self._done()
                else:
                    retry = self._policy.backoff(1)
                    self._spawn(self._deliver(event_id, body, delay=retry, attempts_done=1))

    async def _deliver(
        self, event_id: str, body: bytes, *, delay: float, attempts_done: int
    ) -> None:
        try:
            await asyncio.sleep(delay)
            while attempts_done < self._policy.max_attempts:
                attempts_done += 1
                if await self._attempt(event_id, body):
                    return
                if attempts_done < self._policy.max_attempts:
                    await asyncio.sleep(self._policy.backoff(attempts_done))
            log.warning(
                "sandbox PSP gave up delivering %s after %d attempts", event_id, attempts_done
            )
        finally:
            self._done()

    async def _attempt(self, event_id: str, body: bytes) -> bool:
        if self._client is None:
            raise RuntimeError("WebhookSender.start() first")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Ampyre-Sandbox-PSP/1 (test mode)",
            SIGNATURE_HEADER: sign(body, self._secret, self._clock()),
        }
        error: str | None = None
        try:
            response = await self._client.post(self._url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        else:
            if not response.is_success:
                error = f"HTTP {response.status_code}"
        try:
            await self._record(event_id, error)
        except Exception:
            log.exception("sandbox PSP could not record a delivery attempt of %s", event_id)
        return error is None

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _done(self) -> None:
        self._outstanding -= 1
        if self._outstanding == 0:
            self._idle.set()
