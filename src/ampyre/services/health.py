"""Connection health and clean-up of transactions that no station will ever stop."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from ampyre.domain.transactions import StopReason
from ampyre.services.ports import Clock, UnitOfWorkFactory
from ampyre.services.records import ConnectionEvent

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HealthService:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    offline_after_s: int
    stuck_grace_s: int
    message_log_retention_days: int

    async def do_mark_silent_stations_offline(self) -> list[str]:
        """Stations with no frame for ``offline_after_s`` are offline, socket or not.

        Returns the ids that went offline now (each gets a connection-history entry).
        """
        now = self.clock.now()
        async with self.uow_factory() as uow:
            silent = await uow.stations.mark_disconnected_if_silent(
                now - timedelta(seconds=self.offline_after_s)
            )
            for station_id in silent:
                await uow.logs.add_connection_event(
                    ConnectionEvent(station_id, "disconnected", now, "no frame received")
                )
            await uow.commit()
        if silent:
            log.warning("stations offline (silent): %s", ", ".join(silent[:20]))
        return silent

    async def do_close_stuck_transactions(self) -> list[int]:
        """Close transactions of stations that rebooted and did not stop them in the grace
        period (the station lost them, e.g. power loss without a persistent queue).

        Stop reason ``Reboot``; the meter stop is the last reading seen; flagged
        ``closed_by_csms`` for review before billing. Returns the closed transaction ids.
        """
        now = self.clock.now()
        closed: list[int] = []
        async with self.uow_factory() as uow:
            for transaction in await uow.transactions.stuck_after_boot(
                now - timedelta(seconds=self.stuck_grace_s)
            ):
                if transaction.close_as_stuck(at=now, reason=StopReason.REBOOT):
                    await uow.transactions.update(transaction)
                    await uow.usage.enqueue_for_rating(transaction.id, now)
                    closed.append(transaction.id)
            await uow.commit()
        if closed:
            log.warning("closed stuck transactions after reboot: %s", closed)
        return closed

    async def do_prune_message_log(self) -> int:
        """Delete message-log rows older than the retention period; returns how many."""
        before = self.clock.now() - timedelta(days=self.message_log_retention_days)
        async with self.uow_factory() as uow:
            deleted = await uow.logs.delete_frames_before(before)
            await uow.commit()
        return deleted
