"""Limits on a session started by the operator: stop after so many kWh and/or minutes.

OCPP 1.6 charging profiles limit power or current, not energy, so Ampyre enforces an energy
limit itself (RemoteStopTransaction once the register shows it was reached) and a time limit
likewise, whatever the station supports. Energy in Wh, durations in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ampyre.domain.errors import ValidationFailed

MAX_ENERGY_LIMIT_WH = 1_000_000
"""1 MWh: far above any battery; larger values are typing mistakes."""
MAX_DURATION_LIMIT_S = 7 * 24 * 3600

REMOTE_START_VALIDITY_S = 600
"""How long a remote start waits for the station's StartTransaction to claim its limits
(longer than any sensible OCPP 1.6 ConnectionTimeOut)."""


@dataclass(frozen=True, slots=True)
class ChargingLimit:
    """At least one of ``energy_wh`` and ``duration_s`` is set; both must be positive."""

    energy_wh: int | None = None
    duration_s: int | None = None

    def __post_init__(self) -> None:
        if self.energy_wh is None and self.duration_s is None:
            raise ValidationFailed("a charging limit needs an energy or a duration")
        if self.energy_wh is not None and not 0 < self.energy_wh <= MAX_ENERGY_LIMIT_WH:
            raise ValidationFailed(f"an energy limit must be 1..{MAX_ENERGY_LIMIT_WH} Wh")
        if self.duration_s is not None and not 0 < self.duration_s <= MAX_DURATION_LIMIT_S:
            raise ValidationFailed("a time limit must be between 1 second and 7 days")


@dataclass(frozen=True, slots=True)
class LimitedSession:
    """What the enforcer needs to know about a running transaction with a limit."""

    transaction_id: int
    station_id: str
    meter_start_wh: int
    started_at: datetime
    limit: ChargingLimit

    def deadline(self) -> datetime | None:
        if self.limit.duration_s is None:
            return None
        return self.started_at + timedelta(seconds=self.limit.duration_s)

    def reached(self, *, register_wh: int | None, now: datetime) -> str | None:
        """Why the session must stop now ("energy" / "time"), or None to let it run."""
        if (
            self.limit.energy_wh is not None
            and register_wh is not None
            and register_wh - self.meter_start_wh >= self.limit.energy_wh
        ):
            return "energy"
        deadline = self.deadline()
        if deadline is not None and now >= deadline:
            return "time"
        return None


@dataclass(frozen=True, slots=True)
class RemoteStartRequest:
    """A remote start an operator asked for, waiting for the station's StartTransaction.

    ``connector_id`` None means the station chooses the connector.
    """

    id: int | None
    station_id: str
    id_tag: str
    connector_id: int | None
    limit: ChargingLimit | None
    requested_by: str
    requested_at: datetime
    expires_at: datetime
    transaction_id: int | None = None

    def matches(self, *, station_id: str, id_tag: str, connector_id: int, at: datetime) -> bool:
        return (
            self.transaction_id is None
            and self.station_id == station_id
            and self.id_tag == id_tag
            and (self.connector_id is None or self.connector_id == connector_id)
            and self.requested_at - timedelta(seconds=5) <= at <= self.expires_at
        )
