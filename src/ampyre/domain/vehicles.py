"""Vehicles of a customer: what they plug into, and their autocharge token (seed 001).

A vehicle may carry its own token (a :class:`~ampyre.domain.tokens.Token` of kind
``vehicle``): a station that reports the car's identifier (AutoCharge: "VID:" + MAC) starts a
session under the token's contract with no card.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ampyre.domain.errors import ValidationFailed
from ampyre.domain.id_tags import validate_id_tag
from ampyre.domain.money import ZERO
from ampyre.domain.stations import ConnectorStandard

TEXT_MAX = 100
PLATE_MAX = 20
BATTERY_MAX_KWH = Decimal(1000)
"""Larger than any road vehicle's battery; a bigger figure is a unit mistake (Wh for kWh)."""


@dataclass(frozen=True, slots=True)
class Vehicle:
    """A customer's vehicle. ``battery_kwh`` is the usable capacity; ``token_uid`` the uid of
    its autocharge token, if it has one."""

    id: str
    customer_id: str
    make: str
    model: str
    connector_standards: frozenset[ConnectorStandard] = frozenset()
    battery_kwh: Decimal | None = None
    plate: str | None = None
    token_uid: str | None = None

    def __post_init__(self) -> None:
        for label, text in (("make", self.make), ("model", self.model)):
            if not text.strip() or len(text) > TEXT_MAX or not text.isprintable():
                raise ValidationFailed(f"a vehicle's {label} must be 1-{TEXT_MAX} characters")
        if self.battery_kwh is not None and (
            not self.battery_kwh.is_finite() or not ZERO < self.battery_kwh <= BATTERY_MAX_KWH
        ):
            raise ValidationFailed(
                f"a battery capacity is above 0 and at most {BATTERY_MAX_KWH} kWh"
            )
        if self.plate is not None and (
            not self.plate.strip() or len(self.plate) > PLATE_MAX or not self.plate.isprintable()
        ):
            raise ValidationFailed(f"a number plate must be 1-{PLATE_MAX} characters")
        if self.token_uid is not None:
            validate_id_tag(self.token_uid)
