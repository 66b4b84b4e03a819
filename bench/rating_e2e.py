"""Rating stored sessions into CDRs on PostgreSQL, end to end (PERFORMANCE.md P5).

    .venv/bin/python bench/rating_e2e.py --sessions 20000 --batches 500,1000,2000
    .venv/bin/python bench/rating_e2e.py --sessions 20000 --profile    # + where time goes

Creates a throwaway database (`ampyre.db.testing`, on `--pg-url`, default
postgresql://postgres@127.0.0.1:5432/test), migrates it, stores the sessions of
`bench/rating.py` as completed transactions with their meter values and status history
(`bench/rating_db.py`, not measured), creates the time-of-use tariff and assigns it to the
network through `TariffService`. Then, for each run, empties `cdrs` and times rating every
transaction into a CDR with `RatingService.do_rate_pending(batch)` in a loop: one worker per
batch size, then two workers as two asyncio tasks in one process and as two processes.
After each run it checks that every transaction has exactly one CDR and that the CDR totals
add up to the engine-alone sum. Prints one JSON summary; exits 1 only when a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import json
import multiprocessing
import pstats
import sys
import time
from collections.abc import Callable
from multiprocessing.synchronize import Barrier, Event
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import psutil  # type: ignore[import-untyped]
import uvloop
from bench_env import machine, versions
from rating import (
    TIME_ZONE,
    bench_engine,
    expected_total,
    generate_sessions,
    make_tariff,
    server_gc,
    session_mix,
    usage_of,
)
from rating_db import check_cdrs, reset_cdrs, store_sessions
from sqlalchemy.engine import make_url

from ampyre.db import testing
from ampyre.db.engine import create_engine
from ampyre.db.schema import upgrade
from ampyre.db.uow import uow_factory
from ampyre.domain.rating.assignment import AssignmentScope, TariffAssignment
from ampyre.services.access import Actor
from ampyre.services.clock import SystemClock
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.rating import RatingService
from ampyre.services.records import Role
from ampyre.services.tariffs import TariffService

TARIFF_ID = "BENCH-TOU"
DEFAULT_PG = f"${testing.POSTGRES_URL_ENV} or {testing.DEFAULT_POSTGRES_URL}"
PROFILE_STAGES = (
    # (label, file suffix, function name): cumulative CPU of each stage under cProfile
    ("do_rate_pending", "services/rating.py", "do_rate_pending"),
    ("fetch_pending_transactions", "repositories/usage.py", "waiting_for_rating"),
    ("fetch_station_facts", "repositories/usage.py", "station_facts"),
    ("fetch_meter_readings", "repositories/usage.py", "_readings"),
    ("fetch_suspended_intervals", "repositories/usage.py", "_suspended"),
    ("fetch_tariff_assignments", "repositories/tariffs.py", "assignments"),
    ("fetch_tariffs", "repositories/tariffs.py", "get_many"),
    ("rate_session", "rating/engine.py", "rate_session"),
    ("build_cdr", "rating/cdr.py", "from_priced"),
    ("cdr_rows", "repositories/cdrs.py", "cdr_columns"),
    ("insert_cdrs", "repositories/cdrs.py", "add_many"),
    ("commit", "db/uow.py", "commit"),
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20_000)
    parser.add_argument("--samples", type=int, default=60, help="meter samples per session")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-power", action="store_true", help="register readings only")
    parser.add_argument("--stations", type=int, default=1000, help="2 connectors each")
    parser.add_argument("--batches", default="500,1000,2000", help="batch sizes, one worker")
    parser.add_argument("--concurrent-batch", type=int, default=1000, help="batch, 2 workers")
    parser.add_argument("--workers", type=int, default=2, help="concurrent workers")
    parser.add_argument("--profile", action="store_true", help="cProfile one 1-worker run")
    parser.add_argument(
        "--default-gc",
        action="store_true",
        help="keep Python's default collector settings (default: those of `ampyre serve`)",
    )
    parser.add_argument(
        "--pg-url", default=None, help=f"database to create the benchmark's from ({DEFAULT_PG})"
    )
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    return parser.parse_args(argv)


def asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def setup(url: str, args: argparse.Namespace, specs: list[Any]) -> dict[str, Any]:
    """Migrate, store the sessions, create and assign the tariff; returns timings/counts."""
    started = time.perf_counter()
    await upgrade(url)
    migrated = time.perf_counter()
    rows = await store_sessions(
        asyncpg_dsn(url), specs, stations=args.stations, power=not args.no_power
    )
    stored = time.perf_counter()
    engine = create_engine(url)
    try:
        tariffs = TariffService(uow_factory(engine), SystemClock())
        admin = Actor("bench", Role.ADMIN)
        await tariffs.do_create_tariff(admin, TARIFF_ID, "Benchmark time of use", make_tariff())
        await tariffs.do_assign(admin, TariffAssignment(TARIFF_ID, AssignmentScope.NETWORK))
    finally:
        await engine.dispose()
    return {
        "rows": rows,
        "db_upgrade_s": round(migrated - started, 2),
        "store_s": round(stored - migrated, 2),
    }


async def rate_until_done(service: RatingService, uows: UnitOfWorkFactory, batch: int) -> int:
    """Call `do_rate_pending` until no completed transaction lacks a CDR; returns CDRs
    written. A 0 from a concurrent worker can mean "the other one won": look again."""
    written = 0
    while True:
        count = await service.do_rate_pending(batch)
        written += count
        if count == 0 and not await _pending(uows):
            return written


async def _pending(uows: UnitOfWorkFactory) -> bool:
    async with uows() as uow:
        return bool(await uow.usage.waiting_for_rating(1))


async def _open_connections(uows: UnitOfWorkFactory, count: int) -> None:
    """Check out `count` pooled connections at once, so no run pays for connecting."""
    barrier = asyncio.Barrier(count)

    async def hold() -> None:
        async with uows() as uow:
            await uow.usage.waiting_for_rating(1)
            await barrier.wait()

    await asyncio.gather(*(hold() for _ in range(count)))


async def backend_cpu(dsn: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL client backend on the bench database (but this one)."""
    connection = await asyncpg.connect(dsn)
    try:
        pids = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
    finally:
        await connection.close()
    cpu: dict[int, float] = {}
    for row in pids:
        try:
            times = psutil.Process(row["pid"]).cpu_times()
        except psutil.Error:
            continue
        cpu[row["pid"]] = float(times.user + times.system)
    return cpu


