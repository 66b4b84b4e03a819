"""`make bench`: Ampyre on a fresh PostgreSQL database under OCPP load; prints a JSON summary.

    .venv/bin/python bench/run.py --scenario mixed --stations 10000 --rate 5000 --duration 60
    .venv/bin/python bench/run.py --scenario connections --stations 10000
    .venv/bin/python bench/run.py --target minimal --scenario mixed  # comparison server

Steps: create database ampyre_bench_<pid> → `ampyre db upgrade` → provision the stations with
`ampyre stations import` (CSV id,password) → `ampyre serve` → wait for /health → run
bench/loadgen.py in its own process(es) while sampling the server's RSS → SIGTERM the server →
check in the database that everything answered was persisted → drop the database.
Never fails on timing; exits 1 only when a step fails or the persistence check does not hold.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from bench_db import check_persistence, create_database, drop_database, find_server
from bench_env import RssSampler, machine, versions

BENCH_DIR = Path(__file__).resolve().parent
SCENARIO_DEFAULTS = {
    "mixed": {"stations": 10_000, "rate": 5_000.0, "duration": 60.0},
    "connections": {"stations": 10_000, "rate": 0.0, "duration": 30.0},
}
HEALTH_WAIT_S = 120.0
STOP_WAIT_S = 60.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=sorted(SCENARIO_DEFAULTS), default="mixed")
    parser.add_argument(
        "--target",
        choices=("ampyre", "minimal"),
        default="ampyre",
        help="server under load: Ampyre on PostgreSQL, or bench/minimal_csms.py (the `ocpp` "
        "package, nothing stored) for a comparison ratio",
    )
    parser.add_argument("--stations", type=int, help="connections (default 10000)")
    parser.add_argument("--rate", type=float, help="mixed: total msg/s (default 5000)")
    parser.add_argument("--duration", type=float, help="load or hold seconds (60 / 30)")
    parser.add_argument("--connect-rate", type=float, default=1000.0, help="connections/s")
    parser.add_argument("--processes", type=int, default=1, help="load generator processes")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before 'lost'")
    parser.add_argument("--id-prefix", default="BENCH")
    parser.add_argument("--port", type=int, default=0, help="server port (0: a free one)")
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--pg-user", default=None, help="default: postgres, then root")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    parser.add_argument(
        "--ampyre",
        default=None,
        help="command running the ampyre CLI (default: the ampyre next to this Python)",
    )
    parser.add_argument(
        "--server-env", action="append", default=[], metavar="KEY=VALUE", help="extra env"
    )
    args = parser.parse_args(argv)
    for key, value in SCENARIO_DEFAULTS[args.scenario].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


def ampyre_command(override: str | None = None) -> list[str]:
    """`override` split like a shell would, else the `ampyre` of this interpreter's venv."""
    if override:
        return shlex.split(override)
    script = Path(sys.executable).parent / "ampyre"
    return [str(script)] if script.exists() else [sys.executable, "-m", "ampyre.cli"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_step(name: str, command: list[str], env: dict[str, str]) -> float:
    """Run a setup command; returns its duration (s); raises with its output on failure."""
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{name} failed ({done.returncode}): {done.stderr or done.stdout}")
    return round(time.perf_counter() - started, 2)


def write_stations_csv(path: Path, ids: list[str], password: str) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "password"])
        writer.writerows([station_id, password] for station_id in ids)


