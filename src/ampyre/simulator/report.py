"""Counters collected while a simulation runs, shared by all its stations."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SimulationReport:
    """What happened during a simulation run.

    `errors` counts every CALL of ours that did not get a CALLRESULT (CALLERROR, timeout or
    connection lost while waiting); `reconnects` counts connections re-established after a
    drop or a reset (the first connection of each station is not a reconnect).
    """

    stations: int = 0
    messages_sent: Counter[str] = field(default_factory=Counter)
    commands_received: Counter[str] = field(default_factory=Counter)
    boot_results: Counter[str] = field(default_factory=Counter)
    call_errors: int = 0
    call_timeouts: int = 0
    connection_losses: int = 0
    connect_failures: int = 0
    reconnects: int = 0
    sessions_started: int = 0
    sessions_completed: int = 0
    sessions_refused: int = 0
    energy_delivered_wh: int = 0

    @property
    def total_messages_sent(self) -> int:
        return sum(self.messages_sent.values())

    @property
    def errors(self) -> int:
        return self.call_errors + self.call_timeouts + self.connection_losses

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "stations": self.stations,
            "messages_sent": self.total_messages_sent,
            "messages_by_action": dict(sorted(self.messages_sent.items())),
            "commands_received": dict(sorted(self.commands_received.items())),
            "boot_results": dict(sorted(self.boot_results.items())),
            "errors": self.errors,
            "call_errors": self.call_errors,
            "call_timeouts": self.call_timeouts,
            "connection_losses": self.connection_losses,
            "connect_failures": self.connect_failures,
            "reconnects": self.reconnects,
            "sessions_started": self.sessions_started,
            "sessions_completed": self.sessions_completed,
            "sessions_refused": self.sessions_refused,
            "energy_delivered_kwh": round(self.energy_delivered_wh / 1000, 3),
        }
