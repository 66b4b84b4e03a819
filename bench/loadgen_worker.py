"""One load generator process: connect its stations, boot them, drive the load, summarise.

Phases: connect at `connect_rate` (each station: BootNotification, StatusNotification and, in
the mixed scenario, StartTransaction + StatusNotification Charging), wait for the other
processes, then either hold the idle connections (`connections`) or send the mixed traffic
(`mixed`) at `rate` msg/s from one scheduler loop: 80 % Heartbeat/StatusNotification, 20 %
MeterValues with `samples` sampled values for the station's transaction.
"""

from __future__ import annotations

import asyncio
import gc
import resource
import time
from array import array
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from loadgen_client import LoadStation, open_connection
from loadgen_stats import LoadStats, percentiles
from websockets.exceptions import InvalidStatus, WebSocketException

TICK_S = 0.005
MAX_BUSY_SCAN = 64
MAX_CONNECTS_IN_FLIGHT = 256
ENERGY_STEP_WH = 37


@dataclass(frozen=True)
class WorkerConfig:
    """What one process does; `rate` and `connect_rate` are this process's share."""

    url: str
    station_ids: tuple[str, ...]
    password: str | None
    scenario: str
    rate: float
    duration: float
    connect_rate: float
    timeout: float
    id_tag: str
    samples: int


