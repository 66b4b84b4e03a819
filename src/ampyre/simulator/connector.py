"""State of one connector of a simulated station and of the session running on it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from ampyre.simulator.behaviour import DriverPlan
from ampyre.simulator.meter import ChargingMeter


@dataclass
class ChargingSession:
    """A car on a connector, from plug-in (Preparing) until the cable is removed.

    `transaction_id` is set once the CSMS answered StartTransaction. `wake` interrupts the
    session's current wait: to stop it (after `request_stop`) or to pick up a changed
    MeterValueSampleInterval.
    """

    connector_id: int
    plan: DriverPlan
    meter: ChargingMeter
    remote: bool
    transaction_id: int | None = None
    stop_reason: str | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def id_tag(self) -> str:
        return self.plan.id_tag

    def request_stop(self, reason: str) -> None:
        """Ask the session to end with this StopTransaction reason (the first reason wins)."""
        if self.stop_reason is None:
            self.stop_reason = reason
        self.wake.set()


@dataclass
class Connector:
    """One OCPP 1.6 connector (id >= 1).

    `operative` is the availability set by ChangeAvailability; `unavailable_scheduled` marks an
    Inoperative request answered `Scheduled` that applies when the current session ends.
    `register_wh` is the connector's energy meter, carried over from session to session.
    """

    connector_id: int
    register_wh: float
    status: str = "Available"
    operative: bool = True
    unavailable_scheduled: bool = False
    session: ChargingSession | None = None

    @property
    def is_free(self) -> bool:
        """A new session may start here."""
        return self.operative and self.session is None and self.status == "Available"

    def idle_status(self) -> str:
        """Status once no session occupies the connector."""
        return "Available" if self.operative else "Unavailable"
