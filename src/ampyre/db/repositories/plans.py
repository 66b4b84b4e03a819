"""Plans ⇄ ``plans`` rows; special prices ⇄ ``tariff_assignments`` rows with the plan id.

Storing special prices as assignments means rating reads one table for every price; the
assignments with a plan's id *are* that plan's special prices, so writing a plan replaces them.
Fees are read back with exactly their currency's decimals ("9.90", "0.00") on both databases;
bonus figures are kept as decimal text in the ``bonus`` JSON column, so nothing is lost.
"""

from __future__ import annotations

import builtins
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ampyre.db.repositories.base import AnyRow, insert_unique, paged, require_one_row
from ampyre.db.tables import plans, tariff_assignments, tariffs
from ampyre.domain.customer_types import CustomerType
from ampyre.domain.errors import Conflict, ValidationFailed
from ampyre.domain.money import round_money
from ampyre.domain.plans import BonusBasis, BonusRule, Plan, SpecialPrice
from ampyre.domain.rating.assignment import AssignmentScope
from ampyre.services.records import Page


class SqlPlanRepository:
    """``PlanRepository`` over one connection; never commits."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, plan_id: str) -> Plan | None:
        row = (await self._conn.execute(sa.select(plans).where(plans.c.id == plan_id))).first()
        if row is None:
            return None
        return (await self._with_prices([row]))[0]

    async def list(self, page: Page, *, offered_at: datetime | None = None) -> builtins.list[Plan]:
        """By id; ``offered_at`` keeps the plans that can be subscribed to then."""
        statement = sa.select(plans).order_by(plans.c.id)
        if offered_at is not None:
            statement = statement.where(plans.c.valid_from <= offered_at).where(
                sa.or_(plans.c.valid_until.is_(None), plans.c.valid_until > offered_at)
            )
        rows = (await self._conn.execute(paged(statement, page))).all()
        return await self._with_prices(rows)

    async def add(self, plan: Plan) -> None:
        """``Conflict`` if the id exists or a special price's place is already assigned
        for this plan; ``ValidationFailed`` if a special price's tariff does not exist."""
        await self._require_tariffs(plan.special_prices)
        await insert_unique(
            self._conn,
            sa.insert(plans).values(id=plan.id, **_columns(plan)),
            exists=lambda: self._exists(plan.id),
            what=f"plan {plan.id!r}",
        )
        await self._add_prices(plan)

    async def update(self, plan: Plan) -> None:
        """Write every field and replace the plan's special prices (``ValidationFailed``,
        before anything is written, if a special price's tariff does not exist)."""
        await self._require_tariffs(plan.special_prices)
        result = await self._conn.execute(
            sa.update(plans).where(plans.c.id == plan.id).values(**_columns(plan))
        )
        require_one_row(result, f"plan {plan.id!r}")
        await self._conn.execute(
            sa.delete(tariff_assignments).where(tariff_assignments.c.plan_id == plan.id)
        )
        await self._add_prices(plan)

    async def _add_prices(self, plan: Plan) -> None:
        for price in plan.special_prices:
            await self._add_price(plan.id, price)

    async def _add_price(self, plan_id: str, price: SpecialPrice) -> None:
        try:
            await insert_unique(
                self._conn,
                sa.insert(tariff_assignments).values(
                    tariff_id=price.tariff_id,
                    scope=price.scope.value,
                    target=price.target,
                    plan_id=plan_id,
                    priority=price.priority,
                ),
                exists=lambda: self._price_exists(plan_id, price),
                what="the special price",
            )
        except Conflict as exc:
            raise Conflict(
                f"{price.scope.value} {price.target!r} already has a tariff for plan "
                f"{plan_id}: remove that assignment first",
                code="already_assigned",
            ) from exc

    async def _require_tariffs(self, prices: Sequence[SpecialPrice]) -> None:
        wanted = {price.tariff_id for price in prices}
        if not wanted:
            return
        found = set(
            (
                await self._conn.execute(sa.select(tariffs.c.id).where(tariffs.c.id.in_(wanted)))
            ).scalars()
        )
        for price in prices:
            if price.tariff_id not in found:
                raise ValidationFailed(
                    f"the special price for {price.scope.value} {price.target!r} names tariff "
                    f"{price.tariff_id!r}, which does not exist"
                )

    async def _with_prices(self, rows: Sequence[AnyRow]) -> builtins.list[Plan]:
        if not rows:
            return []
        prices: dict[str, list[SpecialPrice]] = defaultdict(list)
        found = await self._conn.execute(
            sa.select(tariff_assignments)
            .where(tariff_assignments.c.plan_id.in_([row.id for row in rows]))
            .order_by(tariff_assignments.c.id)
        )
        for a in found:
            prices[a.plan_id].append(
                SpecialPrice(AssignmentScope(a.scope), a.target, a.tariff_id, a.priority)
            )
        return [_plan(row, tuple(prices[row.id])) for row in rows]

    async def _exists(self, plan_id: str) -> bool:
        row = await self._conn.execute(sa.select(plans.c.id).where(plans.c.id == plan_id))
        return row.first() is not None

    async def _price_exists(self, plan_id: str, price: SpecialPrice) -> bool:
        row = await self._conn.execute(
            sa.select(tariff_assignments.c.id)
            .where(tariff_assignments.c.scope == price.scope.value)
            .where(tariff_assignments.c.target == price.target)
            .where(tariff_assignments.c.plan_id == plan_id)
        )
        return row.first() is not None


def _columns(plan: Plan) -> dict[str, Any]:
    bonus = plan.bonus
    return {
        "name": plan.name,
        "description": plan.description,
        "currency": plan.currency,
        "monthly_fee": plan.monthly_fee,
        "card_fee": plan.card_fee,
        "vat_percent": plan.vat_percent,
        "valid_from": plan.valid_from,
        "valid_until": plan.valid_until,
        "bonus": None
        if bonus is None
        else {
            "basis": bonus.basis.value,
            "points_per_unit": str(bonus.points_per_unit),
            "point_value": str(bonus.point_value),
        },
        "eligible_customer_types": sorted(t.value for t in plan.eligible_customer_types),
    }


def _plan(row: AnyRow, prices: tuple[SpecialPrice, ...]) -> Plan:
    bonus = row.bonus
    return Plan(
        id=row.id,
        name=row.name,
        currency=row.currency,
        monthly_fee=round_money(row.monthly_fee, row.currency),
        card_fee=round_money(row.card_fee, row.currency),
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        description=row.description,
        vat_percent=None if row.vat_percent is None else plain(row.vat_percent),
        special_prices=prices,
        bonus=None
        if bonus is None
        else BonusRule(
            BonusBasis(bonus["basis"]),
            Decimal(bonus["points_per_unit"]),
            Decimal(bonus["point_value"]),
        ),
        eligible_customer_types=frozenset(CustomerType(t) for t in row.eligible_customer_types),
    )


def plain(value: Decimal) -> Decimal:
    """``value`` without trailing zeros and without an exponent ("23.0000" → "23")."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()
