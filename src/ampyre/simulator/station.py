"""One simulated OCPP 1.6 charge point: boot, status, heartbeat, sessions and commands.

`operate` runs the station over one established connection until it closes, a Reset asks for
a reboot, or the simulation stops; `ampyre.simulator.connection` opens the WebSocket and
reconnects. Sessions outlive a dropped connection: their transaction messages wait for the
next one (OCPP 1.6 §4.10: transaction-related messages are delivered reliably).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Coroutine
from enum import Enum
from typing import Any

from ampyre.simulator import messages
from ampyre.simulator.behaviour import CardRack, next_arrival_delay, plan_visit
from ampyre.simulator.clock import SimClock
from ampyre.simulator.config import SimulationOptions, StationCredentials
from ampyre.simulator.configuration import ConfigurationStore
from ampyre.simulator.connector import ChargingSession, Connector
from ampyre.simulator.handlers import CommandHandlers
from ampyre.simulator.meter import (
    ChargingMeter,
    StationKind,
    charging_profile_limit_w,
    idle_reading,
)
from ampyre.simulator.outbox import CallPort, Delivery, Outbox
from ampyre.simulator.report import SimulationReport
from ampyre.simulator.session import run_session, send_meter_values

logger = logging.getLogger("ampyre.simulator")

AC_MAX_POWER_W = 22_000.0
DC_MAX_POWER_W = 50_000.0
BOOT_RETRY_S = 60.0  # when BootNotification.conf gives interval 0 or no answer
FOLLOW_UP_DELAY_S = 0.01  # real seconds: lets the answer leave before the follow-up CALLs
SHUTDOWN_GRACE_S = 10.0  # real seconds to send StopTransactions when the simulation stops
AC_MEASURANDS = (
    "Energy.Active.Import.Register",
    "Power.Active.Import",
    "Current.Import",
    "Voltage",
)
DC_MEASURANDS = (*AC_MEASURANDS, "SoC")


class LinkOutcome(Enum):
    CLOSED = "closed"
    RESET = "reset"
    STOPPED = "stopped"


class SimulatedStation:
    """State and behaviour of one charge point; see the module docstring."""

    def __init__(
        self,
        credentials: StationCredentials,
        options: SimulationOptions,
        *,
        clock: SimClock,
        rng: random.Random,
        report: SimulationReport,
        cards: CardRack | None = None,
    ) -> None:
        """``cards``: the rack shared by the fleet (default: a rack of its own with
        ``options.id_tags``)."""
        self.station_id = credentials.station_id
        self.cards = cards if cards is not None else CardRack(options.id_tags)
        self.password = credentials.password
        self.options = options
        self.clock = clock
        self.rng = rng
        self.report = report
        self.kind = StationKind.DC if rng.random() < options.dc_share else StationKind.AC
        dc = self.kind is StationKind.DC
        self.model = messages.DC_MODEL if dc else messages.AC_MODEL
        self.max_power_w = DC_MAX_POWER_W if dc else AC_MAX_POWER_W
        self.serial = f"SIM{rng.randrange(10**9):09d}"
        self.config = ConfigurationStore(
            connectors=options.connectors_per_station,
            heartbeat_interval=round(options.heartbeat_interval),
            meter_interval=round(options.meter_interval),
            measurands=DC_MEASURANDS if dc else AC_MEASURANDS,
        )
        self.connectors = {
            n: Connector(n, register_wh=float(rng.randrange(100_000, 5_000_000)))
            for n in range(1, options.connectors_per_station + 1)
        }
        self.station_status = "Available"
        self.handlers = CommandHandlers(self).as_table()
        self.outbox = Outbox(self.station_id, report)
        self.online = asyncio.Event()
        self.reset_requested: str | None = None
        self.closing = False  # rebooting or shutting down: no new sessions
        self._reset_event = asyncio.Event()
        self._heartbeat_wake = asyncio.Event()
        self._boot_accepted = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._session_tasks: set[asyncio.Task[None]] = set()

    # ----------------------------------------------------------------- sending
    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Best effort: the answer, or None when offline / not booted / failed."""
        if not self.online.is_set():
            return None
        _, answer = await self.outbox.exchange(action, payload)
        return answer

    async def call_reliably(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Deliver a transaction-related message: waits while offline and retries after a
        lost connection; a CALLERROR or timeout is retried TransactionMessageAttempts times,
        TransactionMessageRetryInterval × attempt apart. None when the CSMS never accepted it.
        """
        failures = 0
        while True:
            await self.online.wait()
            delivery, answer = await self.outbox.exchange(action, payload)
            if delivery is Delivery.ANSWERED:
                return answer
            if delivery in {Delivery.LOST, Delivery.OFFLINE}:
                await asyncio.sleep(FOLLOW_UP_DELAY_S)  # until the connection loop notices
            else:
                failures += 1
                if failures >= self.config.integer("TransactionMessageAttempts"):
                    logger.error(
                        "%s: giving up %s after %d attempts", self.station_id, action, failures
                    )
                    return None
                retry = self.config.integer("TransactionMessageRetryInterval") * failures
                await self.clock.sleep(retry)

    def set_status(self, connector: Connector, status: str, *, force: bool = False) -> None:
        """Change a connector's status and queue its StatusNotification (when online)."""
        if status == connector.status and not force:
            return
        connector.status = status
        if self.online.is_set():
            self.outbox.post(
                "StatusNotification", messages.status_notification(connector.connector_id, status)
            )

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run follow-up work after the current handler's answer has left."""
        self._keep(asyncio.create_task(_after_answer(work)), self._tasks)

    def _keep(self, task: asyncio.Task[None], group: set[asyncio.Task[None]]) -> None:
        group.add(task)
        task.add_done_callback(group.discard)
        task.add_done_callback(_log_failure)

    # ----------------------------------------------------------------- one connection
    async def operate(
        self, link: CallPort, closed: asyncio.Future[Any], stop: asyncio.Event
    ) -> LinkOutcome:
        """Run over one open connection: boot, report statuses, heartbeat, until it ends."""
        self.outbox.attach(link)
        self._boot_accepted.clear()
        waiters = {
            asyncio.ensure_future(closed): LinkOutcome.CLOSED,
            asyncio.create_task(self._reset_event.wait()): LinkOutcome.RESET,
            asyncio.create_task(stop.wait()): LinkOutcome.STOPPED,
        }
        boot = asyncio.create_task(self._boot_until_accepted())
        heartbeat: asyncio.Task[None] | None = None
        try:
            done, _ = await asyncio.wait({*waiters, boot}, return_when=asyncio.FIRST_COMPLETED)
            if boot in done:
                boot.result()  # re-raises a failure of the boot loop
                self.online.set()
                self._report_all_statuses()
                heartbeat = asyncio.create_task(self._heartbeat_loop())
                done, _ = await asyncio.wait(waiters.keys(), return_when=asyncio.FIRST_COMPLETED)
            outcome = next(waiters[w] for w in waiters if w in done)
            if outcome is not LinkOutcome.CLOSED:
                # Leave politely: no new sessions or heartbeats, every queued CALL answered.
                self.closing = True
                if heartbeat is not None:
                    heartbeat.cancel()
                if outcome is LinkOutcome.STOPPED and self.options.finish_sessions_on_stop:
                    await self._finish_sessions("Other", SHUTDOWN_GRACE_S)
                await self.outbox.drain(self.options.call_timeout)
            return outcome
        finally:
            self.online.clear()
            for task in (boot, heartbeat, *waiters):
                if task is not None and task is not closed:
                    task.cancel()
            await self.outbox.detach()

    async def _boot_until_accepted(self) -> None:
        """BootNotification until Accepted; Pending/Rejected retry after the given interval."""
        while True:
            status, interval = await self._boot()
            if status == "Accepted":
                return
            retry = interval if interval > 0 else BOOT_RETRY_S
            if await self.clock.wait_for(self._boot_accepted, retry):
                return

    async def _boot(self) -> tuple[str | None, int]:
        payload = messages.boot_notification(self.model, self.serial)
        _, answer = await self.outbox.exchange("BootNotification", payload)
        if answer is None:
            return None, 0
        status, interval = answer["status"], int(answer["interval"])
        self.report.boot_results[status] += 1
        if status == "Accepted":
            if interval > 0:
                self.config.change("HeartbeatInterval", str(interval))
                self._heartbeat_wake.set()
            self._boot_accepted.set()
        return status, interval

    def _report_all_statuses(self) -> None:
        self.outbox.post("StatusNotification", messages.status_notification(0, self.station_status))
        for connector in self.connectors.values():
            self.set_status(connector, connector.status, force=True)

    async def _heartbeat_loop(self) -> None:
        while True:
            interval = self.config.integer("HeartbeatInterval") or round(
                self.options.heartbeat_interval
            )
            if await self.clock.wait_for(self._heartbeat_wake, interval):
                self._heartbeat_wake.clear()
                continue
            self.outbox.post("Heartbeat", {})

    # ----------------------------------------------------------------- sessions
    async def drive(self) -> None:
        """Random RFID sessions on every connector, for the station's whole life."""
        if not self.options.id_tags:
            return
        await asyncio.gather(*(self._driver_loop(c) for c in self.connectors.values()))

    async def _driver_loop(self, connector: Connector) -> None:
        while True:
            await self.clock.sleep(next_arrival_delay(self.rng, self.options.mean_idle_time))
            if not (self.online.is_set() and connector.is_free and not self.closing):
                continue
            id_tag = self.cards.take(self.rng)
            if id_tag is None:
                continue  # every driver is charging somewhere else
            try:
                visit = self.start_session(connector, id_tag, remote=False, limit_w=None)
                await asyncio.wait({visit})
            finally:
                self.cards.give_back(id_tag)

    def start_session(
        self, connector: Connector, id_tag: str, *, remote: bool, limit_w: float | None
    ) -> asyncio.Task[None]:
        """Occupy `connector` with a new session and run it in the background."""
        plan = plan_visit(self.rng, id_tag, self.kind, self.options.session_duration)
        meter = ChargingMeter(
            self.kind, self.max_power_w, plan.vehicle, connector.register_wh, self.rng
        )
        meter.limit_w = limit_w
        session = ChargingSession(connector.connector_id, plan, meter, remote=remote)
        connector.session = session

        async def run() -> None:
            try:
                await run_session(self, connector, session)
            finally:
                connector.register_wh = meter.register_wh

        task = asyncio.create_task(_after_answer(run()) if remote else run())
        self._keep(task, self._session_tasks)
        return task

    def profile_limit_w(self, profile: dict[str, Any] | None) -> float | None:
        return charging_profile_limit_w(profile)

    async def _finish_sessions(self, reason: str, grace_s: float | None = None) -> None:
        """Stop every running session with `reason`; wait for them (at most `grace_s` real s)."""
        for connector in self.connectors.values():
            if connector.session is not None:
                connector.session.request_stop(reason)
        if self._session_tasks:
            await asyncio.wait(set(self._session_tasks), timeout=grace_s)

    # ----------------------------------------------------------------- commands
    def set_station_operative(self, operative: bool) -> None:
        status = "Available" if operative else "Unavailable"
        if status != self.station_status:
            self.station_status = status
            if self.online.is_set():
                self.outbox.post("StatusNotification", messages.status_notification(0, status))

    def sampling_changed(self) -> None:
        for connector in self.connectors.values():
            if connector.session is not None:
                connector.session.wake.set()

    def heartbeat_changed(self) -> None:
        self._heartbeat_wake.set()

    async def reset(self, kind: str) -> None:
        """OCPP 1.6 §5.14: stop transactions (reason SoftReset/HardReset), then reboot."""
        self.closing = True
        await self._finish_sessions("SoftReset" if kind == "Soft" else "HardReset")
        self.reset_requested = kind
        self._reset_event.set()

    def reboot_done(self) -> None:
        """Called by the connection loop once the station is rebooting after a Reset."""
        self.reset_requested = None
        self.closing = False
        self._reset_event.clear()

    async def send_triggered(self, message: str, connector_id: int | None) -> None:
        """Send what a TriggerMessage asked for (OCPP 1.6 §5.17)."""
        if message == "BootNotification":
            await self._boot()
        elif message == "Heartbeat":
            self.outbox.post("Heartbeat", {})
        elif message == "StatusNotification":
            if connector_id in (None, 0):
                self.outbox.post(
                    "StatusNotification", messages.status_notification(0, self.station_status)
                )
            for connector in self._triggered_connectors(connector_id):
                self.outbox.post(
                    "StatusNotification",
                    messages.status_notification(connector.connector_id, connector.status),
                )
        elif message == "MeterValues":
            for connector in self._triggered_connectors(connector_id):
                await self._send_triggered_meter_values(connector)

    def _triggered_connectors(self, connector_id: int | None) -> list[Connector]:
        if connector_id in (None, 0):
            return list(self.connectors.values())
        return [self.connectors[connector_id]] if connector_id in self.connectors else []

    async def _send_triggered_meter_values(self, connector: Connector) -> None:
        session = connector.session
        if session is not None and session.transaction_id is not None:
            await send_meter_values(self, connector, session, "Trigger")
            return
        reading = idle_reading(self.kind, connector.register_wh)
        samples = messages.sampled_values(reading, ["Energy.Active.Import.Register"], "Trigger")
        self.outbox.post(
            "MeterValues", messages.meter_values(connector.connector_id, None, samples)
        )

    async def shutdown(self) -> None:
        """Cancel every background task of the station."""
        tasks = self._tasks | self._session_tasks
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _after_answer(work: Coroutine[Any, Any, None]) -> None:
    await asyncio.sleep(FOLLOW_UP_DELAY_S)
    await work


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("simulator task failed", exc_info=task.exception())
