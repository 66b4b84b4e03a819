"""How an ad hoc session is paid: pre-authorisation, the stop threshold, the final capture.

An operator configures, per customer type, the amount pre-authorised on the driver's card
when a session starts (:class:`PreAuthorisationPolicy`); a type without an amount is charged
after the session instead (a merchant-initiated charge on a saved card). While the session
runs, Ampyre stops it when its running cost reaches the authorised amount minus a margin
(:meth:`PreAuthorisationPolicy.must_stop`), so the final cost never exceeds what the card
holds. At the end the final cost is captured (:func:`capture_for`): at most the authorised
amount, the rest released; a session that cost nothing is voided instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

from ampyre.domain.customer_types import CustomerType
from ampyre.domain.errors import ValidationFailed
from ampyre.domain.money import ZERO, check_currency
from ampyre.domain.payments import MinorAmount

MAX_MARGIN_PERCENT = Decimal(50)


@dataclass(frozen=True, slots=True)
class PreAuthorisationPolicy:
    """``amounts``: what to pre-authorise per customer type (gross, in ``currency``);
    ``margin_percent`` of the authorised amount is kept free so that the cost accrued
    between the last meter reading and the stop still fits."""

    currency: str
    amounts: Mapping[CustomerType, Decimal] = field(default_factory=dict)
    margin_percent: Decimal = Decimal(10)

    def __post_init__(self) -> None:
        check_currency(self.currency)
        for customer_type, amount in self.amounts.items():
            MinorAmount.of(amount, self.currency)  # exact to the minor unit
            if amount <= ZERO:
                raise ValidationFailed(
                    f"the pre-authorisation for {customer_type.value} customers must be above 0"
                )
        if not ZERO <= self.margin_percent <= MAX_MARGIN_PERCENT:
            raise ValidationFailed(f"the stop margin is 0-{MAX_MARGIN_PERCENT} percent")

    def amount_for(self, customer_type: CustomerType) -> MinorAmount | None:
        """What to pre-authorise for a customer of ``customer_type``; None: no
        pre-authorisation (the session is charged after it ends)."""
        amount = self.amounts.get(customer_type)
        return None if amount is None else MinorAmount.of(amount, self.currency)

    def stop_threshold(self, authorized: MinorAmount) -> MinorAmount:
        """The running cost at which the session is stopped: the authorised amount less the
        margin (the margin rounded up to the minor unit, so the threshold is never late)."""
        margin = (Decimal(authorized.value) * self.margin_percent / 100).to_integral_value(
            rounding=ROUND_CEILING
        )
        return MinorAmount(max(authorized.value - int(margin), 0), authorized.currency)

    def must_stop(self, running_cost: MinorAmount, authorized: MinorAmount) -> bool:
        """Whether a session that has cost ``running_cost`` so far must be stopped now."""
        if running_cost.currency != authorized.currency:
            raise ValidationFailed(
                f"the session costs {running_cost.currency}, the card holds {authorized.currency}"
            )
        return running_cost >= self.stop_threshold(authorized)


def capture_for(final_cost: MinorAmount, authorized: MinorAmount) -> MinorAmount | None:
    """What to capture of ``authorized`` for a session that cost ``final_cost``: the cost,
    never more than authorised (the stop threshold keeps it below); None means void (the
    session cost nothing)."""
    if final_cost.currency != authorized.currency:
        raise ValidationFailed(
            f"the session costs {final_cost.currency}, the card holds {authorized.currency}"
        )
    if final_cost.value == 0:
        return None
    return MinorAmount(min(final_cost.value, authorized.value), final_cost.currency)