def _cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(value - before.get(pid, 0.0) for pid, value in after.items())


async def run_in_process(
    url: str, batch: int, workers: int, profiler: cProfile.Profile | None = None
) -> dict[str, Any]:
    """`workers` asyncio tasks in this process share one engine (pool) and one core."""
    engine = create_engine(url)
    try:
        uows = uow_factory(engine)
        service = RatingService(uows, SystemClock())
        await _open_connections(uows, workers)
        pg_before = await backend_cpu(asyncpg_dsn(url))
        cpu_before = time.process_time()
        started = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        written = await asyncio.gather(
            *(rate_until_done(service, uows, batch) for _ in range(workers))
        )
        if profiler is not None:
            profiler.disable()
        wall_s = time.perf_counter() - started
        client_cpu_s = time.process_time() - cpu_before
        pg_cpu_s = _cpu_delta(pg_before, await backend_cpu(asyncpg_dsn(url)))
    finally:
        await engine.dispose()
    return _run_figures(sum(written), wall_s, client_cpu_s, pg_cpu_s, list(written))


def _child(
    url: str,
    batch: int,
    gc_like_server: bool,
    ready: Barrier,
    go: Event,
    results: Any,
    release: Event,
) -> None:
    """One rating process: connect, wait for the start, rate, report, wait to be released
    (its database backend is measured before it disconnects)."""
    if gc_like_server:
        server_gc()

    async def main() -> None:
        engine = create_engine(url)
        try:
            uows = uow_factory(engine)
            service = RatingService(uows, SystemClock())
            await _open_connections(uows, 1)
            ready.wait()
            go.wait()
            cpu_before = time.process_time()
            written = await rate_until_done(service, uows, batch)
            results.put((written, time.process_time() - cpu_before))
            release.wait()
        finally:
            await engine.dispose()

    uvloop.run(main())


async def run_in_processes(
    url: str, batch: int, workers: int, gc_like_server: bool
) -> dict[str, Any]:
    """`workers` OS processes, each with its own engine and event loop."""
    context = multiprocessing.get_context("spawn")
    ready, go, release = context.Barrier(workers + 1), context.Event(), context.Event()
    results = context.Queue()
    children = [
        context.Process(
            target=_child, args=(url, batch, gc_like_server, ready, go, results, release)
        )
        for _ in range(workers)
    ]
    for child in children:
        child.start()
    try:
        await asyncio.to_thread(ready.wait, 120)
        pg_before = await backend_cpu(asyncpg_dsn(url))
        started = time.perf_counter()
        go.set()
        reports = [await asyncio.to_thread(results.get, True, 3600) for _ in children]
        wall_s = time.perf_counter() - started
        pg_cpu_s = _cpu_delta(pg_before, await backend_cpu(asyncpg_dsn(url)))
    finally:
        release.set()
        for child in children:
            child.join(60)
    written = [r[0] for r in reports]
    return _run_figures(sum(written), wall_s, sum(r[1] for r in reports), pg_cpu_s, written)


def _run_figures(
    written: int, wall_s: float, client_cpu_s: float, pg_cpu_s: float, per_worker: list[int]
) -> dict[str, Any]:
    return {
        "cdrs_written": written,
        "cdrs_per_worker": per_worker,
        "wall_s": round(wall_s, 3),
        "sessions_per_s": round(written / wall_s) if wall_s else None,
        "client_cpu_s": round(client_cpu_s, 3),
        "client_cpu_us_per_session": round(client_cpu_s * 1e6 / written, 1) if written else None,
        "postgres_cpu_s": round(pg_cpu_s, 3),
        "postgres_cpu_us_per_session": round(pg_cpu_s * 1e6 / written, 1) if written else None,
    }


