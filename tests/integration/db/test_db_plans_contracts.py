"""Plans (with their special prices as tariff assignments) and contracts (with their history)
round-trip through their repositories on both databases."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from dbfactories import at
from sqlalchemy.ext.asyncio import AsyncEngine

from ampyre.domain.contracts import Contract, ContractState
from ampyre.domain.customer_types import CustomerType
from ampyre.domain.customers import Customer, CustomerProfile
from ampyre.domain.emaid import Emaid
from ampyre.domain.errors import Conflict, NotFound, ValidationFailed
from ampyre.domain.plans import BonusBasis, BonusRule, Plan, SpecialPrice
from ampyre.domain.rating.assignment import AssignmentScope, TariffAssignment
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.records import ContractFilter, Page, StoredTariff

S = AssignmentScope


def plan(plan_id: str = "HOME", **changes: object) -> Plan:
    values: dict[str, object] = {
        "id": plan_id,
        "name": "Home Plus",
        "currency": "PLN",
        "monthly_fee": Decimal("29.9"),
        "card_fee": Decimal("10"),
        "valid_from": at(-3600),
        "valid_until": at(86_400),
        "description": "Cheaper at home",
        "vat_percent": Decimal("23.5"),
        "special_prices": (
            SpecialPrice(S.STATION_GROUP, "north", "PLN-AC", priority=5),
            SpecialPrice(S.OPERATOR, "PL*ACM", "PLN-AC"),
        ),
        "bonus": BonusRule(BonusBasis.ENERGY, Decimal("2.5"), Decimal("0.0125")),
        "eligible_customer_types": frozenset(
            {CustomerType.PRIVATE, CustomerType.BUSINESS_DOMESTIC}
        ),
    }
    values.update(changes)
    return Plan(**values)  # type: ignore[arg-type]


def contract(
    instance: str = "C00000001", customer_id: str = "CUST-1", **changes: object
) -> Contract:
    values: dict[str, object] = {
        "id": Emaid.new("PL", "AMP", instance),
        "customer_id": customer_id,
        "plan_id": "HOME",
        "starts_at": at(0),
    }
    values.update(changes)
    return Contract(**values)  # type: ignore[arg-type]


@pytest.fixture
async def world(uow: UnitOfWorkFactory) -> UnitOfWorkFactory:
    """Tariffs PLN-AC and EUR-AC, customers CUST-1 and CUST-2."""
    async with uow() as tx:
        for tariff_id, currency in (("PLN-AC", "PLN"), ("EUR-AC", "EUR")):
            await tx.tariffs.add(StoredTariff(tariff_id, tariff_id, currency, ()))
        for customer_id in ("CUST-1", "CUST-2"):
            await tx.customers.add(
                Customer(customer_id, CustomerType.PRIVATE, CustomerProfile.AD_HOC, "Jan")
            )
        await tx.commit()
    return uow


async def test_a_plan_round_trips_with_exact_amounts_and_its_special_prices(
    world: UnitOfWorkFactory,
) -> None:
    stored = plan()
    async with world() as tx:
        await tx.plans.add(stored)
        await tx.plans.add(
            plan(
                "BASIC",
                vat_percent=None,
                bonus=None,
                special_prices=(),
                valid_until=None,
                eligible_customer_types=frozenset(CustomerType),
            )
        )
        await tx.commit()
    async with world() as tx:
        found = await tx.plans.get("HOME")
        basic = await tx.plans.get("BASIC")
        missing = await tx.plans.get("NOPE")
        assignments = await tx.tariffs.assignments()
    assert found == stored
    assert found is not None
    assert basic is not None
    assert (str(found.monthly_fee), str(found.card_fee), str(found.vat_percent)) == (
        "29.90",
        "10.00",
        "23.5",
    )
    assert (str(found.bonus.points_per_unit), str(found.bonus.point_value)) == (  # type: ignore[union-attr]
        "2.5",
        "0.0125",
    )
    assert (basic.vat_percent, basic.bonus, basic.special_prices, basic.valid_until) == (
        None,
        None,
        (),
        None,
    )
    assert basic.eligible_customer_types == frozenset(CustomerType)
    assert missing is None
    # The special prices are what rating reads: assignments that apply under the plan only.
    assert assignments == [
        TariffAssignment("PLN-AC", S.STATION_GROUP, "north", "HOME", 5, id=assignments[0].id),
        TariffAssignment("PLN-AC", S.OPERATOR, "PL*ACM", "HOME", 100, id=assignments[1].id),
    ]


async def test_plans_are_listed_by_id_and_filtered_by_when_they_are_offered(
    world: UnitOfWorkFactory,
) -> None:
    async with world() as tx:
        await tx.plans.add(plan("B-NOW", valid_from=at(-10), valid_until=None, special_prices=()))
        await tx.plans.add(plan("A-LATER", valid_from=at(100), valid_until=None, special_prices=()))
        await tx.plans.add(
            plan("C-OVER", valid_from=at(-100), valid_until=at(0), special_prices=())
        )
        await tx.commit()
    async with world() as tx:
        every = await tx.plans.list(Page())
        now = await tx.plans.list(Page(), offered_at=at(0))
        later = await tx.plans.list(Page(), offered_at=at(100))
        before = await tx.plans.list(Page(), offered_at=at(-1))
        second_page = await tx.plans.list(Page(limit=1, offset=1))
    assert [p.id for p in every] == ["A-LATER", "B-NOW", "C-OVER"]
    assert [p.id for p in now] == ["B-NOW"]  # valid_until is exclusive
    assert [p.id for p in later] == ["A-LATER", "B-NOW"]  # valid_from is inclusive
    assert [p.id for p in before] == ["B-NOW", "C-OVER"]
    assert [p.id for p in second_page] == ["B-NOW"]


async def test_updating_a_plan_rewrites_it_and_replaces_its_special_prices(
    world: UnitOfWorkFactory,
) -> None:
    async with world() as tx:
        await tx.plans.add(plan())
        await tx.plans.add(
            plan("OTHER", special_prices=(SpecialPrice(S.PARTNER, "NL*XYZ", "PLN-AC"),))
        )
        await tx.commit()
    changed = plan(
        name="Home Max",
        monthly_fee=Decimal("0"),
        vat_percent=None,
        bonus=None,
        valid_until=None,
        special_prices=(SpecialPrice(S.STATION_GROUP, "north", "PLN-AC", priority=1),),
        eligible_customer_types=frozenset({CustomerType.MUNICIPAL}),
    )
    async with world() as tx:
        await tx.plans.update(changed)
        await tx.commit()
    async with world() as tx:
        assert await tx.plans.get("HOME") == changed
        other = await tx.plans.get("OTHER")
        with pytest.raises(NotFound, match="plan 'NOPE' does not exist"):
            await tx.plans.update(plan("NOPE"))
    assert other is not None
    assert len(other.special_prices) == 1


async def test_duplicate_plans_and_unknown_tariffs_are_refused_cleanly(
    world: UnitOfWorkFactory,
) -> None:
    async with world() as tx:
        await tx.plans.add(plan())
        await tx.commit()
    async with world() as tx:
        with pytest.raises(Conflict, match="plan 'HOME' already exists"):
            await tx.plans.add(plan(name="Again"))
        with pytest.raises(ValidationFailed, match="tariff 'GHOST', which does not exist"):
            await tx.plans.add(
                plan("NEW", special_prices=(SpecialPrice(S.PARTNER, "DE*ABC", "GHOST"),))
            )
        with pytest.raises(ValidationFailed, match="GHOST"):
            await tx.plans.update(
                plan(special_prices=(SpecialPrice(S.PARTNER, "DE*ABC", "GHOST"),))
            )
        # The unit of work is still usable after the refusals (PostgreSQL included).
        assert (await tx.plans.get("HOME")) == plan()


async def test_a_special_price_place_taken_by_an_assignment_for_the_plan_conflicts(
    world: UnitOfWorkFactory,
) -> None:
    async with world() as tx:
        await tx.tariffs.add_assignment(TariffAssignment("PLN-AC", S.PARTNER, "DE*ABC", "NEW"))
        await tx.commit()
    async with world() as tx:
        with pytest.raises(Conflict, match="partner 'DE\\*ABC' already has a tariff") as caught:
            await tx.plans.add(
                plan("NEW", special_prices=(SpecialPrice(S.PARTNER, "DE*ABC", "PLN-AC"),))
            )
    assert caught.value.code == "already_assigned"


async def test_a_contract_round_trips_with_its_history(world: UnitOfWorkFactory) -> None:
    signed = contract(ends_at=at(86_400)).activate(at=at(1), actor="token:admin")
    async with world() as tx:
        await tx.plans.add(plan())
        await tx.contracts.add(signed)
        await tx.commit()
    async with world() as tx:
        found = await tx.contracts.get(signed.id.compact)
        locked = await tx.contracts.get(signed.id.compact, for_update=True)
        missing = await tx.contracts.get(contract("C99999999").id.compact)
    assert found == signed == locked
    assert found is not None
    assert found.state is ContractState.ACTIVE
    assert found.history[0].actor == "token:admin"
    assert missing is None


async def test_updates_append_only_the_new_events_and_keep_state_and_end(
    world: UnitOfWorkFactory, engine: AsyncEngine
) -> None:
    pending = contract()
    async with world() as tx:
        await tx.plans.add(plan())
        await tx.contracts.add(pending)
        await tx.commit()
    active = pending.activate(at=at(1), actor="a")
    suspended = active.suspend(at=at(2), actor="b", reason="unpaid invoices")
    async with world() as tx:
        await tx.contracts.update(active)
        await tx.contracts.update(suspended)
        await tx.commit()
    ended = suspended.end(at=at(3), actor="c", reason="moved abroad")
    async with world() as tx:
        await tx.contracts.update(ended)
        await tx.commit()
    async with world() as tx:
        found = await tx.contracts.get(pending.id.compact)
        with pytest.raises(NotFound):
            await tx.contracts.update(contract("C99999999").activate(at=at(1), actor="a"))
    assert found == ended
    assert found is not None
    assert found.ends_at == at(3)
    assert [e.to_state for e in found.history] == [
        ContractState.ACTIVE,
        ContractState.SUSPENDED,
        ContractState.ENDED,
    ]
    async with engine.connect() as conn:
        state = await conn.scalar(sa.text("SELECT state FROM contracts"))
        events = await conn.scalar(sa.text("SELECT count(*) FROM contract_events"))
    assert (state, events) == ("ended", 3)


async def test_contracts_are_listed_oldest_first_and_filtered(
    world: UnitOfWorkFactory,
) -> None:
    async with world() as tx:
        await tx.plans.add(plan())
        await tx.plans.add(plan("BASIC", special_prices=()))
        await tx.commit()
    first = contract("C00000003", starts_at=at(-60)).activate(at=at(1), actor="a")
    second = contract("C00000002", customer_id="CUST-2", plan_id="BASIC")
    third = contract("C00000001", customer_id="CUST-2").activate(at=at(1), actor="a")
    async with world() as tx:
        for each in (third, second, first):
            await tx.contracts.add(each)
        await tx.commit()
    async with world() as tx:
        every = await tx.contracts.list(ContractFilter(), Page())
        of_customer = await tx.contracts.list(ContractFilter(customer_id="CUST-2"), Page())
        of_plan = await tx.contracts.list(ContractFilter(plan_id="BASIC"), Page())
        active = await tx.contracts.list(ContractFilter(state=ContractState.ACTIVE), Page())
        both = await tx.contracts.list(
            ContractFilter(customer_id="CUST-2", state=ContractState.ACTIVE), Page()
        )
        paged = await tx.contracts.list(ContractFilter(), Page(limit=1, offset=2))
        many = await tx.contracts.get_many([first.id.compact, third.id.compact, "PLAMPNOTHERE00X"])
        none = await tx.contracts.get_many([])
    # By start, then (same start, stored in one transaction) by id.
    assert every == [first, third, second]
    assert of_customer == [third, second]
    assert of_plan == [second]
    assert active == [first, third]
    assert both == [third]
    assert paged == [second]
    assert many == {first.id.compact: first, third.id.compact: third}
    assert none == {}


async def test_a_taken_contract_id_conflicts_and_keeps_the_unit_of_work_usable(
    world: UnitOfWorkFactory,
) -> None:
    async with world() as tx:
        await tx.plans.add(plan())
        await tx.contracts.add(contract())
        await tx.commit()
    async with world() as tx:
        with pytest.raises(Conflict) as caught:
            await tx.contracts.add(contract(customer_id="CUST-2"))
        await tx.contracts.add(contract("C00000002", customer_id="CUST-2"))
        await tx.commit()
    assert caught.value.code == "already_exists"
    async with world() as tx:
        assert len(await tx.contracts.list(ContractFilter(customer_id="CUST-2"), Page())) == 1


async def test_for_update_locks_the_contract_row_on_postgres(
    world: UnitOfWorkFactory, engine: AsyncEngine, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("SQLite has no row locks (it serialises writers)")
    async with world() as tx:
        await tx.plans.add(plan())
        await tx.contracts.add(contract())
        await tx.commit()
    compact = contract().id.compact
    async with world() as tx:
        await tx.contracts.get(compact, for_update=True)
        async with engine.connect() as other:
            await other.exec_driver_sql("SET lock_timeout = '200ms'")
            with pytest.raises(sa.exc.DBAPIError, match="lock"):
                await other.execute(
                    sa.text("SELECT id FROM contracts WHERE id = :id FOR UPDATE"),
                    {"id": compact},
                )
    async with world() as tx:
        await tx.contracts.get(compact)  # a plain read takes no lock
        async with engine.connect() as other:
            await other.exec_driver_sql("SET lock_timeout = '200ms'")
            row = await other.execute(
                sa.text("SELECT id FROM contracts WHERE id = :id FOR UPDATE"), {"id": compact}
            )
            assert row.scalar_one() == compact
