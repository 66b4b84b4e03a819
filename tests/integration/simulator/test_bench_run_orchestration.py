"""bench/run.py end to end with a stand-in `ampyre` CLI (fake_ampyre.py) on real PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from bench_db import find_server

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]
FAKE_AMPYRE = Path(__file__).resolve().parent / "fake_ampyre.py"


async def run_bench(*args: str) -> tuple[int, dict[str, Any]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bench" / "run.py"),
        f"--ampyre={sys.executable} {FAKE_AMPYRE}",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert out, err.decode()
    return process.returncode or 0, json.loads(out)


async def test_mixed_run_provisions_loads_checks_and_cleans_up() -> None:
    code, summary = await run_bench(
        "--scenario=mixed",
        "--stations=12",
        "--rate=150",
        "--duration=1",
        "--connect-rate=200",
        "--processes=2",
    )
    assert code == 0, summary
    loadgen = summary["loadgen"]
    assert (loadgen["connections_open"], loadgen["transactions_started"]) == (12, 12)
    assert loadgen["errors"] == loadgen["lost"] == 0
    assert loadgen["samples_ok"] > 100
    persisted = summary["persisted"]
    assert persisted["periodic_meter_samples"] == {
        "rows": loadgen["samples_ok"],
        "expected": loadgen["samples_ok"],
        "ok": True,
    }
    assert persisted["transactions"]["ok"] is True
    assert persisted["status_history_rows"]["rows"] == 12 * 2 + loadgen["ok_by_action"].get(
        "StatusNotification", 0
    )
    assert summary["server"]["rss_mb_peak"] >= summary["server"]["rss_mb_idle"] > 10
    assert summary["server"]["exit_code"] == 0
    load_phase = summary["server"]["load_phase"]
    assert load_phase["cpu_us_per_message"] >= 0
    assert load_phase["loadgen_cores"] > 0
    assert summary["server"]["connect_phase"]["setup_messages_per_connection"] == 4.0
    assert summary["machine"]["cpu_count"] >= 1
    assert "websockets" in summary["versions"]
    server, _ = await find_server("127.0.0.1", 5432, None)
    connection = await asyncpg.connect(server.dsn(server.maintenance_db))
    try:
        left = await connection.fetchval(
            "SELECT count(*) FROM pg_database WHERE datname = $1", summary["database"]
        )
    finally:
        await connection.close()
    assert left == 0


async def test_a_failing_step_is_reported_and_exits_1() -> None:
    code, summary = await run_bench("--scenario=connections", "--stations=3", "--pg-user=nobody")
    assert code == 1
    assert "cannot connect to PostgreSQL" in summary["failed"]
