"""What a benchmark figure needs next to it: the machine, the versions, the server's memory."""

from __future__ import annotations

import os
import platform
import threading
import time
from importlib import metadata
from typing import Any

import psutil  # type: ignore[import-untyped]

PACKAGES = (
    "ampyre",
    "websockets",
    "uvicorn",
    "uvloop",
    "httptools",
    "starlette",
    "fastapi",
    "sqlalchemy",
    "asyncpg",
    "alembic",
    "orjson",
    "jsonschema-rs",
    "pydantic",
    "psutil",
)


def machine() -> dict[str, Any]:
    memory = psutil.virtual_memory()
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": round(memory.total / 2**30, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def versions() -> dict[str, str]:
    found = {}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


class RssSampler:
    """Samples the RSS of a process and its children every `interval_s` in a thread, and the
    CPU time of that process (and of processes added with `watch_cpu`) with a wall-clock stamp.

    `mark(name)` remembers the current RSS under a name (e.g. "before_load");
    `cpu_between(t0, t1)` is the CPU seconds the server spent between two epoch times.
    """

    def __init__(self, pid: int, interval_s: float = 0.25) -> None:
        self._process = psutil.Process(pid)
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._watched: list[psutil.Process] = []
        self._lock = threading.Lock()
        self.peak_bytes = 0
        self.marks: dict[str, int] = {}
        self.timeline: list[tuple[float, float, float]] = []
        """(epoch seconds, server CPU seconds, watched processes' CPU seconds)."""

    def current_bytes(self) -> int:
        try:
            processes = [self._process, *self._process.children(recursive=True)]
            return sum(p.memory_info().rss for p in processes)
        except psutil.Error:
            return 0

    def cpu_seconds(self) -> float:
        return _cpu_seconds(self._process)

    def watch_cpu(self, pid: int) -> None:
        """Also sample the CPU time of `pid` and its children (e.g. the load generator)."""
        with self._lock:
            self._watched.append(psutil.Process(pid))

    def watched_cpu_seconds(self) -> float:
        with self._lock:
            watched = list(self._watched)
        total = 0.0
        for process in watched:
            try:
                family = [process, *process.children(recursive=True)]
            except psutil.Error:
                family = [process]
            total += sum(_cpu_seconds(p) for p in family)
        return total

    def mark(self, name: str) -> int:
        rss = self.current_bytes()
        self.marks[name] = rss
        self.peak_bytes = max(self.peak_bytes, rss)
        return rss

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_bytes = max(self.peak_bytes, self.current_bytes())
            self.timeline.append((time.time(), self.cpu_seconds(), self.watched_cpu_seconds()))
            time.sleep(self._interval_s)

    def cpu_between(self, start: float, end: float) -> tuple[float, float]:
        """(server, watched) CPU seconds between two epoch times, from the nearest samples
        inside the interval; (0, 0) when the interval holds fewer than two samples."""
        inside = [sample for sample in self.timeline if start <= sample[0] <= end]
        if len(inside) < 2:
            return 0.0, 0.0
        first, last = inside[0], inside[-1]
        return last[1] - first[1], last[2] - first[2]

    def span_between(self, start: float, end: float) -> float:
        """Wall seconds covered by the samples `cpu_between` uses."""
        inside = [sample[0] for sample in self.timeline if start <= sample[0] <= end]
        return inside[-1] - inside[0] if len(inside) >= 2 else 0.0

    def summary(self) -> dict[str, float]:
        mib = 2**20
        result = {f"rss_mb_{name}": round(value / mib, 1) for name, value in self.marks.items()}
        result["rss_mb_peak"] = round(self.peak_bytes / mib, 1)
        return result


def _cpu_seconds(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
    except psutil.Error:
        return 0.0
    return float(times.user + times.system)