def raise_fd_limit() -> int:
    """Raise the soft open-files limit to the hard one (each connection is a descriptor)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def status_payload(status: str, timestamp: str) -> dict[str, Any]:
    return {"connectorId": 1, "errorCode": "NoError", "status": status, "timestamp": timestamp}


def meter_values_payload(
    transaction_id: int, energy_wh: int, timestamp: str, samples: int
) -> dict[str, Any]:
    """MeterValues of a 3-phase 11 kW session: register, power, currents, voltages, offers."""
    values: list[dict[str, Any]] = [
        {"value": str(energy_wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
        {"value": "11040.0", "measurand": "Power.Active.Import", "unit": "W"},
    ]
    for phase in ("L1", "L2", "L3"):
        values.append(
            {"value": "16.00", "measurand": "Current.Import", "phase": phase, "unit": "A"}
        )
    for phase in ("L1-N", "L2-N", "L3-N"):
        values.append({"value": "230.0", "measurand": "Voltage", "phase": phase, "unit": "V"})
    values.append({"value": "32.00", "measurand": "Current.Offered", "unit": "A"})
    values.append({"value": "22080.0", "measurand": "Power.Offered", "unit": "W"})
    for value in values:
        value["context"] = "Sample.Periodic"
    return {
        "connectorId": 1,
        "transactionId": transaction_id,
        "meterValue": [{"timestamp": timestamp, "sampledValue": values[:samples]}],
    }


class Worker:
    def __init__(self, config: WorkerConfig) -> None:
        self.config = config
        self.setup_stats = LoadStats()
        self.load_stats = LoadStats()
        self.stations: list[LoadStation] = []
        self.connect_failures: Counter[str] = Counter()
        self.boot_results: Counter[str] = Counter()
        self.handshake_ms: array[float] = array("d")
        self.connect_seconds = 0.0
        self.load_seconds = 0.0
        self.phases: dict[str, float] = {}
        """Wall-clock (epoch) seconds at which each phase began and ended, so the caller can
        attribute the server's CPU time to the connect phase and to the load phase."""
        self.connections_open = 0

    async def run(self, wait_for_peers: Callable[[], None] | None = None) -> dict[str, Any]:
        raise_fd_limit()
        # No collector pauses while measuring: they would show up as server latency (with
        # 10k connections a full pass took 0.5 s and a young-generation pass 88 ms here).
        # The phases make little cyclic garbage; it is collected between and after them.
        gc.disable()
        self.phases["connect_start"] = time.time()
        await self.connect_all()
        self.phases["connect_end"] = time.time()
        gc.collect()
        gc.freeze()
        if wait_for_peers is not None:
            await asyncio.to_thread(wait_for_peers)
        for station in self.stations:
            station.stats = self.load_stats
        self.phases["load_start"] = time.time()
        if self.config.scenario == "mixed":
            await self.drive_load()
        else:
            started = time.perf_counter()
            await asyncio.sleep(self.config.duration)
            self.load_seconds = time.perf_counter() - started
        self.phases["load_end"] = time.time()
        gc.enable()
        self.connections_open = sum(1 for s in self.stations if s.alive)
        await self.close_all()
        return self.summary()

    # -- setup ---------------------------------------------------------------------------------
    async def connect_all(self) -> None:
        loop = asyncio.get_running_loop()
        in_flight = asyncio.Semaphore(MAX_CONNECTS_IN_FLIGHT)
        started = loop.time()
        tasks = []
        for index, station_id in enumerate(self.config.station_ids):
            delay = started + index / self.config.connect_rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            await in_flight.acquire()
            tasks.append(asyncio.create_task(self._set_up(station_id, in_flight)))
        await asyncio.gather(*tasks)
        self.connect_seconds = loop.time() - started

    async def _set_up(self, station_id: str, in_flight: asyncio.Semaphore) -> None:
        config = self.config
        try:
            begun = time.perf_counter()
            try:
                ws = await open_connection(config.url, station_id, config.password, config.timeout)
            except InvalidStatus as refused:
                self.connect_failures[f"HTTP {refused.response.status_code}"] += 1
                return
            except (OSError, TimeoutError, WebSocketException) as exc:
                self.connect_failures[type(exc).__name__] += 1
                return
            self.handshake_ms.append((time.perf_counter() - begun) * 1000.0)
            station = LoadStation(station_id, ws, self.setup_stats, config.timeout)
            self.stations.append(station)
            await self._boot(station)
        finally:
            in_flight.release()

    async def _boot(self, station: LoadStation) -> None:
        config = self.config
        boot = {"chargePointVendor": "Ampyre", "chargePointModel": "Loadgen"}
        answer = await station.call("BootNotification", boot)
        if answer is None:
            return
        self.boot_results[answer["status"]] += 1
        if answer["status"] != "Accepted":
            return
        await station.call("StatusNotification", status_payload("Available", utc_now()))
        if config.scenario != "mixed":
            return
        start = {"connectorId": 1, "idTag": config.id_tag, "meterStart": 0, "timestamp": utc_now()}
        started = await station.call("StartTransaction", start)
        if started is not None:
            station.transaction_id = started["transactionId"]
            await station.call("StatusNotification", status_payload("Charging", utc_now()))

    # -- load ----------------------------------------------------------------------------------
    async def drive_load(self) -> None:
        """Pace `rate` msg/s across the loaded stations from one loop (no task per message)."""
        config, stats = self.config, self.load_stats
        loaded = [s for s in self.stations if s.alive and s.transaction_id is not None]
        unanswered: deque[tuple[float, LoadStation, str]] = deque()
        count = len(loaded)
        cursor = issued = 0
        begun = time.perf_counter()
        end = begun + config.duration
        while count and (now := time.perf_counter()) < end:
            due = int((now - begun) * config.rate) - issued
            timestamp = utc_now() if due > 0 else ""
            for _ in range(due):
                issued += 1
                station = None
                for _ in range(min(count, MAX_BUSY_SCAN)):
                    candidate = loaded[cursor]
                    cursor = cursor + 1 if cursor + 1 < count else 0
                    if candidate.pending_id is None and candidate.alive:
                        station = candidate
                        break
                if station is None:
                    stats.skipped_busy += 1
                    continue
                action, payload = self._next_message(issued, station, timestamp)
                message_id = await station.send(action, payload)
                if message_id is not None:
                    unanswered.append((station.pending_sent_at, station, message_id))
            self._expire(unanswered, time.perf_counter() - config.timeout)
            await asyncio.sleep(TICK_S)
        self.load_seconds = time.perf_counter() - begun
        await self._drain(unanswered)

    def _next_message(
        self, index: int, station: LoadStation, timestamp: str
    ) -> tuple[str, dict[str, Any]]:
        """Every 5th message is MeterValues (20 %); the rest alternate Heartbeat/Status."""
        if index % 5 == 0 and station.transaction_id is not None:
            station.energy_wh += ENERGY_STEP_WH
            payload = meter_values_payload(
                station.transaction_id, station.energy_wh, timestamp, self.config.samples
            )
            return "MeterValues", payload
        if index % 2:
            return "Heartbeat", {}
        return "StatusNotification", status_payload("Charging", timestamp)

    @staticmethod
    def _expire(unanswered: deque[tuple[float, LoadStation, str]], sent_before: float) -> None:
        while unanswered and unanswered[0][0] <= sent_before:
            _, station, message_id = unanswered.popleft()
            station.expire(message_id)

    async def _drain(self, unanswered: deque[tuple[float, LoadStation, str]]) -> None:
        deadline = time.perf_counter() + self.config.timeout
        while any(station.pending_id == mid for _, station, mid in unanswered):
            if time.perf_counter() >= deadline:
                break
            self._expire(unanswered, time.perf_counter() - self.config.timeout)
            await asyncio.sleep(0.01)
        self._expire(unanswered, float("inf"))

    async def close_all(self) -> None:
        await asyncio.gather(*(s.ws.close() for s in self.stations), return_exceptions=True)
        await asyncio.gather(*(s.reader for s in self.stations), return_exceptions=True)

    # -- summary -------------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """This process's figures; `_latencies` and `_handshakes` are raw for merging."""
        load, setup = self.load_stats, self.setup_stats
        meter_values_ok = load.ok_by_action["MeterValues"]
        return {
            "connections_target": len(self.config.station_ids),
            "connections_open": self.connections_open,
            "connect": {
                "seconds": round(self.connect_seconds, 3),
                "failures": sum(self.connect_failures.values()),
                "failures_by_kind": dict(self.connect_failures),
                "handshake_ms": percentiles(self.handshake_ms),
            },
            "boot": dict(self.boot_results),
            "transactions_started": sum(1 for s in self.stations if s.transaction_id is not None),
            "setup": {
                "messages_sent": setup.messages_sent,
                "answers_ok": setup.answers_ok,
                "errors": setup.errors,
                "lost": setup.lost,
                "errors_by_kind": dict(setup.errors_by_kind),
            },
            "phases": self.phases,
            "duration_s": round(self.load_seconds, 3),
            "messages_sent": load.messages_sent,
            "answers_ok": load.answers_ok,
            "errors": load.errors,
            "lost": load.lost,
            "late_answers": load.late_answers,
            "skipped_busy": load.skipped_busy,
            "server_calls": load.server_calls + setup.server_calls,
            "sent_by_action": dict(load.sent_by_action),
            "ok_by_action": dict(load.ok_by_action),
            "errors_by_kind": dict(load.errors_by_kind),
            "meter_values_ok": meter_values_ok,
            "samples_ok": meter_values_ok * self.config.samples,
            "msg_per_s": round(load.answers_ok / self.load_seconds, 1) if self.load_seconds else 0,
            "latency_ms": percentiles(load.latencies_ms),
            "slowest": sorted(load.slowest, reverse=True),
            "_latencies": load.latencies_ms.tobytes(),
            "_answered_at": load.answered_at.tobytes(),
            "_latencies_by_action": {
                action: values.tobytes() for action, values in load.latencies_ms_by_action.items()
            },
            "_handshakes": self.handshake_ms.tobytes(),
        }
