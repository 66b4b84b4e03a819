"""Enforces the energy / time limits of operator-started sessions (see
:mod:`ampyre.domain.charging_limits`).

The enforcer keeps the few limited sessions of this process in memory, so the MeterValues hot
path costs one dict lookup. It sends RemoteStopTransaction when a limit is reached: on a meter
reading for energy limits, and from a periodic check for time limits (and as a retry when a
stop could not be delivered). The stop runs as its own task because it is triggered while the
station's MeterValues is being handled on the same connection.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from ampyre.domain.charging_limits import ChargingLimit, LimitedSession
from ampyre.domain.errors import DomainError
from ampyre.domain.transactions import Transaction
from ampyre.services.ports import Clock, StationCommands, UnitOfWorkFactory

log = logging.getLogger(__name__)


def limited_session(transaction: Transaction) -> LimitedSession | None:
    """The limit view of ``transaction``, or None when it has no limit."""
    if transaction.energy_limit_wh is None and transaction.duration_limit_s is None:
        return None
    return LimitedSession(
        transaction_id=transaction.id,
        station_id=transaction.station_id,
        meter_start_wh=transaction.meter_start_wh,
        started_at=transaction.started_at,
        limit=ChargingLimit(transaction.energy_limit_wh, transaction.duration_limit_s),
    )


class LimitEnforcer:
    def __init__(
        self, stations: StationCommands, clock: Clock, *, command_timeout_s: float
    ) -> None:
        self._stations = stations
        self._clock = clock
        self._timeout = command_timeout_s
        self._sessions: dict[int, LimitedSession] = {}
        self._last_reading: dict[int, int] = {}
        self._stopping: dict[int, asyncio.Task[None]] = {}

    def __len__(self) -> int:
        return len(self._sessions)

    async def load(self, uow_factory: UnitOfWorkFactory) -> None:
        """Watch every active limited transaction (after a restart)."""
        async with uow_factory() as uow:
            for transaction in await uow.transactions.active_with_limits():
                self.watch(transaction)

    def watch(self, transaction: Transaction) -> None:
        session = limited_session(transaction)
        if session is not None:
            self._sessions[transaction.id] = session
            if transaction.last_meter_wh is not None:
                self._last_reading[transaction.id] = transaction.last_meter_wh

    def forget(self, transaction_id: int) -> None:
        """The transaction stopped: stop watching it."""
        self._sessions.pop(transaction_id, None)
        self._last_reading.pop(transaction_id, None)

    def observe(self, transaction_id: int | None, register_wh: int | None, at: datetime) -> None:
        """A meter reading arrived; stop the session if it reached its limit."""
        if transaction_id is None:
            return
        session = self._sessions.get(transaction_id)
        if session is None:
            return
        if register_wh is not None:
            self._last_reading[transaction_id] = register_wh
        self._enforce(session, at)

    def check_deadlines(self) -> list[int]:
        """Stop sessions past their time limit (or whose earlier stop failed); returns the
        ids a stop was sent for."""
        now = self._clock.now()
        return [s.transaction_id for s in list(self._sessions.values()) if self._enforce(s, now)]

    def _enforce(self, session: LimitedSession, now: datetime) -> bool:
        reason = session.reached(
            register_wh=self._last_reading.get(session.transaction_id), now=now
        )
        if reason is None or session.transaction_id in self._stopping:
            return False
        log.info("transaction %s reached its %s limit: stopping it", session.transaction_id, reason)
        task = asyncio.create_task(self._stop(session), name=f"limit-stop-{session.transaction_id}")
        self._stopping[session.transaction_id] = task
        return True

    async def _stop(self, session: LimitedSession) -> None:
        try:
            result = await self._stations.remote_stop(
                session.station_id, transaction_id=session.transaction_id, timeout=self._timeout
            )
            if result.status != "Accepted":
                log.warning(
                    "station %s refused to stop transaction %s at its limit (%s)",
                    session.station_id,
                    session.transaction_id,
                    result.status,
                )
        except DomainError as exc:
            log.warning(
                "stopping transaction %s at its limit failed: %s",
                session.transaction_id,
                exc.message,
            )
        finally:
            self._stopping.pop(session.transaction_id, None)

    async def close(self) -> None:
        for task in list(self._stopping.values()):
            task.cancel()
        await asyncio.gather(*self._stopping.values(), return_exceptions=True)
