"""Pure parts of bench/loadgen: answer checks, percentiles, splitting, merging, payloads."""

from __future__ import annotations

from array import array
from typing import Any

import loadgen
import pytest
from loadgen_stats import answer_has_right_shape, merge_counters, percentiles, split_evenly
from loadgen_worker import meter_values_payload, status_payload, utc_now
from sim_fakes import assert_valid

NOW = "2026-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("action", "payload", "ok"),
    [
        ("Heartbeat", {"currentTime": NOW}, True),
        ("Heartbeat", {}, False),
        ("StatusNotification", {}, True),
        ("StatusNotification", {"x": 1}, False),
        ("MeterValues", [], False),
        ("BootNotification", {"status": "Accepted", "currentTime": NOW, "interval": 60}, True),
        ("BootNotification", {"status": "Maybe", "currentTime": NOW, "interval": 60}, False),
        ("BootNotification", {"status": "Pending", "currentTime": NOW, "interval": "60"}, False),
        ("StartTransaction", {"transactionId": 1, "idTagInfo": {"status": "Invalid"}}, True),
        ("StartTransaction", {"transactionId": "1", "idTagInfo": {"status": "Accepted"}}, False),
        ("StartTransaction", {"transactionId": 1}, False),
        ("Authorize", {"idTagInfo": {"status": "Accepted"}}, False),
    ],
)
def test_answer_shapes(action: str, payload: Any, ok: bool) -> None:
    assert answer_has_right_shape(action, payload) is ok


def test_percentiles_by_nearest_rank() -> None:
    values = array("d", [float(v) for v in range(1, 101)])
    assert percentiles(values) == {"p50": 50.0, "p95": 95.0, "p99": 99.0, "max": 100.0}
    assert percentiles([]) == {"p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}
    assert percentiles([7.0]) == {"p50": 7.0, "p95": 7.0, "p99": 7.0, "max": 7.0}


def test_split_evenly_and_merge_counters() -> None:
    parts = split_evenly([str(n) for n in range(10)], 3)
    assert [len(p) for p in parts] == [4, 3, 3]
    assert [item for part in parts for item in part] == [str(n) for n in range(10)]
    assert split_evenly(["a", "b"], 5) == [["a"], ["b"]]
    assert merge_counters([{"a": 1}, {"a": 2, "b": 1}]) == {"a": 3, "b": 1}


def test_payloads_are_schema_valid_with_ten_samples() -> None:
    payload = meter_values_payload(12, 4_000, utc_now(), 10)
    assert_valid("MeterValues", payload)
    assert len(payload["meterValue"][0]["sampledValue"]) == 10
    assert len(meter_values_payload(12, 4_000, NOW, 3)["meterValue"][0]["sampledValue"]) == 3
    assert_valid("StatusNotification", status_payload("Charging", utc_now()))


def test_worker_configs_split_stations_and_rates() -> None:
    args = loadgen.parse_args(
        ["--url", "ws://h/ocpp", "--stations", "5", "--processes", "2", "--rate", "100"]
    )
    configs = loadgen.worker_configs(args)
    assert [c.station_ids for c in configs] == [
        ("BENCH-00001", "BENCH-00002", "BENCH-00003"),
        ("BENCH-00004", "BENCH-00005"),
    ]
    assert [c.rate for c in configs] == [60.0, 40.0]
    assert sum(c.connect_rate for c in configs) == pytest.approx(1000.0)


def worker_summary(
    latencies: list[float], sent: int, duration: float, started: float = 1000.0
) -> dict[str, Any]:
    """One worker's summary; its answers arrive one per second from `started` + 1."""
    answered_at = [started + 1.0 + index for index in range(len(latencies))]
    return {
        "connections_target": 2,
        "connections_open": 2,
        "connect": {
            "seconds": 1.0,
            "failures": 1,
            "failures_by_kind": {"HTTP 401": 1},
            "handshake_ms": {},
        },
        "boot": {"Accepted": 2},
        "transactions_started": 2,
        "setup": {
            "messages_sent": 8,
            "answers_ok": 8,
            "errors": 0,
            "lost": 0,
            "errors_by_kind": {},
        },
        "phases": {
            "connect_start": started - 10.0,
            "connect_end": started - 1.0,
            "load_start": started,
            "load_end": started + duration,
        },
        "duration_s": duration,
        "messages_sent": sent,
        "answers_ok": len(latencies),
        "errors": sent - len(latencies),
        "lost": 0,
        "late_answers": 0,
        "skipped_busy": 0,
        "server_calls": 0,
        "sent_by_action": {"Heartbeat": sent},
        "ok_by_action": {"Heartbeat": len(latencies)},
        "errors_by_kind": {"Heartbeat: unexpected answer": sent - len(latencies)},
        "meter_values_ok": 0,
        "samples_ok": 0,
        "msg_per_s": len(latencies) / duration,
        "latency_ms": {},
        "slowest": sorted(
            ((value, at, "Heartbeat") for value, at in zip(latencies, answered_at, strict=True)),
            reverse=True,
        ),
        "_latencies": array("d", latencies).tobytes(),
        "_latencies_by_action": {"Heartbeat": array("d", latencies).tobytes()},
        "_answered_at": array("d", answered_at).tobytes(),
        "_handshakes": array("d", [1.0, 2.0]).tobytes(),
    }


def test_merge_sums_counts_and_pools_latencies() -> None:
    args = loadgen.parse_args(["--url", "ws://h/ocpp", "--stations", "4", "--processes", "2"])
    merged = loadgen.merge(
        [worker_summary([1.0, 2.0], 3, 2.0), worker_summary([3.0, 4.0], 2, 2.5, 1003.0)], args
    )
    assert merged["connections_open"] == 4
    assert merged["messages_sent"] == 5
    assert merged["errors"] == 1
    assert merged["msg_per_s"] == pytest.approx(1.0 + 0.8)
    assert merged["duration_s"] == 2.5
    assert merged["latency_ms"] == {"p50": 2.0, "p95": 4.0, "p99": 4.0, "max": 4.0}
    assert merged["connect"]["failures_by_kind"] == {"HTTP 401": 2}
    assert merged["errors_by_kind"] == {"Heartbeat: unexpected answer": 1}
    assert merged["setup"]["messages_sent"] == 16
    assert "_latencies" not in merged
    assert merged["latency_ms_by_action"] == {"Heartbeat": merged["latency_ms"]}
    assert merged["phases"]["load_start"] == 1000.0
    assert merged["phases"]["load_end"] == 1005.5
    # Answers at +1 s, +2 s (first worker) and +4 s, +5 s (second), in 5 s windows.
    assert merged["p99_ms_per_5s"] == [3.0, 4.0]
    assert [entry["ms"] for entry in merged["slowest"]] == [4.0, 3.0, 2.0, 1.0]
