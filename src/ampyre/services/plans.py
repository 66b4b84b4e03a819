"""Plans (offers): define, change, end and list what subscribers can sign.

Every rule of what a valid plan is lives in :class:`ampyre.domain.plans.Plan`; this module
adds what needs the database: each special price's tariff must exist and be priced in the
plan's currency. A plan's currency is fixed when it is created (fees, special prices and the
value of bonus points are all in it): an offer in another currency is a new plan.

Changing a plan changes it for the contracts already signed too (their fees, special prices
and bonus rule); only its validity is about signing, so ending an offer leaves those
contracts running.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from ampyre.domain.customer_types import CustomerType
from ampyre.domain.errors import Conflict, NotFound, ValidationFailed
from ampyre.domain.plans import BonusRule, Plan, SpecialPrice
from ampyre.services.access import Actor, Permission, check_permission
from ampyre.services.ports import Clock, UnitOfWork, UnitOfWorkFactory
from ampyre.services.records import Page
from ampyre.services.updates import KEEP, Keep, merged

VAT_DECIMALS = 4
"""Decimals a plan's VAT rate may have (what is stored)."""
FEE_LIMIT = Decimal(10) ** 12
"""Fees must be below this (far above any real fee; what is stored has 14 integer digits)."""


@dataclass(frozen=True, slots=True)
class NewPlan:
    """What defining a plan takes; ``valid_from`` None means from now, and
    ``eligible_customer_types`` defaults to every type."""

    id: str
    name: str
    currency: str
    monthly_fee: Decimal
    card_fee: Decimal
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    description: str = ""
    vat_percent: Decimal | None = None
    special_prices: tuple[SpecialPrice, ...] = ()
    bonus: BonusRule | None = None
    eligible_customer_types: frozenset[CustomerType] = field(
        default_factory=lambda: frozenset(CustomerType)
    )


@dataclass(frozen=True, slots=True)
class PlanUpdate:
    """Fields to change (a patch); ``KEEP`` leaves one as stored, None clears
    ``valid_until`` (offered without end), ``vat_percent`` (no VAT) or ``bonus`` (no points).
    ``special_prices`` given replaces all of the plan's special prices."""

    name: str | Keep = KEEP
    description: str | Keep = KEEP
    monthly_fee: Decimal | Keep = KEEP
    card_fee: Decimal | Keep = KEEP
    vat_percent: Decimal | Keep | None = KEEP
    valid_from: datetime | Keep = KEEP
    valid_until: datetime | Keep | None = KEEP
    special_prices: tuple[SpecialPrice, ...] | Keep = KEEP
    bonus: BonusRule | Keep | None = KEEP
    eligible_customer_types: frozenset[CustomerType] | Keep = KEEP


