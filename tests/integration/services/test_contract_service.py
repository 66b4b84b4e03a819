"""ContractService over SQLite and PostgreSQL: what the REST tests cannot see: tokens revoked
only after a suspension or end is committed, a failing revoker, and fresh eMAIDs on a clash."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from ampyre.db.tables import tokens
from ampyre.domain.contracts import Contract, ContractState
from ampyre.domain.customer_types import CustomerType
from ampyre.domain.customers import Customer, CustomerProfile
from ampyre.domain.emaid import Emaid
from ampyre.domain.errors import Conflict, Forbidden, ValidationFailed
from ampyre.domain.plans import Plan
from ampyre.services.access import Actor
from ampyre.services.clock import FixedClock
from ampyre.services.contracts import ContractService
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.records import ContractFilter, Page, Role

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
ADMIN = Actor("user:42", Role.ADMIN)


@dataclass
class RecordingRevoker:
    """Records each call with the contract's state as committed when it was made."""

    uow: UnitOfWorkFactory
    fail: bool = False
    calls: list[tuple[list[str], list[ContractState]]] = field(default_factory=list)

    async def revoke(self, uids: Sequence[str]) -> None:
        async with self.uow() as tx:  # another transaction: sees only what is committed
            listed = await tx.contracts.list(ContractFilter(), Page())
        self.calls.append((list(uids), [c.state for c in listed]))
        if self.fail:
            raise RuntimeError("station gateway unavailable")


@pytest.fixture
async def service(uow: UnitOfWorkFactory) -> ContractService:
    """Customer CUST-1 and plan P open to everybody; the clock stands at NOW."""
    async with uow() as tx:
        await tx.customers.add(
            Customer("CUST-1", CustomerType.PRIVATE, CustomerProfile.AD_HOC, "Jan")
        )
        await tx.plans.add(Plan("P", "Plan", "EUR", Decimal(0), Decimal(0), valid_from=NOW))
        await tx.commit()
    return ContractService(uow, FixedClock(NOW), "PL", "AMP", revoker=RecordingRevoker(uow))


async def add_tokens(engine: AsyncEngine, contract: Contract, *uids: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            sa.insert(tokens),
            [
                {
                    "uid": uid,
                    "kind": "rfid",
                    "contract_id": contract.id.compact,
                    "status": "active",
                    "issued_at": NOW,
                    "card_fee": False,
                }
                for uid in uids
            ],
        )


def revoker_of(service: ContractService) -> RecordingRevoker:
    assert isinstance(service.revoker, RecordingRevoker)
    return service.revoker


async def test_tokens_are_revoked_after_suspension_and_end_are_committed(
    service: ContractService, engine: AsyncEngine
) -> None:
    signed = await service.do_subscribe(ADMIN, "CUST-1", "P")
    await add_tokens(engine, signed, "04A1B2C3", "04D5E6F7")
    hyphenated = str(signed.id)

    await service.do_suspend(ADMIN, hyphenated, "unpaid invoices")
    await service.do_activate(ADMIN, hyphenated, "paid")
    ended = await service.do_end(ADMIN, signed.id.compact.lower(), "cancelled")

    assert revoker_of(service).calls == [
        (["04A1B2C3", "04D5E6F7"], [ContractState.SUSPENDED]),
        (["04A1B2C3", "04D5E6F7"], [ContractState.ENDED]),
    ]
    assert [e.actor for e in ended.history] == ["user:42"] * 4


async def test_a_contract_without_tokens_needs_no_revocation(service: ContractService) -> None:
    signed = await service.do_subscribe(ADMIN, "CUST-1", "P")
    await service.do_suspend(ADMIN, str(signed.id), "unpaid invoices")
    assert revoker_of(service).calls == []


async def test_a_failing_revoker_does_not_undo_the_change(
    service: ContractService, engine: AsyncEngine
) -> None:
    revoker_of(service).fail = True
    signed = await service.do_subscribe(ADMIN, "CUST-1", "P")
    await add_tokens(engine, signed, "04A1B2C3")
    suspended = await service.do_suspend(ADMIN, str(signed.id), "unpaid invoices")
    assert suspended.state is ContractState.SUSPENDED
    assert (await service.get(ADMIN, str(signed.id))).state is ContractState.SUSPENDED
    assert len(revoker_of(service).calls) == 1


async def test_a_taken_emaid_is_replaced_by_a_fresh_one(
    service: ContractService, monkeypatch: pytest.MonkeyPatch
) -> None:
    instances = iter("AAAAAAAAA" + "AAAAAAAAA" + "BBBBBBBBB")
    monkeypatch.setattr(secrets, "choice", lambda _: next(instances))
    first = await service.do_subscribe(ADMIN, "CUST-1", "P")
    second = await service.do_subscribe(ADMIN, "CUST-1", "P", activate=False)
    assert (first.id, second.id) == (
        Emaid.new("PL", "AMP", "AAAAAAAAA"),
        Emaid.new("PL", "AMP", "BBBBBBBBB"),
    )
    assert second.state is ContractState.PENDING

    monkeypatch.setattr(secrets, "choice", lambda _: "A")
    with pytest.raises(Conflict, match="already exists"):
        await service.do_subscribe(ADMIN, "CUST-1", "P")
    listed = await service.list(ADMIN, ContractFilter(customer_id="CUST-1"), Page())
    assert len(listed) == 2


async def test_ids_are_random_uppercase_and_checked_when_read(service: ContractService) -> None:
    made = {(await service.do_subscribe(ADMIN, "CUST-1", "P")).id for _ in range(3)}
    assert len(made) == 3
    for emaid in made:
        assert (emaid.country, emaid.provider) == ("PL", "AMP")
        assert emaid.instance.isupper() or emaid.instance.isdigit()
        assert Emaid.parse(emaid.compact) == emaid
    with pytest.raises(ValidationFailed, match="is not an eMA ID"):
        await service.get(ADMIN, "PL-AMP")
    with pytest.raises(Forbidden):
        await service.do_subscribe(Actor("cc", Role.CALL_CENTRE), "CUST-1", "P")
