"""bench/loadgen.py as a separate process against a tiny CSMS over real sockets."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from pathlib import Path
from typing import Any

from tiny_csms import TinyCsms
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

LOADGEN = Path(__file__).resolve().parents[3] / "bench" / "loadgen.py"
PASSWORD = "bench-pass"
NOW = "2026-01-01T00:00:00Z"


def ids(count: int, prefix: str = "BENCH") -> list[str]:
    return [f"{prefix}-{n:05d}" for n in range(1, count + 1)]


async def run_loadgen(url: str, *args: str) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(LOADGEN),
        "--url",
        url,
        "--password",
        PASSWORD,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    summary: dict[str, Any] = json.loads(out)
    return summary


async def test_mixed_load_is_paced_checked_and_accounted() -> None:
    csms = await TinyCsms(passwords=dict.fromkeys(ids(20), PASSWORD)).start()
    try:
        summary = await run_loadgen(
            csms.url,
            "--stations",
            "20",
            "--rate",
            "400",
            "--duration",
            "1.5",
            "--connect-rate",
            "200",
        )
    finally:
        await csms.stop()

    assert (summary["connections_target"], summary["connections_open"]) == (20, 20)
    assert summary["boot"] == {"Accepted": 20}
    assert summary["transactions_started"] == 20
    assert summary["errors"] == summary["lost"] == 0
    assert summary["answers_ok"] == summary["messages_sent"]
    assert 0.8 * 600 <= summary["messages_sent"] <= 1.05 * 600  # 400 msg/s for 1.5 s
    assert 320 <= summary["msg_per_s"] <= 420
    assert abs(summary["meter_values_ok"] - summary["messages_sent"] / 5) <= 1
    assert 0 < summary["latency_ms"]["p50"] <= summary["latency_ms"]["p99"]

    meter_values = csms.of("MeterValues")
    assert len(meter_values) == summary["meter_values_ok"]
    assert summary["samples_ok"] == sum(
        len(r.payload["meterValue"][0]["sampledValue"]) for r in meter_values
    )
    assert all(len(r.payload["meterValue"][0]["sampledValue"]) == 10 for r in meter_values)
    assert {r.payload["transactionId"] for r in meter_values} <= set(csms.started)
    heartbeats = len(csms.of("Heartbeat"))
    assert heartbeats == summary["ok_by_action"]["Heartbeat"]
    status_in_load = len(csms.of("StatusNotification")) - 40  # 2 per station during setup
    assert abs(heartbeats - status_in_load) <= 1


async def test_processes_split_the_stations_and_refused_ones_are_counted() -> None:
    csms = await TinyCsms(passwords=dict.fromkeys(ids(8), PASSWORD)).start()
    try:
        summary = await run_loadgen(
            csms.url,
            "--stations",
            "10",
            "--processes",
            "2",
            "--scenario",
            "connections",
            "--duration",
            "0.3",
        )
    finally:
        await csms.stop()
    assert summary["processes"] == 2
    assert (summary["connections_target"], summary["connections_open"]) == (10, 8)
    assert summary["connect"]["failures_by_kind"] == {"HTTP 401": 2}
    assert summary["boot"] == {"Accepted": 8}
    assert summary["messages_sent"] == 0
    assert set(csms.connects) == set(ids(8))


class MisbehavingCsms:
    """Raw OCPP-J server: boots and starts transactions properly, then answers Heartbeat with
    the wrong shape, StatusNotification Charging with a CALLERROR and MeterValues 0.5 s late
    (without blocking its reading, so only MeterValues can be lost)."""

    def __init__(self) -> None:
        self.server: Server | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"ws://127.0.0.1:{next(iter(self.server.sockets)).getsockname()[1]}/ocpp"

    async def __aenter__(self) -> MisbehavingCsms:
        self.server = await serve(
            self._station, "127.0.0.1", 0, subprotocols=[Subprotocol("ocpp1.6")], compression=None
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def _station(self, ws: ServerConnection) -> None:
        loop = asyncio.get_running_loop()
        late: set[asyncio.Task[None]] = set()
        async for message in ws:
            _, message_id, action, payload = json.loads(message)
            answer: list[Any] = [3, message_id, {}]
            if action == "BootNotification":
                answer[2] = {"status": "Accepted", "currentTime": NOW, "interval": 300}
            elif action == "StartTransaction":
                answer[2] = {"transactionId": 1, "idTagInfo": {"status": "Accepted"}}
            elif action == "StatusNotification" and payload["status"] == "Charging":
                answer = [4, message_id, "InternalError", "nope", {}]
            elif action == "MeterValues":
                task = loop.create_task(self._answer_later(ws, json.dumps(answer)))
                late.add(task)
                task.add_done_callback(late.discard)
                continue
            await ws.send(json.dumps(answer))

    @staticmethod
    async def _answer_later(ws: ServerConnection, answer: str) -> None:
        await asyncio.sleep(0.5)
        with contextlib.suppress(ConnectionClosed):
            await ws.send(answer)


async def test_wrong_answers_are_errors_and_missing_ones_are_lost() -> None:
    async with MisbehavingCsms() as csms:
        summary = await run_loadgen(
            csms.url, "--stations", "10", "--rate", "100", "--duration", "1", "--timeout", "0.3"
        )
    kinds = summary["errors_by_kind"]
    assert summary["setup"]["errors"] == 10  # the StatusNotification Charging after the start
    assert kinds["Heartbeat: unexpected answer"] >= 30
    assert kinds["StatusNotification: CALLERROR InternalError"] >= 30
    assert summary["lost"] == summary["sent_by_action"]["MeterValues"] >= 15
    assert summary["late_answers"] >= 5
    assert summary["answers_ok"] == 0
    assert summary["messages_sent"] == summary["errors"] + summary["lost"]
