"""Tokens of contracts and vehicles round-trip through their repositories on both databases:
filters, bulk inserts that are all or nothing, uids taken by tokens or operator tags."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from dbfactories import at

from ampyre.domain.contracts import Contract
from ampyre.domain.customer_types import CustomerType
from ampyre.domain.customers import Customer, CustomerProfile
from ampyre.domain.emaid import Emaid
from ampyre.domain.errors import Conflict, NotFound
from ampyre.domain.id_tags import IdTag
from ampyre.domain.plans import Plan
from ampyre.domain.stations import ConnectorStandard
from ampyre.domain.tokens import Token, TokenKind, TokenStatus
from ampyre.domain.vehicles import Vehicle
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.records import Page, TokenFilter

C1 = Emaid.new("PL", "AMP", "C00000001")
C2 = Emaid.new("PL", "AMP", "C00000002")
C3 = Emaid.new("PL", "AMP", "C00000003")


@pytest.fixture
async def world(uow: UnitOfWorkFactory) -> UnitOfWorkFactory:
    """Customers CUST-1 (contracts C1, C2) and CUST-2 (contract C3) on plan HOME."""
    async with uow() as tx:
        await tx.plans.add(
            Plan("HOME", "Home", "PLN", Decimal("29.90"), Decimal("10"), valid_from=at(-3600))
        )
        for customer_id in ("CUST-1", "CUST-2"):
            await tx.customers.add(
                Customer(customer_id, CustomerType.PRIVATE, CustomerProfile.AD_HOC, "Jan")
            )
        for emaid, customer_id in ((C1, "CUST-1"), (C2, "CUST-1"), (C3, "CUST-2")):
            await tx.contracts.add(Contract(emaid, customer_id, "HOME", at(0)))
        await tx.commit()
    return uow


def card(uid: str, contract: Emaid = C1, seconds: float = 0, **changes: object) -> Token:
    token = Token(uid, TokenKind.RFID, contract, at(seconds))
    return replace(token, **changes)  # type: ignore[arg-type]


async def test_a_token_round_trips_with_every_field_and_changes(world: UnitOfWorkFactory) -> None:
    full = card(
        "04A1B2C3D4",
        expires_at=at(86_400),
        printed_number="1000 0001",
        card_fee=True,
    )
    vehicle_token = Token("VID:92D50A693F80", TokenKind.VEHICLE, C3, at(5))
    async with world() as tx:
        await tx.tokens.add_many([full, vehicle_token])
        await tx.commit()
    async with world() as tx:
        assert await tx.tokens.get("04A1B2C3D4") == full
        assert await tx.tokens.get("VID:92D50A693F80") == vehicle_token
        assert await tx.tokens.get("04a1b2c3d4") is None  # uids are stored as given
        blocked = full.block()
        await tx.tokens.update(blocked)
        with pytest.raises(NotFound, match="token NOPE does not exist"):
            await tx.tokens.update(card("NOPE"))
        await tx.commit()
    async with world() as tx:
        found = await tx.tokens.get("04A1B2C3D4")
    assert found is not None
    assert (found.status, found.expires_at, found.card_fee) == (
        TokenStatus.BLOCKED,
        at(86_400),
        True,
    )


async def test_tokens_are_listed_oldest_first_and_filtered(world: UnitOfWorkFactory) -> None:
    async with world() as tx:
        await tx.tokens.add_many(
            [
                card("B-CARD", C1, 10, printed_number="PL 100%"),
                card("A-CARD", C1, 10, printed_number="PL 200"),
                card("C-CARD", C2, 0, status=TokenStatus.LOST),
                Token("APP0001", TokenKind.APP, C2, at(20)),
                card("D-CARD", C3, 5),
            ]
        )
        await tx.commit()

    async def uids(page: Page | None = None, **fields: object) -> list[str]:
        async with world() as tx:
            flt = TokenFilter(**fields)  # type: ignore[arg-type]
            found = await tx.tokens.list(flt, page or Page())
        return [token.uid for token in found]

    assert await uids() == ["C-CARD", "D-CARD", "A-CARD", "B-CARD", "APP0001"]
    assert await uids(Page(limit=2, offset=1)) == ["D-CARD", "A-CARD"]
    assert await uids(contract_id=C1.compact) == ["A-CARD", "B-CARD"]
    assert await uids(customer_id="CUST-1") == ["C-CARD", "A-CARD", "B-CARD", "APP0001"]
    assert await uids(customer_id="CUST-2") == ["D-CARD"]
    assert await uids(customer_id="CUST-1", kind=TokenKind.APP) == ["APP0001"]
    assert await uids(status=TokenStatus.LOST) == ["C-CARD"]
    assert await uids(search="b-c") == ["B-CARD"]
    assert await uids(search="pl ") == ["A-CARD", "B-CARD"]
    assert await uids(search="100%") == ["B-CARD"]
    assert await uids(search="%") == ["B-CARD"]  # a wildcard matches itself only
    async with world() as tx:
        of_contracts = await tx.tokens.of_contracts([C2.compact, C1.compact, "PLAMPNOPE"])
        assert await tx.tokens.of_contracts([]) == []
    assert [t.uid for t in of_contracts] == ["A-CARD", "B-CARD", "C-CARD", "APP0001"]


async def test_a_bulk_insert_with_a_taken_uid_inserts_nothing(world: UnitOfWorkFactory) -> None:
    async with world() as tx:
        await tx.tokens.add_many([card("TAKEN")])
        await tx.commit()
    async with world() as tx:
        with pytest.raises(Conflict, match="token TAKEN already exists") as taken:
            await tx.tokens.add_many([card("NEW-1"), card("TAKEN"), card("NEW-2")])
        assert taken.value.code == "uid_taken"
        with pytest.raises(Conflict, match="token TWICE is given twice"):
            await tx.tokens.add_many([card("TWICE"), card("NEW-3"), card("TWICE")])
        # The unit of work is still usable after the refusals (PostgreSQL included).
        await tx.tokens.add_many([card("NEW-4")])
        await tx.tokens.add_many([])
        await tx.commit()
    async with world() as tx:
        stored = await tx.tokens.list(TokenFilter(), Page())
    assert sorted(t.uid for t in stored) == ["NEW-4", "TAKEN"]


async def test_existing_uids_covers_tokens_and_operator_tags_in_large_lists(
    world: UnitOfWorkFactory,
) -> None:
    tokens = [card(f"T{n:05d}") for n in range(2500)]
    async with world() as tx:
        await tx.tokens.add_many(tokens)
        await tx.id_tags.add(IdTag("STAFF-1"))
        await tx.commit()
    asked = [f"T{n:05d}" for n in range(0, 5000, 2)] + ["STAFF-1", "STAFF-2", "T00000"]
    async with world() as tx:
        taken = await tx.tokens.existing_uids(asked)
        assert await tx.tokens.existing_uids([]) == set()
    assert taken == {f"T{n:05d}" for n in range(0, 2500, 2)} | {"STAFF-1"}


async def test_a_vehicle_round_trips_with_its_token(world: UnitOfWorkFactory) -> None:
    token = Token("VID:92D50A693F80", TokenKind.VEHICLE, C1, at(0))
    car = Vehicle(
        "V-1",
        "CUST-1",
        "Hyundai",
        "Ioniq 5",
        frozenset({ConnectorStandard.TYPE2, ConnectorStandard.TYPE2_COMBO}),
        Decimal("77.400"),
        "KR 1234E",
        token.uid,
    )
    bare = Vehicle("V-2", "CUST-1", "Renault", "Zoe")
    other = Vehicle("V-3", "CUST-2", "Kia", "EV6", battery_kwh=Decimal("0.001"))
    async with world() as tx:
        await tx.tokens.add_many([token])
        for vehicle in (car, bare, other):
            await tx.vehicles.add(vehicle)
        await tx.commit()
    async with world() as tx:
        assert await tx.vehicles.get("V-1") == car
        assert await tx.vehicles.get("NOPE") is None
        mine = await tx.vehicles.of_customer("CUST-1")
        assert await tx.vehicles.of_customer("NOPE") == []
        with pytest.raises(Conflict, match="vehicle V-2 already exists"):
            await tx.vehicles.add(replace(bare, model="Twingo"))
        changed = replace(bare, model="Zoe E-Tech", plate="WA 0001", battery_kwh=Decimal("52"))
        await tx.vehicles.update(changed)
        with pytest.raises(NotFound, match="vehicle NOPE does not exist"):
            await tx.vehicles.update(replace(bare, id="NOPE"))
        await tx.vehicles.delete("V-1")
        await tx.commit()
    assert sorted(v.id for v in mine) == ["V-1", "V-2"]
    found = next(v for v in mine if v.id == "V-1")
    assert str(found.battery_kwh) == "77.400"
    async with world() as tx:
        assert await tx.vehicles.get("V-2") == changed
        assert await tx.vehicles.get("V-1") is None
        assert await tx.vehicles.get("V-3") == other
        # The token outlives its vehicle: sessions refer to it.
        assert await tx.tokens.get(token.uid) == token
