"""The sandbox PSP's core: its storage, its clock, its account keys and its webhooks.

:class:`SandboxPsp` runs every request as one transaction under one lock (the sandbox is a
single-process test service: serialising is simpler than being clever and makes two
concurrent captures of one payment impossible). Before each request, and every
``expiry_sweep_s`` in the background, what is due expires: authorisations not captured
within ``authorization_ttl`` (card-not-present ≈ 7 days) and checkouts the customer did not
complete within ``checkout_ttl``. Each state change stores an event in the same transaction;
once committed it goes to the :class:`~.delivery.WebhookSender`.

Time comes from an injectable clock (a callable returning an aware UTC datetime) so tests
can move it; webhooks are signed with the same clock, so the receiver should use it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from ampyre.payments.sandbox import tables as t
from ampyre.payments.sandbox.config import (
    ACCOUNT_ID,
    SandboxAccount,
    SandboxConfig,
    new_api_key,
    new_webhook_secret,
)
from ampyre.payments.sandbox.delivery import WebhookSender
from ampyre.payments.sandbox.errors import SandboxError
from ampyre.payments.sandbox.objects import JsonObject
from ampyre.payments.sandbox.transitions import expire_due
from ampyre.payments.sandbox.txn import Tx

log = logging.getLogger(__name__)

T = TypeVar("T")
Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class SandboxPsp:
    """The sandbox provider's state; :meth:`start` before use, :meth:`stop` at the end."""

    def __init__(self, config: SandboxConfig, *, clock: Clock | None = None) -> None:
        self.config = config
        self._clock = clock or system_clock
        self._engine = create_async_engine(config.database_url)
        self._lock = asyncio.Lock()
        self._account: SandboxAccount | None = None
        self._sender: WebhookSender | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self.answer_delay_s = 0.0
        """Chaos for tests: every API answer waits this long after its work is committed,
        like a provider that answers too late (the caller times out, the effect stays)."""

    def now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the sandbox clock must return timezone-aware datetimes")
        return now.astimezone(UTC)

    @property
    def account(self) -> SandboxAccount:
        if self._account is None:
            raise RuntimeError("the sandbox PSP is not started")
        return self._account

    @property
    def started(self) -> bool:
        return self._account is not None

    async def start(self) -> None:
        """Create the tables, load (or create) the account, start webhooks and expiry."""
        if self.started:
            return
        async with self._engine.begin() as conn:
            await conn.run_sync(t.metadata.create_all)
            self._account = await self._load_account(conn)
            pending = (
                await conn.execute(
                    sa.select(t.events.c.id, t.events.c.body)
                    .where(
                        t.events.c.delivered_at.is_(None),
                        t.events.c.attempts < self.config.delivery.max_attempts,
                    )
                    .order_by(t.events.c.seq)
                )
            ).all()
        if self.config.webhook_url:
            self._sender = WebhookSender(
                self.config.webhook_url,
                self._account.webhook_secret,
                clock=self.now,
                record=self._record_attempt,
                chaos=self.config.chaos,
                policy=self.config.delivery,
            )
            await self._sender.start((row.id, row.body.encode()) for row in pending)
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="sandbox-psp-expiry")

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        if self._sender is not None:
            await self._sender.stop()
            self._sender = None
        self._account = None
        await self._engine.dispose()

    async def webhooks_idle(self) -> None:
        """Wait until every event so far was delivered (or given up on); for tests."""
        if self._sender is not None:
            await self._sender.idle()

    async def run(
        self, operation: Callable[[Tx], Awaitable[T]], *, base_url: str | None = None
    ) -> T:
        """Run ``operation`` in one transaction after expiring what is due; its events are
        delivered once it commits. A :class:`SandboxError` rolls everything back."""
        async with self._lock:
            await self._expire_due()
            async with self._engine.begin() as conn:
                tx = Tx(conn, self.now(), self.config, self.config.public_url or base_url)
                result = await operation(tx)
            self._deliver(tx.events)
            return result

    async def run_idempotent(
        self,
        key: str,
        fingerprint: str,
        operation: Callable[[Tx], Awaitable[JsonObject]],
        *,
        base_url: str | None = None,
    ) -> tuple[str, bool]:
        """The JSON answer of ``operation`` and whether it is a replay: a key seen before
        with the same request ``fingerprint`` returns the stored answer without running it
        again; with a different request it is refused (409). Only successful answers are
        stored: a refused request changed nothing and may be retried with the same key."""

        async def once(tx: Tx) -> tuple[str, bool]:
            stored = (
                await tx.conn.execute(
                    sa.select(t.idempotency_keys).where(t.idempotency_keys.c.key == key)
                )
            ).first()
            if stored is not None:
                if stored.fingerprint != fingerprint:
                    raise SandboxError(
                        409,
                        "idempotency_key_reused",
                        f"Idempotency-Key {key!r} was used for a different request",
                    )
                return stored.body, True
            answer = json.dumps(await operation(tx))
            await tx.conn.execute(
                t.idempotency_keys.insert().values(
                    key=key, fingerprint=fingerprint, status_code=200, body=answer, created=tx.unix
                )
            )
            return answer, False

        return await self.run(once, base_url=base_url)

    async def expire_due(self) -> None:
        """Expire what is due now (also done before every request and periodically)."""
        async with self._lock:
            await self._expire_due()

    async def _expire_due(self) -> None:
        async with self._engine.begin() as conn:
            tx = Tx(conn, self.now(), self.config, self.config.public_url)
            await expire_due(tx)
        self._deliver(tx.events)

    def _deliver(self, events: list[tuple[str, bytes]]) -> None:
        if self._sender is not None:
            for event_id, body in events:
                self._sender.enqueue(event_id, body)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.config.expiry_sweep_s)
            try:
                await self.expire_due()
            except Exception:
                log.exception("sandbox PSP expiry sweep failed")

    async def _record_attempt(self, event_id: str, error: str | None) -> None:
        values: dict[str, object] = {"attempts": t.events.c.attempts + 1, "last_error": error}
        if error is None:
            values["delivered_at"] = int(self.now().timestamp())
        async with self._lock, self._engine.begin() as conn:
            await conn.execute(t.events.update().where(t.events.c.id == event_id).values(values))

    async def _load_account(self, conn: AsyncConnection) -> SandboxAccount:
        row = (await conn.execute(sa.select(t.account))).first()
        api_key = self.config.api_key or (row.api_key if row else new_api_key())
        secret = self.config.webhook_secret or (row.webhook_secret if row else new_webhook_secret())
        if row is None:
            await conn.execute(
                t.account.insert().values(
                    id=ACCOUNT_ID,
                    api_key=api_key,
                    webhook_secret=secret,
                    created=int(self.now().timestamp()),
                )
            )
        else:
            await conn.execute(t.account.update().values(api_key=api_key, webhook_secret=secret))
        return SandboxAccount(ACCOUNT_ID, api_key, secret)
