"""Charging periods: the stretches of a session within which the price cannot change.

Ampyre is the CPO, so it cuts the periods itself (see :mod:`ampyre.domain.rating.usage`);
an OCPI CDR from elsewhere brings its own. Either way the pricer sees only this type.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ampyre.domain.money import ZERO
from ampyre.domain.rating.tariff import ReservationRestriction


@dataclass(frozen=True, slots=True)
class ChargingPeriod:
    """One period and the facts the tariff restrictions are evaluated against.

    Volumes: ``energy_kwh`` delivered, ``charging_s`` (OCPI TIME), ``parking_s`` (connected,
    not drawing power) and ``reservation_s``, all exact Decimals.
    Facts at the start of the period: ``kwh_before`` (the session's cumulative energy) and
    ``elapsed_s`` (seconds since the session started). ``power_kw``/``current_a`` hold the
    lowest and highest instantaneous values in the period, or None when not measured (a
    power or current restriction then does not hold).
    """

    start: datetime
    energy_kwh: Decimal = ZERO
    charging_s: Decimal = ZERO
    parking_s: Decimal = ZERO
    reservation_s: Decimal = ZERO
    kwh_before: Decimal = ZERO
    elapsed_s: Decimal = ZERO
    min_power_kw: Decimal | None = None
    max_power_kw: Decimal | None = None
    min_current_a: Decimal | None = None
    max_current_a: Decimal | None = None
    reservation: ReservationRestriction | None = None

    @property
    def duration_s(self) -> Decimal:
        return self.charging_s + self.parking_s + self.reservation_s
