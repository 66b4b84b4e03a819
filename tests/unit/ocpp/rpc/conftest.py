"""In-memory transports and a harness that runs an RpcConnection against a scripted peer.

Helpers are exposed as fixtures (not importable modules) so that this test folder needs no
package `__init__.py` and cannot clash with helper modules of other test folders.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest

from ampyre.ocpp.rpc import (
    Handler,
    LoggedExchange,
    OcppVersion,
    RpcConnection,
    Side,
    TransportClosed,
)


class FakeTransport:
    """One end of an in-memory message pipe; `close()` closes both ends."""

    def __init__(self) -> None:
        self.inbox: asyncio.Queue[str | None] = asyncio.Queue()
        self.peer: FakeTransport = self
        self.sent: list[str] = []
        self.closed = False
        self.close_code: int | None = None

    async def send_text(self, data: str) -> None:
        if self.closed:
            raise TransportClosed("closed")
        self.sent.append(data)
        self.peer.inbox.put_nowait(data)

    async def receive_text(self) -> str:
        if self.closed and self.inbox.empty():
            raise TransportClosed("closed")
        item = await self.inbox.get()
        if item is None:
            raise TransportClosed("closed")
        return item

    async def close(self, code: int = 1000, reason: str = "") -> None:
        for end in (self, self.peer):
            if not end.closed:
                end.closed = True
                end.close_code = code
                end.inbox.put_nowait(None)


def transport_pair() -> tuple[FakeTransport, FakeTransport]:
    left, right = FakeTransport(), FakeTransport()
    left.peer, right.peer = right, left
    return left, right


@pytest.fixture
def make_pair() -> Callable[[], tuple[FakeTransport, FakeTransport]]:
    """Factory for connected in-memory transport pairs."""
    return transport_pair


class RecordingLog:
    def __init__(self) -> None:
        self.entries: list[LoggedExchange] = []

    def record(self, entry: LoggedExchange) -> None:
        self.entries.append(entry)


@dataclass
class Harness:
    """An RpcConnection under test (`rpc`, running) and the raw peer end that scripts it."""

    rpc: RpcConnection
    peer: FakeTransport
    log: RecordingLog
    task: asyncio.Task[None]
    frames_seen: list[int] = field(default_factory=list)

    async def send(self, frame: Any) -> None:
        """Send a frame from the peer (a str is sent verbatim, anything else as JSON)."""
        text = frame if isinstance(frame, str) else orjson.dumps(frame).decode()
        await self.peer.send_text(text)

    async def receive(self, within: float = 1.0) -> Any:
        """The next frame the connection sent to the peer, decoded."""
        async with asyncio.timeout(within):
            return orjson.loads(await self.peer.receive_text())

    def nothing_received(self) -> bool:
        return self.peer.inbox.empty()

    async def settle(self) -> None:
        """Let the connection process everything queued so far."""
        for _ in range(20):
            await asyncio.sleep(0)


StartHarness = Callable[..., Harness]


@pytest.fixture
async def start() -> AsyncIterator[StartHarness]:
    """Factory: start(version=..., side=..., handlers=..., **options) -> running Harness."""
    harnesses: list[Harness] = []

    def factory(
        *,
        version: OcppVersion = OcppVersion.V16,
        side: Side = Side.CSMS,
        handlers: dict[str, Handler] | None = None,
        **options: Any,
    ) -> Harness:
        local, peer = transport_pair()
        log = RecordingLog()
        frames_seen: list[int] = []
        rpc = RpcConnection(
            local,
            version=version,
            side=side,
            handlers=handlers or {},
            exchange_log=log,
            on_frame=lambda: frames_seen.append(1),
            **options,
        )
        harness = Harness(rpc, peer, log, asyncio.create_task(rpc.run()), frames_seen)
        harnesses.append(harness)
        return harness

    yield factory
    for harness in harnesses:
        await harness.rpc.close()
        await asyncio.wait_for(harness.task, 1.0)


def sampled_values_16(count: int = 10) -> list[dict[str, str]]:
    """Realistic 1.6 sampledValue entries: energy register, per-phase current/voltage, power."""
    values: list[dict[str, str]] = [
        {
            "value": "15234.5",
            "context": "Sample.Periodic",
            "format": "Raw",
            "measurand": "Energy.Active.Import.Register",
            "location": "Outlet",
            "unit": "Wh",
        },
        {
            "value": "11040",
            "context": "Sample.Periodic",
            "measurand": "Power.Active.Import",
            "unit": "W",
        },
    ]
    for phase in ("L1", "L2", "L3"):
        values.append(
            {
                "value": "16.0",
                "context": "Sample.Periodic",
                "measurand": "Current.Import",
                "phase": phase,
                "unit": "A",
            }
        )
        values.append(
            {
                "value": "230.1",
                "context": "Sample.Periodic",
                "measurand": "Voltage",
                "phase": f"{phase}-N",
                "unit": "V",
            }
        )
    values.append(
        {
            "value": "81",
            "context": "Sample.Periodic",
            "measurand": "SoC",
            "location": "EV",
            "unit": "Percent",
        }
    )
    values.append(
        {
            "value": "31.5",
            "context": "Sample.Periodic",
            "measurand": "Temperature",
            "location": "Body",
            "unit": "Celsius",
        }
    )
    return values[:count]


@pytest.fixture
def meter_values_16() -> dict[str, Any]:
    """A 1.6 MeterValues request with 10 sampled values."""
    return {
        "connectorId": 1,
        "transactionId": 1742,
        "meterValue": [{"timestamp": "2026-11-21T10:00:00Z", "sampledValue": sampled_values_16()}],
    }


@pytest.fixture
def boot_16() -> dict[str, Any]:
    return {
        "chargePointVendor": "Alfen BV",
        "chargePointModel": "NG920-61023",
        "chargePointSerialNumber": "ACE0123456",
        "firmwareVersion": "6.1.0-4127",
        "iccid": "89314404000123456789",
        "meterType": "Eastron SDM630",
    }


@pytest.fixture
def boot_201() -> dict[str, Any]:
    return {
        "reason": "PowerUp",
        "chargingStation": {
            "model": "Terra AC W22-T-R",
            "vendorName": "ABB",
            "serialNumber": "TACW2244320G1234",
            "firmwareVersion": "1.8.21",
            "modem": {"iccid": "89314404000123456789", "imsi": "204043123456789"},
        },
    }


@pytest.fixture
def meter_values_201() -> dict[str, Any]:
    """A 2.0.1 MeterValues request with 10 sampled values."""
    samples: list[dict[str, Any]] = [
        {
            "value": 15234.5,
            "context": "Sample.Periodic",
            "measurand": "Energy.Active.Import.Register",
            "location": "Outlet",
            "unitOfMeasure": {"unit": "Wh", "multiplier": 0},
        }
    ]
    for phase in ("L1", "L2", "L3"):
        samples.append({"value": 16.0, "measurand": "Current.Import", "phase": phase})
        samples.append({"value": 230.1, "measurand": "Voltage", "phase": f"{phase}-N"})
    samples.append({"value": 11040.0, "measurand": "Power.Active.Import"})
    samples.append({"value": 81, "measurand": "SoC", "location": "EV"})
    samples.append({"value": 50.01, "measurand": "Frequency"})
    return {
        "evseId": 1,
        "meterValue": [{"timestamp": "2026-11-21T10:00:00.123+01:00", "sampledValue": samples}],
    }
