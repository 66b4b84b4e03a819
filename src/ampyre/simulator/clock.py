"""Accelerated simulation time.

Simulated seconds run `speed` times faster than real ones: a meter interval of 10 simulated
seconds at speed 50 is a real wait of 0.2 s, and the energy delivered in it is that of 10 s.
Timestamps put on the wire are the real UTC time (the stations' clock), so a CSMS sees the
messages when they really happen.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime


class SimClock:
    """Converts between real and simulated seconds; all simulator waits go through it."""

    def __init__(self, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.speed = speed
        self._origin = time.monotonic()

    def elapsed(self) -> float:
        """Simulated seconds since the clock was created (monotonic)."""
        return (time.monotonic() - self._origin) * self.speed

    def to_real(self, simulated_seconds: float) -> float:
        """Real seconds a simulated wait takes."""
        return max(0.0, simulated_seconds) / self.speed

    async def sleep(self, simulated_seconds: float) -> None:
        """Sleep for `simulated_seconds` of simulated time."""
        await asyncio.sleep(self.to_real(simulated_seconds))

    async def wait_for(self, event: asyncio.Event, simulated_seconds: float) -> bool:
        """Wait until `event` is set or the simulated timeout passes; True if the event is set."""
        if event.is_set():
            return True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), self.to_real(simulated_seconds))
        return event.is_set()


def utc_timestamp() -> str:
    """Current UTC time as OCPP wants it: ISO 8601 with milliseconds and a `Z` suffix."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