def wait_for_health(port: int, server: subprocess.Popen[bytes]) -> float:
    url = f"http://127.0.0.1:{port}/health"
    started = time.perf_counter()
    while time.perf_counter() - started < HEALTH_WAIT_S:
        if server.poll() is not None:
            raise RuntimeError(f"ampyre serve exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return round(time.perf_counter() - started, 2)
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer 200 within {HEALTH_WAIT_S:.0f} s")


def stop_server(server: subprocess.Popen[bytes]) -> dict[str, Any]:
    started = time.perf_counter()
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return {"exit_code": server.returncode, "stop_s": round(time.perf_counter() - started, 2)}


def run_loadgen(
    args: argparse.Namespace, port: int, password: str, sampler: RssSampler
) -> dict[str, Any]:
    """Run bench/loadgen.py to the end (its CPU is sampled too); returns its summary."""
    command = [
        sys.executable,
        str(BENCH_DIR / "loadgen.py"),
        f"--url=ws://127.0.0.1:{port}/ocpp",
        f"--stations={args.stations}",
        f"--password={password}",
        f"--id-prefix={args.id_prefix}",
        f"--scenario={args.scenario}",
        f"--rate={args.rate or 1}",
        f"--duration={args.duration}",
        f"--connect-rate={args.connect_rate}",
        f"--processes={args.processes}",
        f"--timeout={args.timeout}",
    ]
    budget = args.stations / args.connect_rate + args.duration + 4 * args.timeout + 120
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as loadgen:
        sampler.watch_cpu(loadgen.pid)
        try:
            stdout, stderr = loadgen.communicate(timeout=budget)
        except subprocess.TimeoutExpired:
            loadgen.kill()
            loadgen.communicate()
            raise
    if loadgen.returncode != 0:
        raise RuntimeError(f"loadgen failed ({loadgen.returncode}): {stderr[-4000:]}")
    summary: dict[str, Any] = json.loads(stdout)
    return summary


def phase_cpu(sampler: RssSampler, loadgen: dict[str, Any]) -> dict[str, Any]:
    """Server CPU per connection (connect phase: handshake, Boot, Status, Start…) and per
    message (load phase), and the cores the server and the load generator used meanwhile."""
    phases = loadgen.get("phases") or {}
    if not phases:
        return {}
    opened = max(1, int(loadgen.get("connections_open", 0)))
    setup_messages = int(loadgen.get("setup", {}).get("messages_sent", 0))
    connect_cpu, connect_loadgen = sampler.cpu_between(
        phases["connect_start"], phases["connect_end"]
    )
    connect_wall = sampler.span_between(phases["connect_start"], phases["connect_end"])
    load_cpu, load_loadgen = sampler.cpu_between(phases["load_start"], phases["load_end"])
    load_wall = sampler.span_between(phases["load_start"], phases["load_end"])
    messages = int(loadgen.get("messages_sent", 0))
    result: dict[str, Any] = {
        "connect_phase": {
            "cpu_s": round(connect_cpu, 2),
            "cpu_ms_per_connection": round(connect_cpu * 1e3 / opened, 3),
            "setup_messages_per_connection": round(setup_messages / opened, 2),
            "server_cores": round(connect_cpu / connect_wall, 2) if connect_wall else None,
            "loadgen_cores": round(connect_loadgen / connect_wall, 2) if connect_wall else None,
        },
        "load_phase": {
            "cpu_s": round(load_cpu, 2),
            "server_cores": round(load_cpu / load_wall, 2) if load_wall else None,
            "loadgen_cores": round(load_loadgen / load_wall, 2) if load_wall else None,
        },
    }
    if messages:
        result["load_phase"]["cpu_us_per_message"] = round(load_cpu * 1e6 / messages, 1)
    return result


def benchmark_minimal(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """The same load against bench/minimal_csms.py: no database, nothing to check."""
    port = args.port or free_port()
    command = [sys.executable, str(BENCH_DIR / "minimal_csms.py"), "--port", str(port)]
    report = serve_and_load(args, dict(os.environ), port, secrets.token_urlsafe(12), work, command)
    report["persisted"] = {"all_ok": True, "note": "the minimal server stores nothing"}
    return report


def benchmark(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    if args.target == "minimal":
        return benchmark_minimal(args, work)
    pg, pg_version = asyncio.run(find_server(args.pg_host, args.pg_port, args.pg_user))
    database = f"ampyre_bench_{os.getpid()}"
    password = secrets.token_urlsafe(12)
    port = args.port or free_port()
    env = os.environ | {
        "AMPYRE_DATABASE_URL": pg.sqlalchemy_url(database),
        "AMPYRE_LOG_LEVEL": "WARNING",
        "AMPYRE_PORT": str(port),
    }
    env |= dict(item.split("=", 1) for item in args.server_env)
    report: dict[str, Any] = {"postgresql": pg_version, "database": database}
    asyncio.run(create_database(pg, database))
    try:
        ampyre = ampyre_command(args.ampyre)
        steps = {"db_upgrade_s": run_step("db upgrade", [*ampyre, "db", "upgrade"], env)}
        stations_csv = work / "stations.csv"
        ids = [f"{args.id_prefix}-{n:05d}" for n in range(1, args.stations + 1)]
        write_stations_csv(stations_csv, ids, password)
        import_command = [*ampyre, "stations", "import", str(stations_csv)]
        steps["stations_import_s"] = run_step("stations import", import_command, env)
        report["setup"] = steps
        serve = [*ampyre, "serve", "--host", "127.0.0.1", "--port", str(port)]
        report |= serve_and_load(args, env, port, password, work, serve)
        report["persisted"] = asyncio.run(
            check_persistence(pg, database, args.id_prefix, report["loadgen"])
        )
    finally:
        if not args.keep_db:
            asyncio.run(drop_database(pg, database))
    return report


def serve_and_load(
    args: argparse.Namespace,
    env: dict[str, str],
    port: int,
    password: str,
    work: Path,
    command: list[str],
) -> dict[str, Any]:
    """Start the server `command`, wait for its /health, load it, stop it."""
    log_path = work / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        sampler = RssSampler(server.pid)
        try:
            health_s = wait_for_health(port, server)
            sampler.mark("idle")
            sampler.start()
            cpu_before = sampler.cpu_seconds()
            loadgen = run_loadgen(args, port, password, sampler)
            cpu_s = sampler.cpu_seconds() - cpu_before
            sampler.mark("after_load")
        finally:
            sampler.stop()
            stopped = stop_server(server)
    rss = sampler.summary()
    opened = max(1, int(loadgen.get("connections_open", 0)))
    per_connection = (sampler.peak_bytes - sampler.marks["idle"]) / opened / 1024
    messages = int(loadgen.get("setup", {}).get("messages_sent", 0)) + loadgen["messages_sent"]
    server_log = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    return {
        "loadgen": loadgen,
        "server": {
            **rss,
            "rss_kib_per_connection": round(per_connection, 1),
            "cpu_s_during_run": round(cpu_s, 2),
            "cpu_us_per_message": round(cpu_s * 1e6 / messages, 1) if messages else None,
            **phase_cpu(sampler, loadgen),
            "health_wait_s": health_s,
            **stopped,
            "log_tail": server_log[-20:],
        },
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    summary: dict[str, Any] = {
        "benchmark": f"ampyre-{args.scenario}",
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": machine(),
        "versions": versions(),
        "scenario": {
            key: getattr(args, key)
            for key in (
                "target",
                "scenario",
                "stations",
                "rate",
                "duration",
                "connect_rate",
                "processes",
            )
        },
    }
    exit_code = 0
    with tempfile.TemporaryDirectory(prefix="ampyre-bench-") as work:
        try:
            summary |= benchmark(args, Path(work))
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as failure:
            summary["failed"] = str(failure)
            exit_code = 1
    loadgen = summary.get("loadgen", {})
    summary["lost"] = loadgen.get("lost")
    summary["errors"] = loadgen.get("errors")
    if not summary.get("persisted", {}).get("all_ok", False):
        exit_code = 1
    json.dump(summary, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
