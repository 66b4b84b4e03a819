"""Counters, answer checks and percentiles of the load generator (no I/O here).

Every CALL the load generator sends ends in exactly one of: `answers_ok` (a CALLRESULT whose
payload has the shape its action requires), `errors` (a CALLERROR, a CALLRESULT of the wrong
shape, or the connection closing under it) or `lost` (no answer within the timeout).
"""

from __future__ import annotations

import heapq
import math
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

SLOWEST_KEPT = 10
BOOT_STATUSES = frozenset({"Accepted", "Pending", "Rejected"})
AUTHORIZATION_STATUSES = frozenset({"Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx"})


def _is_empty_object(payload: Any) -> bool:
    return type(payload) is dict and not payload


def _is_heartbeat(payload: Any) -> bool:
    return type(payload) is dict and type(payload.get("currentTime")) is str


def _is_boot(payload: Any) -> bool:
    return (
        type(payload) is dict
        and payload.get("status") in BOOT_STATUSES
        and type(payload.get("interval")) is int
        and type(payload.get("currentTime")) is str
    )


def _is_start(payload: Any) -> bool:
    if type(payload) is not dict or type(payload.get("transactionId")) is not int:
        return False
    info = payload.get("idTagInfo")
    return type(info) is dict and info.get("status") in AUTHORIZATION_STATUSES


ANSWER_SHAPES: dict[str, Callable[[Any], bool]] = {
    "BootNotification": _is_boot,
    "Heartbeat": _is_heartbeat,
    "StatusNotification": _is_empty_object,
    "MeterValues": _is_empty_object,
    "StartTransaction": _is_start,
}


def answer_has_right_shape(action: str, payload: Any) -> bool:
    """True when `payload` is a valid CALLRESULT payload for `action` (OCPP 1.6 *.conf)."""
    check = ANSWER_SHAPES.get(action)
    return check is not None and check(payload)


@dataclass
class LoadStats:
    """Counters of one load generator process; `latencies_ms` holds one value per OK answer."""

    messages_sent: int = 0
    answers_ok: int = 0
    errors: int = 0
    lost: int = 0
    late_answers: int = 0
    skipped_busy: int = 0
    server_calls: int = 0
    sent_by_action: Counter[str] = field(default_factory=Counter)
    ok_by_action: Counter[str] = field(default_factory=Counter)
    errors_by_kind: Counter[str] = field(default_factory=Counter)
    latencies_ms: array[float] = field(default_factory=lambda: array("d"))
    answered_at: array[float] = field(default_factory=lambda: array("d"))
    """Epoch seconds of each OK answer, parallel to `latencies_ms`."""
    latencies_ms_by_action: dict[str, array[float]] = field(default_factory=dict)
    slowest: list[tuple[float, float, str]] = field(default_factory=list)
    """The `SLOWEST_KEPT` slowest answers: (latency ms, epoch seconds of the answer, action)."""

    def sent(self, action: str) -> None:
        self.messages_sent += 1
        self.sent_by_action[action] += 1

    def answered(self, action: str, latency_ms: float) -> None:
        self.answers_ok += 1
        self.ok_by_action[action] += 1
        self.latencies_ms.append(latency_ms)
        now = time.time()
        self.answered_at.append(now)
        by_action = self.latencies_ms_by_action.get(action)
        if by_action is None:
            by_action = self.latencies_ms_by_action[action] = array("d")
        by_action.append(latency_ms)
        if len(self.slowest) < SLOWEST_KEPT:
            heapq.heappush(self.slowest, (latency_ms, now, action))
        elif latency_ms > self.slowest[0][0]:
            heapq.heapreplace(self.slowest, (latency_ms, now, action))

    def failed(self, kind: str) -> None:
        self.errors += 1
        self.errors_by_kind[kind] += 1


def percentiles(values: Sequence[float] | array[float]) -> dict[str, float]:
    """p50/p95/p99/max by nearest rank, rounded to µs; zeros when there is no value."""
    if not values:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}
    ordered = sorted(values)
    n = len(ordered)

    def rank(p: float) -> float:
        return round(ordered[max(0, math.ceil(p * n) - 1)], 3)

    return {"p50": rank(0.50), "p95": rank(0.95), "p99": rank(0.99), "max": round(ordered[-1], 3)}


def p99_by_window(
    latencies: Sequence[float], times: Sequence[float], start: float, window_s: float
) -> list[float]:
    """p99 latency of the answers in each `window_s` window from `start` (epoch seconds)."""
    windows: dict[int, list[float]] = {}
    for latency, at in zip(latencies, times, strict=True):
        windows.setdefault(int((at - start) // window_s), []).append(latency)
    if not windows:
        return []
    return [
        percentiles(windows.get(index, []))["p99"]
        for index in range(min(windows), max(windows) + 1)
    ]


def merge_counters(counters: Iterable[dict[str, int]]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for counter in counters:
        total.update(counter)
    return dict(sorted(total.items()))


def split_evenly(items: Sequence[str], parts: int) -> list[list[str]]:
    """Contiguous slices of `items`, sizes differing by at most one, none empty."""
    parts = max(1, min(parts, len(items)))
    size, extra = divmod(len(items), parts)
    slices: list[list[str]] = []
    start = 0
    for index in range(parts):
        end = start + size + (1 if index < extra else 0)
        slices.append(list(items[start:end]))
        start = end
    return slices
