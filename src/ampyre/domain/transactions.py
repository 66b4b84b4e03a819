"""Charging transactions (sessions) and the rules for starting, metering and stopping them.

OCPP 1.6 §4.8 / §5.17: a station reports start and stop with its own meter readings and
timestamps; messages may be retransmitted or replayed after an offline period, so every rule
here is idempotent.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from ampyre.domain.errors import ValidationFailed


class StopReason(StrEnum):
    """OCPP 1.6 §7.31 Reason."""

    EMERGENCY_STOP = "EmergencyStop"
    EV_DISCONNECTED = "EVDisconnected"
    HARD_RESET = "HardReset"
    LOCAL = "Local"
    OTHER = "Other"
    POWER_LOSS = "PowerLoss"
    REBOOT = "Reboot"
    REMOTE = "Remote"
    SOFT_RESET = "SoftReset"
    UNLOCK_COMMAND = "UnlockCommand"
    DE_AUTHORIZED = "DeAuthorized"


class TransactionState(StrEnum):
    ACTIVE = "Active"
    COMPLETED = "Completed"


class TransactionFlag(StrEnum):
    """Why a transaction needs an operator's eye."""

    CLOSED_BY_CSMS = "closed_by_csms"
    """The station never stopped it (it rebooted or started another on the same connector)."""
    REGISTER_WENT_BACKWARDS = "register_went_backwards"
    """A meter reading was lower than an earlier one: not to be billed blindly."""
    STARTED_OFFLINE = "started_offline"
    """The start reached Ampyre long after the station's start time (offline replay)."""
    NOT_AUTHORIZED = "not_authorized"
    """The id tag was not accepted at start; the station may stop it
    (StopTransactionOnInvalidId)."""


OFFLINE_START_THRESHOLD_S = 300
"""A start reported more than 5 minutes after its own timestamp counts as an offline start."""


@dataclass(frozen=True, slots=True)
class StartRequest:
    """A StartTransaction as received (OCPP 1.6 §4.8)."""

    station_id: str
    connector_id: int
    id_tag: str
    meter_start_wh: int
    station_time: datetime
    received_at: datetime
    reservation_id: int | None = None

    def __post_init__(self) -> None:
        if self.connector_id < 1:
            raise ValidationFailed("a transaction runs on a connector numbered from 1")
        if self.meter_start_wh < 0:
            raise ValidationFailed("meterStart must not be negative")

    @property
    def start_key(self) -> str:
        """Identity of this start across retransmissions and offline replays.

        The same connector, tag, meter reading and station timestamp is the same start.
        """
        text = "|".join(
            (
                self.station_id,
                str(self.connector_id),
                self.id_tag,
                str(self.meter_start_wh),
                self.station_time.isoformat(),
            )
        )
        return hashlib.sha256(text.encode()).hexdigest()[:40]


@dataclass(slots=True)
class Transaction:
    """One charging session on one connector.

    ``id`` is the OCPP 1.6 transactionId (unique in the whole system). Energy in Wh.
    ``started_at``/``stopped_at`` are the station's timestamps; ``*_received_at`` are Ampyre's.
    ``last_meter_wh`` is the highest register reading seen so far (for live views).
    """

    id: int
    station_id: str
    connector_id: int
    id_tag: str
    meter_start_wh: int
    started_at: datetime
    start_received_at: datetime
    start_key: str
    auth_status: str = "Accepted"
    reservation_id: int | None = None
    state: TransactionState = TransactionState.ACTIVE
    last_meter_wh: int | None = None
    last_meter_at: datetime | None = None
    meter_stop_wh: int | None = None
    stopped_at: datetime | None = None
    stop_received_at: datetime | None = None
    stop_reason: StopReason | None = None
    stop_id_tag: str | None = None
    flags: set[TransactionFlag] = field(default_factory=set)
    energy_limit_wh: int | None = None
    """Set when an operator started the session with an energy limit (see charging_limits)."""
    duration_limit_s: int | None = None
    contract_id: str | None = None
    """The compact eMAID of the contract whose token started the session (None: an operator
    tag); ``plan_id`` is that contract's plan, whose special prices rate the session."""
    plan_id: str | None = None

    @property
    def active(self) -> bool:
        return self.state is TransactionState.ACTIVE

    @property
    def energy_wh(self) -> int:
        """Energy delivered so far (or in total once stopped), never negative."""
        end = self.meter_stop_wh if self.meter_stop_wh is not None else self.last_meter_wh
        if end is None:
            return 0
        return max(0, end - self.meter_start_wh)

    def note_reading(self, reading_wh: int, at: datetime) -> None:
        """Record a register reading; a reading below an earlier one is flagged, not used."""
        floor = self.last_meter_wh if self.last_meter_wh is not None else self.meter_start_wh
        if reading_wh < floor:
            self.flags.add(TransactionFlag.REGISTER_WENT_BACKWARDS)
            return
        self.last_meter_wh = reading_wh
        self.last_meter_at = at

    def stop(
        self,
        *,
        meter_stop_wh: int,
        at: datetime,
        received_at: datetime,
        reason: StopReason,
        id_tag: str | None = None,
    ) -> bool:
        """Close the transaction; returns False (and changes nothing) if it is already closed.

        OCPP 1.6 §4.10: a retransmitted StopTransaction must be accepted without effect.
        """
        if not self.active:
            return False
        if meter_stop_wh < self.meter_start_wh:
            self.flags.add(TransactionFlag.REGISTER_WENT_BACKWARDS)
        self.meter_stop_wh = meter_stop_wh
        self.stopped_at = at
        self.stop_received_at = received_at
        self.stop_reason = reason
        self.stop_id_tag = id_tag
        self.state = TransactionState.COMPLETED
        return True

    def close_as_stuck(self, *, at: datetime, reason: StopReason) -> bool:
        """Close a transaction the station will never stop (it rebooted, or reused the connector).

        The meter stop is the last reading Ampyre saw (or the start reading); the transaction
        is flagged so an operator reviews it before it is billed.
        """
        closing_reading = self.last_meter_wh if self.last_meter_wh is not None else None
        stopped = self.stop(
            meter_stop_wh=closing_reading if closing_reading is not None else self.meter_start_wh,
            at=self.last_meter_at or at,
            received_at=at,
            reason=reason,
        )
        if stopped:
            self.flags.add(TransactionFlag.CLOSED_BY_CSMS)
        return stopped


def is_offline_start(station_time: datetime, received_at: datetime) -> bool:
    """Whether a start arrived so late that the station must have been offline."""
    return (received_at - station_time).total_seconds() > OFFLINE_START_THRESHOLD_S