@dataclass(frozen=True, slots=True)
class PlanService:
    uow_factory: UnitOfWorkFactory
    clock: Clock

    async def do_create(self, actor: Actor, new: NewPlan) -> Plan:
        """Define a plan; ``Conflict`` if its id is taken."""
        check_permission(actor, Permission.PLANS_WRITE)
        plan = Plan(
            id=new.id.strip(),
            name=new.name.strip(),
            currency=new.currency,
            monthly_fee=new.monthly_fee,
            card_fee=new.card_fee,
            valid_from=new.valid_from or self.clock.now(),
            valid_until=new.valid_until,
            description=new.description.strip(),
            vat_percent=new.vat_percent,
            special_prices=new.special_prices,
            bonus=new.bonus,
            eligible_customer_types=new.eligible_customer_types,
        )
        async with self.uow_factory() as uow:
            await _check_storable(uow, plan)
            await uow.plans.add(plan)
            await uow.commit()
        return await self.get(actor, plan.id)

    async def get(self, actor: Actor, plan_id: str) -> Plan:
        check_permission(actor, Permission.PLANS_READ)
        async with self.uow_factory() as uow:
            return await _get(uow, plan_id)

    async def list(
        self, actor: Actor, page: Page, *, offered_at: datetime | None = None
    ) -> builtins.list[Plan]:
        """By id; ``offered_at`` keeps the plans that can be subscribed to at that instant."""
        check_permission(actor, Permission.PLANS_READ)
        if offered_at is not None and offered_at.tzinfo is None:
            raise ValidationFailed("offered_at needs a time zone")
        async with self.uow_factory() as uow:
            return await uow.plans.list(page, offered_at=offered_at)

    async def do_update(self, actor: Actor, plan_id: str, update: PlanUpdate) -> Plan:
        """Change the fields given (see :class:`PlanUpdate`); the rules are checked again."""
        check_permission(actor, Permission.PLANS_WRITE)
        async with self.uow_factory() as uow:
            current = await _get(uow, plan_id)
            changed = replace(
                current,
                name=merged(update.name, current.name).strip(),
                description=merged(update.description, current.description).strip(),
                monthly_fee=merged(update.monthly_fee, current.monthly_fee),
                card_fee=merged(update.card_fee, current.card_fee),
                vat_percent=merged(update.vat_percent, current.vat_percent),
                valid_from=merged(update.valid_from, current.valid_from),
                valid_until=merged(update.valid_until, current.valid_until),
                special_prices=merged(update.special_prices, current.special_prices),
                bonus=merged(update.bonus, current.bonus),
                eligible_customer_types=merged(
                    update.eligible_customer_types, current.eligible_customer_types
                ),
            )
            await _check_storable(uow, changed)
            await uow.plans.update(changed)
            await uow.commit()
        return await self.get(actor, plan_id)

    async def do_end(self, actor: Actor, plan_id: str) -> Plan:
        """Stop offering the plan now (``valid_until`` = now); signed contracts run on.

        ``Conflict`` if it is no longer offered (code ``plan_ended``) or not offered before
        now (``plan_not_started``: change its dates instead; a plan is never offered for
        an empty period).
        """
        check_permission(actor, Permission.PLANS_WRITE)
        now = self.clock.now()
        async with self.uow_factory() as uow:
            current = await _get(uow, plan_id)
            if current.valid_until is not None and current.valid_until <= now:
                raise Conflict(
                    f"plan {plan_id} is no longer offered since {current.valid_until.isoformat()}",
                    code="plan_ended",
                )
            if current.valid_from >= now:
                raise Conflict(
                    f"plan {plan_id} is offered from {current.valid_from.isoformat()}, not "
                    "before now: change its dates instead of ending it",
                    code="plan_not_started",
                )
            await uow.plans.update(replace(current, valid_until=now))
            await uow.commit()
        return await self.get(actor, plan_id)


async def _get(uow: UnitOfWork, plan_id: str) -> Plan:
    found = await uow.plans.get(plan_id)
    if found is None:
        raise NotFound(f"plan {plan_id} does not exist")
    return found


async def _check_storable(uow: UnitOfWork, plan: Plan) -> None:
    """What a valid plan must also meet to be stored: its special prices' tariffs exist and
    are in its currency; its VAT rate has at most :data:`VAT_DECIMALS` decimals and its fees
    are below :data:`FEE_LIMIT`."""
    for label, fee in (("monthly fee", plan.monthly_fee), ("card fee", plan.card_fee)):
        if fee >= FEE_LIMIT:
            raise ValidationFailed(f"the {label} must be below {FEE_LIMIT:,} {plan.currency}")
    vat = plan.vat_percent
    if vat is not None and vat != round(vat, VAT_DECIMALS):
        raise ValidationFailed(f"a plan's VAT rate has at most {VAT_DECIMALS} decimals, not {vat}")
    found = await uow.tariffs.get_many(sorted({p.tariff_id for p in plan.special_prices}))
    for price in plan.special_prices:
        where = f"the special price for {price.scope.value} {price.target!r}"
        tariff = found.get(price.tariff_id)
        if tariff is None:
            raise ValidationFailed(f"{where}: tariff {price.tariff_id!r} does not exist")
        if tariff.currency != plan.currency:
            raise ValidationFailed(
                f"{where}: tariff {price.tariff_id!r} is in {tariff.currency}, "
                f"the plan in {plan.currency}"
            )
