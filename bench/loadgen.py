"""OCPP 1.6J load generator: N authenticated stations, mixed traffic, every answer checked.

    python bench/loadgen.py --url ws://127.0.0.1:8180/ocpp --stations 10000 \
        --password secret --id-prefix BENCH --rate 5000 --duration 60 --processes 2

Prints one JSON summary on stdout (see bench/README.md for the fields). `--processes K`
splits the stations (and the rates) over K OS processes, which start the load together and
whose summaries are merged. Runs on uvloop.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import queue
import sys
from array import array
from multiprocessing.synchronize import Barrier
from typing import Any

import uvloop
from loadgen_stats import merge_counters, p99_by_window, percentiles, split_evenly
from loadgen_worker import Worker, WorkerConfig

SCENARIOS = ("mixed", "connections")
PEER_WAIT_S = 600.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="CSMS endpoint, e.g. ws://127.0.0.1:8180/ocpp")
    parser.add_argument("--stations", type=int, default=100, help="connections to open")
    parser.add_argument("--password", default=None, help="Basic auth password of every station")
    parser.add_argument("--id-prefix", default="BENCH", help="station ids are PREFIX-00001...")
    parser.add_argument("--first", type=int, default=1, help="number of the first station id")
    parser.add_argument("--scenario", choices=SCENARIOS, default="mixed")
    parser.add_argument("--rate", type=float, default=1000.0, help="total target msg/s")
    parser.add_argument("--duration", type=float, default=10.0, help="load (or hold) seconds")
    parser.add_argument("--connect-rate", type=float, default=1000.0, help="new connections/s")
    parser.add_argument("--processes", type=int, default=1, help="OS processes to split into")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before a call is lost")
    parser.add_argument("--id-tag", default="BENCH-TAG", help="idTag of the StartTransactions")
    parser.add_argument("--samples", type=int, default=10, help="sampled values per MeterValues")
    args = parser.parse_args(argv)
    if args.stations < 1 or args.processes < 1 or args.rate <= 0 or args.connect_rate <= 0:
        parser.error("--stations, --processes, --rate and --connect-rate must be positive")
    if not 1 <= args.samples <= 10:
        parser.error("--samples must be between 1 and 10")
    return args


def station_ids(prefix: str, first: int, count: int) -> list[str]:
    return [f"{prefix}-{n:05d}" for n in range(first, first + count)]


def worker_configs(args: argparse.Namespace) -> list[WorkerConfig]:
    """One config per process, each with its slice of stations and its share of the rates."""
    slices = split_evenly(station_ids(args.id_prefix, args.first, args.stations), args.processes)
    total = args.stations
    return [
        WorkerConfig(
            url=args.url,
            station_ids=tuple(ids),
            password=args.password,
            scenario=args.scenario,
            rate=args.rate * len(ids) / total,
            duration=args.duration,
            connect_rate=args.connect_rate * len(ids) / total,
            timeout=args.timeout,
            id_tag=args.id_tag,
            samples=args.samples,
        )
        for ids in slices
    ]


def run_worker(config: WorkerConfig, barrier: Barrier | None = None) -> dict[str, Any]:
    """Run one worker on uvloop; with a barrier, start the load together with the others."""

    def wait_for_peers() -> None:
        if barrier is not None:
            barrier.wait(PEER_WAIT_S)

    return uvloop.run(Worker(config).run(wait_for_peers))


def _child(config: WorkerConfig, barrier: Barrier, results: Any, index: int) -> None:
    logging.basicConfig(level=logging.WARNING)
    results.put((index, run_worker(config, barrier)))


def run_processes(configs: list[WorkerConfig]) -> list[dict[str, Any]]:
    """Run each config in its own process (spawn); returns their summaries in order."""
    if len(configs) == 1:
        return [run_worker(configs[0])]
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(configs))
    results = context.Queue()
    children = [
        context.Process(target=_child, args=(config, barrier, results, index), daemon=True)
        for index, config in enumerate(configs)
    ]
    for child in children:
        child.start()
    collected: dict[int, dict[str, Any]] = {}
    while len(collected) < len(children):
        try:
            index, summary = results.get(timeout=1.0)
        except queue.Empty:
            failed = [c.exitcode for c in children if c.exitcode not in (None, 0)]
            if failed:
                for child in children:
                    child.terminate()
                raise RuntimeError(
                    f"a load generator process failed (exit codes {failed})"
                ) from None
            continue
        collected[index] = summary
    for child in children:
        child.join()
    return [collected[index] for index in range(len(children))]


def merge(summaries: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    """One summary for all processes: sums, max durations, percentiles over all samples."""
    latencies: array[float] = array("d")
    answered_at: array[float] = array("d")
    handshakes: array[float] = array("d")
    by_action: dict[str, array[float]] = {}
    for summary in summaries:
        latencies.frombytes(summary["_latencies"])
        answered_at.frombytes(summary["_answered_at"])
        handshakes.frombytes(summary["_handshakes"])
        for action, raw in summary["_latencies_by_action"].items():
            by_action.setdefault(action, array("d")).frombytes(raw)

    def total(key: str) -> int:
        return sum(int(s[key]) for s in summaries)

    duration = max(float(s["duration_s"]) for s in summaries)
    phases = {
        name: pick(s["phases"][name] for s in summaries)
        for name, pick in (
            ("connect_start", min),
            ("connect_end", max),
            ("load_start", min),
            ("load_end", max),
        )
    }
    return {
        "scenario": args.scenario,
        "url": args.url,
        "processes": len(summaries),
        "rate_target": args.rate if args.scenario == "mixed" else 0,
        "station_ids": f"{args.id_prefix}-{args.first:05d}..{args.id_prefix}-"
        f"{args.first + args.stations - 1:05d}",
        "connections_target": total("connections_target"),
        "connections_open": total("connections_open"),
        "connect": {
            "seconds": max(s["connect"]["seconds"] for s in summaries),
            "failures": sum(s["connect"]["failures"] for s in summaries),
            "failures_by_kind": merge_counters(s["connect"]["failures_by_kind"] for s in summaries),
            "handshake_ms": percentiles(handshakes),
        },
        "boot": merge_counters(s["boot"] for s in summaries),
        "transactions_started": total("transactions_started"),
        "setup": {
            key: sum(int(s["setup"][key]) for s in summaries)
            for key in ("messages_sent", "answers_ok", "errors", "lost")
        },
        "phases": phases,
        "duration_s": duration,
        "messages_sent": total("messages_sent"),
        "answers_ok": total("answers_ok"),
        "errors": total("errors"),
        "lost": total("lost"),
        "late_answers": total("late_answers"),
        "skipped_busy": total("skipped_busy"),
        "server_calls": total("server_calls"),
        "msg_per_s": round(sum(float(s["msg_per_s"]) for s in summaries), 1),
        "latency_ms": percentiles(latencies),
        "p99_ms_per_5s": p99_by_window(latencies, answered_at, phases["load_start"], 5.0),
        "slowest": [
            {"ms": round(ms, 1), "at": round(at, 3), "action": action}
            for ms, at, action in sorted(
                (tuple(entry) for s in summaries for entry in s["slowest"]), reverse=True
            )[:10]
        ],
        "latency_ms_by_action": {
            action: percentiles(values) for action, values in sorted(by_action.items())
        },
        "sent_by_action": merge_counters(s["sent_by_action"] for s in summaries),
        "ok_by_action": merge_counters(s["ok_by_action"] for s in summaries),
        "errors_by_kind": merge_counters(
            [
                *(s["errors_by_kind"] for s in summaries),
                *(s["setup"]["errors_by_kind"] for s in summaries),
            ]
        ),
        "meter_values_ok": total("meter_values_ok"),
        "samples_ok": total("samples_ok"),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    summaries = run_processes(worker_configs(args))
    summary = merge(summaries, args)
    json.dump(summary, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