def profile_summary(profiler: cProfile.Profile, sessions: int, top: int = 25) -> dict[str, Any]:
    """CPU µs per session of each rating stage, and the functions with most own time."""
    sessions = max(1, sessions)
    stats = pstats.Stats(profiler)
    entries: dict[tuple[str, int, str], Any] = stats.stats  # type: ignore[attr-defined]
    stages: dict[str, float] = {}
    for label, suffix, name in PROFILE_STAGES:
        cumulative = sum(
            value[3] for (path, _, func), value in entries.items()
            if func == name and path.endswith(suffix)
        )  # fmt: skip
        stages[label] = round(cumulative * 1e6 / sessions, 1)
    own = sorted(entries.items(), key=lambda item: item[1][2], reverse=True)[:top]
    return {
        "note": "cProfile CPU per session (profiling inflates it); stages nest inside "
        "do_rate_pending, fetches exclude the wait for PostgreSQL",
        "stages_us_per_session": stages,
        "top_own_time": [
            {
                "function": f"{Path(path).name}:{line}({func})",
                "calls": value[1],
                "own_us_per_session": round(value[2] * 1e6 / sessions, 1),
                "cumulative_us_per_session": round(value[3] * 1e6 / sessions, 1),
            }
            for (path, line, func), value in own
        ],
    }


async def benchmark(args: argparse.Namespace, url: str, specs: list[Any]) -> dict[str, Any]:
    report: dict[str, Any] = {"setup": await setup(url, args, specs)}
    tariff = make_tariff()
    expected = expected_total(specs, tariff, power=not args.no_power)
    report["engine_alone"] = bench_engine(
        [usage_of(s, power=not args.no_power) for s in specs], tariff
    )
    dsn = asyncpg_dsn(url)
    n, cb = args.workers, args.concurrent_batch
    server_like = not args.default_gc
    plans: list[tuple[str, Callable[[], Any]]] = [
        (f"1 worker, batch {b}", functools.partial(run_in_process, url, b, 1))
        for b in (int(x) for x in args.batches.split(","))
    ]
    plans.append((f"{n} tasks, batch {cb}", lambda: run_in_process(url, cb, n)))
    plans.append((f"{n} processes, batch {cb}", lambda: run_in_processes(url, cb, n, server_like)))
    if server_like:
        server_gc()
    runs = []
    for label, run in plans:
        await reset_cdrs(dsn)
        figures = await run()
        runs.append({"run": label, **figures, "check": await check_cdrs(dsn, expected)})
        print(json.dumps(runs[-1]), file=sys.stderr)  # progress
    report["runs"] = runs
    if args.profile:
        await reset_cdrs(dsn)
        profiler = cProfile.Profile()
        batch = int(args.batches.split(",")[0])
        figures = await run_in_process(url, batch, 1, profiler)
        report["profile"] = {
            "run": f"1 worker, batch {batch}, under cProfile",
            **figures,
            **profile_summary(profiler, figures["cdrs_written"]),
            "check": await check_cdrs(dsn, expected),
        }
    report["expected_sum_total"] = {
        "excl_vat": str(expected.excl_vat),
        "incl_vat": str(expected.incl_vat),
    }
    return report


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    specs = generate_sessions(args.sessions, samples=args.samples, seed=args.seed)
    summary: dict[str, Any] = {
        "benchmark": "ampyre-rating-e2e",
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": machine(),
        "versions": versions(),
        "scenario": {
            "sessions": args.sessions,
            "samples_per_session": args.samples,
            "power_samples": not args.no_power,
            "stations": args.stations,
            "gc": "default" if args.default_gc else "like ampyre serve",
            "seed": args.seed,
            "time_zone": TIME_ZONE,
            "mix": session_mix(specs),
        },
        "target_sessions_per_s": 10_000,
    }
    try:
        url = uvloop.run(testing.create_postgres_database(args.pg_url))
    except Exception as failure:  # a benchmark always prints its summary
        summary["failed"] = f"cannot create the benchmark database: {failure!r}"
        url = None
    if url is not None:
        summary["database"] = make_url(url).database
        try:
            summary["postgresql"] = uvloop.run(_server_version(url))
            summary |= uvloop.run(benchmark(args, url, specs))
        except Exception as failure:
            summary["failed"] = repr(failure)
        finally:
            if not args.keep_db:
                uvloop.run(testing.drop_postgres_database(url, args.pg_url))
    checks = [r["check"]["ok"] for r in summary.get("runs", [])]
    summary["all_ok"] = bool(checks) and all(checks) and "failed" not in summary
    json.dump(summary, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0 if summary["all_ok"] else 1


async def _server_version(url: str) -> str:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()


if __name__ == "__main__":
    sys.exit(main())
