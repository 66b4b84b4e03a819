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
    """Samples the RSS of a process and its children every `interval_s` in a thread.

    `mark(name)` remembers the current RSS under a name (e.g. "before_load").
    """

    def __init__(self, pid: int, interval_s: float = 0.25) -> None:
        self._process = psutil.Process(pid)
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.peak_bytes = 0
        self.marks: dict[str, int] = {}

    def current_bytes(self) -> int:
        try:
            processes = [self._process, *self._process.children(recursive=True)]
            return sum(p.memory_info().rss for p in processes)
        except psutil.Error:
            return 0

    def cpu_seconds(self) -> float:
        try:
            times = self._process.cpu_times()
        except psutil.Error:
            return 0.0
        return float(times.user + times.system)

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
            time.sleep(self._interval_s)

    def summary(self) -> dict[str, float]:
        mib = 2**20
        result = {f"rss_mb_{name}": round(value / mib, 1) for name, value in self.marks.items()}
        result["rss_mb_peak"] = round(self.peak_bytes / mib, 1)
        return result
