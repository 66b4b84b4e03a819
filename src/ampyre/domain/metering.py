"""Meter values as stations send them (OCPP 1.6 §7.17 SampledValue) and energy arithmetic.

Energy is an integer number of watt-hours inside Ampyre. A sampled value is kept exactly as
received (its text, unit, and signed data byte-exact) next to the normalised number, so a
dispute can be replayed against what the meter really said.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from enum import StrEnum

from ampyre.domain.errors import ValidationFailed

ENERGY_REGISTER = "Energy.Active.Import.Register"


class ReadingContext(StrEnum):
    """OCPP 1.6 §7.46 ReadingContext."""

    INTERRUPTION_BEGIN = "Interruption.Begin"
    INTERRUPTION_END = "Interruption.End"
    OTHER = "Other"
    SAMPLE_CLOCK = "Sample.Clock"
    SAMPLE_PERIODIC = "Sample.Periodic"
    TRANSACTION_BEGIN = "Transaction.Begin"
    TRANSACTION_END = "Transaction.End"
    TRIGGER = "Trigger"


class ValueFormat(StrEnum):
    RAW = "Raw"
    SIGNED_DATA = "SignedData"


@dataclass(frozen=True, slots=True)
class SampledValue:
    """One measurement. ``value`` is the original text; ``signed_data`` is kept byte-exact.

    Defaults follow OCPP 1.6 §7.43: measurand Energy.Active.Import.Register, unit Wh,
    context Sample.Periodic, location Outlet, format Raw.
    """

    value: str
    measurand: str = ENERGY_REGISTER
    unit: str | None = None
    phase: str | None = None
    context: ReadingContext = ReadingContext.SAMPLE_PERIODIC
    location: str | None = None
    format: ValueFormat = ValueFormat.RAW
    signed_data: str | None = None

    def numeric(self) -> Decimal | None:
        """The value as a number, or None when it is signed data or not numeric."""
        if self.format is ValueFormat.SIGNED_DATA:
            return None
        try:
            number = Decimal(self.value)
        except InvalidOperation:
            return None
        return number if number.is_finite() else None


@dataclass(frozen=True, slots=True)
class MeterSample:
    """All sampled values a station took at one instant (OCPP 1.6 MeterValue)."""

    timestamp: datetime
    values: tuple[SampledValue, ...]


_ENERGY_UNITS = {"Wh": Decimal(1), "kWh": Decimal(1000), None: Decimal(1)}


def energy_wh(value: Decimal, unit: str | None) -> int:
    """Convert an energy register reading to whole Wh (half-even rounding).

    Raises ``ValidationFailed`` for units that are not energy units (OCPP 1.6 §7.45).
    """
    try:
        factor = _ENERGY_UNITS[unit]
    except KeyError as exc:
        raise ValidationFailed(f"unit {unit!r} is not an energy unit (Wh or kWh)") from exc
    return int((value * factor).to_integral_value(rounding=ROUND_HALF_EVEN))


def register_reading_wh(sample: MeterSample) -> int | None:
    """The import energy register in Wh from a sample, preferring the total over phases."""
    best: int | None = None
    for value in sample.values:
        if value.measurand != ENERGY_REGISTER:
            continue
        number = value.numeric()
        if number is None:
            continue
        try:
            reading = energy_wh(number, value.unit)
        except ValidationFailed:
            continue
        if value.phase is None:
            return reading
        best = reading if best is None else best
    return best
