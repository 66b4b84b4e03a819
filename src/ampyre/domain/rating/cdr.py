"""Charge detail records: the priced, immutable account of one session.

A CDR is written once when a transaction ends and never changed. A correction is a credit
CDR (every amount and volume negated) that references the original; the session may then be
rated again into a new CDR with the next sequence number (OCPI 2.2.1 §10.4.2 credit CDRs).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from ampyre.domain.errors import Conflict, ValidationFailed
from ampyre.domain.money import Price
from ampyre.domain.rating.periods import ChargingPeriod
from ampyre.domain.rating.pricing import PricedLine, PricedSession, VatTotal
from ampyre.domain.rating.tariff import Dimension


@dataclass(frozen=True, slots=True)
class SessionFacts:
    """What a CDR says about the session besides money."""

    transaction_id: int
    station_id: str
    connector_id: int
    id_tag: str
    location_id: str | None
    time_zone: str
    started_at: datetime
    ended_at: datetime


@dataclass(frozen=True, slots=True)
class Cdr:
    """A stored CDR. Totals are rounded once (DOMAIN.md §2); lines stay exact.

    ``credit_reference_id`` is set on a credit CDR: the id of the CDR it cancels.
    """

    session: SessionFacts
    sequence: int
    tariff_id: str | None
    tariff_version: int | None
    currency: str
    energy_kwh: Decimal
    charging_s: Decimal
    parking_s: Decimal
    total: Price
    energy_cost: Price
    time_cost: Price
    parking_cost: Price
    fixed_cost: Price
    lines: tuple[PricedLine, ...]
    vat_totals: tuple[VatTotal, ...]
    periods: tuple[ChargingPeriod, ...]
    credit_reference_id: int | None = None
    reason: str | None = None
    id: int | None = None
    created_at: datetime | None = None

    @property
    def is_credit(self) -> bool:
        return self.credit_reference_id is not None

    @classmethod
    def from_priced(
        cls,
        session: SessionFacts,
        priced: PricedSession,
        *,
        tariff_id: str | None,
        tariff_version: int | None,
        sequence: int = 1,
    ) -> Cdr:
        totals = priced.rounded_totals()
        return cls(
            session=session,
            sequence=sequence,
            tariff_id=tariff_id,
            tariff_version=tariff_version,
            currency=priced.currency,
            energy_kwh=priced.energy_kwh,
            charging_s=priced.charging_s,
            parking_s=priced.parking_s,
            total=totals["total_cost"],
            energy_cost=totals["total_energy_cost"],
            time_cost=totals["total_time_cost"],
            parking_cost=totals["total_parking_cost"],
            fixed_cost=totals["total_fixed_cost"],
            lines=priced.lines,
            vat_totals=priced.vat_totals(),
            periods=priced.periods,
        )

    def credit(self, *, sequence: int, reason: str) -> Cdr:
        """The credit CDR that cancels this one (amounts and volumes negated)."""
        if self.id is None:
            raise ValidationFailed("only a stored CDR can be credited")
        if self.is_credit:
            raise Conflict("a credit CDR cannot itself be credited", code="credit_of_credit")
        if not reason.strip():
            raise ValidationFailed("a credit CDR needs a reason")
        return replace(
            self,
            sequence=sequence,
            energy_kwh=-self.energy_kwh,
            charging_s=-self.charging_s,
            parking_s=-self.parking_s,
            total=_negated(self.total),
            energy_cost=_negated(self.energy_cost),
            time_cost=_negated(self.time_cost),
            parking_cost=_negated(self.parking_cost),
            fixed_cost=_negated(self.fixed_cost),
            lines=tuple(
                replace(
                    line,
                    amount=_negated(line.amount),
                    quantity=-line.quantity,
                    billed_quantity=-line.billed_quantity,
                )
                for line in self.lines
            ),
            vat_totals=tuple(
                replace(v, excl_vat=-v.excl_vat, incl_vat=-v.incl_vat) for v in self.vat_totals
            ),
            credit_reference_id=self.id,
            reason=reason.strip(),
            id=None,
            created_at=None,
        )

    def cost_of(self, dimension: Dimension) -> Price:
        return {
            Dimension.ENERGY: self.energy_cost,
            Dimension.TIME: self.time_cost,
            Dimension.PARKING_TIME: self.parking_cost,
            Dimension.FLAT: self.fixed_cost,
        }[dimension]


def _negated(price: Price) -> Price:
    return Price(-price.excl_vat, -price.incl_vat)
