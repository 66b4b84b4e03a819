"""Refunds ("cashback") drivers ask for after a session that went wrong.

A driver requests a refund of (part of) what a session cost, with a reason. Rules decide at
once whether it is approved automatically (:meth:`RefundRules.judge`): a session that
delivered almost no energy, or one the station ended with a fault, is refunded without
anyone looking, and paid back within :data:`AUTO_REFUND_WITHIN` of the request. Anything
else waits in a queue for support to approve or reject. A refund never exceeds what was
captured and not yet refunded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum

from ampyre.domain.errors import ValidationFailed
from ampyre.domain.money import ZERO
from ampyre.domain.payments import MinorAmount

AUTO_REFUND_WITHIN = timedelta(minutes=20)
"""How soon an automatically approved refund is paid back (seed: within 20 minutes)."""
REASON_MAX = 1000

STATION_FAULT_STOPS = frozenset({"EmergencyStop", "PowerLoss", "Reboot", "HardReset", "SoftReset"})
"""OCPP 1.6 stop reasons that mean the station, not the driver, ended the session."""


class RefundStatus(StrEnum):
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    """Approved (automatically or by support), waiting to be paid back."""
    REJECTED = "rejected"
    PAID = "paid"
    FAILED = "failed"
    """The provider refused the refund; support must look at it."""


@dataclass(frozen=True, slots=True)
class RefundDecision:
    automatic: bool
    reason: str
    """Why (e.g. "the session delivered 0.05 kWh, at most 0.20 kWh is refunded at once")."""


@dataclass(frozen=True, slots=True)
class SessionOutcome:
    """What the rules look at: the energy delivered, how the session ended, whether the
    connector reported a fault during it, and what the driver asks back."""

    energy_kwh: Decimal
    stop_reason: str | None
    connector_faulted: bool
    requested: MinorAmount
    refundable: MinorAmount
    """Captured and not yet refunded."""


@dataclass(frozen=True, slots=True)
class RefundRules:
    """``max_energy_kwh``: a session that delivered at most this is refunded at once;
    ``max_automatic``: automatic approval only up to this amount (None: any amount)."""

    max_energy_kwh: Decimal = Decimal("0.2")
    max_automatic: MinorAmount | None = None

    def __post_init__(self) -> None:
        if not self.max_energy_kwh.is_finite() or self.max_energy_kwh < ZERO:
            raise ValidationFailed("the energy limit for automatic refunds is >= 0 kWh")

    def judge(self, outcome: SessionOutcome) -> RefundDecision:
        """Approve automatically or send to support; ``ValidationFailed`` when the request
        is more than can be refunded."""
        check_refundable(outcome.requested, outcome.refundable)
        if (
            self.max_automatic is not None
            and outcome.requested.currency == self.max_automatic.currency
            and outcome.requested > self.max_automatic
        ):
            return RefundDecision(
                False, f"{outcome.requested} is above the automatic limit of {self.max_automatic}"
            )
        if outcome.energy_kwh <= self.max_energy_kwh:
            return RefundDecision(
                True,
                f"the session delivered {outcome.energy_kwh} kWh "
                f"(at most {self.max_energy_kwh} kWh is refunded at once)",
            )
        if outcome.stop_reason in STATION_FAULT_STOPS or outcome.connector_faulted:
            cause = (
                f"the station ended it ({outcome.stop_reason})"
                if outcome.stop_reason in STATION_FAULT_STOPS
                else "the connector reported a fault during it"
            )
            return RefundDecision(True, cause)
        return RefundDecision(False, "needs support approval")


def check_refundable(requested: MinorAmount, refundable: MinorAmount) -> None:
    """Raise ``ValidationFailed`` unless ``requested`` is above 0 and at most
    ``refundable``."""
    if requested.currency != refundable.currency:
        raise ValidationFailed(f"the session was paid in {refundable.currency}")
    if requested.value == 0:
        raise ValidationFailed("a refund is above 0")
    if requested > refundable:
        raise ValidationFailed(f"at most {refundable} can be refunded for this session")
