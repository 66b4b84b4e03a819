"""Payment provider accounts round-trip through their repository on both databases, and the
database itself keeps at most one active."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
import sqlalchemy as sa
from dbfactories import at
from sqlalchemy.ext.asyncio import AsyncEngine

from ampyre.db.tables import payment_providers
from ampyre.domain.errors import Conflict, NotFound
from ampyre.domain.payment_accounts import ProviderAccount
from ampyre.services.ports import UnitOfWorkFactory


def account(account_id: str = "A", **changes: object) -> ProviderAccount:
    values: dict[str, object] = {
        "id": account_id,
        "provider": "stripe",
        "label": f"Stripe {account_id}",
        "settings": {"account": "acct_1", "statement": "AMPYRE ✓"},
        "sealed_secrets": {"secret_key": "gAAAAB-sealed-key", "webhook_secret": "gAAAAB-wh"},
        "secret_hints": {"secret_key": "sk_live_…4242", "webhook_secret": "whsec_…9f3a"},
        "active": False,
        "created_at": at(0),
        "updated_at": at(0),
    }
    values.update(changes)
    return ProviderAccount(**values)  # type: ignore[arg-type]


async def _active_ids(uow: UnitOfWorkFactory) -> list[str]:
    async with uow() as tx:
        return [a.id for a in await tx.payment_providers.list() if a.active]


async def test_an_account_round_trips_and_lists_oldest_first(uow: UnitOfWorkFactory) -> None:
    a = account("A", created_at=at(10), updated_at=at(10))
    b = account("B", provider="sandbox", settings={}, sealed_secrets={}, secret_hints={})
    async with uow() as tx:
        await tx.payment_providers.add(a)
        await tx.payment_providers.add(b)
        await tx.commit()
    async with uow() as tx:
        assert await tx.payment_providers.get("A") == a
        assert await tx.payment_providers.get("nope") is None
        assert [x.id for x in await tx.payment_providers.list()] == ["B", "A"]
        assert await tx.payment_providers.active() is None


async def test_update_writes_everything_but_the_active_flag(uow: UnitOfWorkFactory) -> None:
    async with uow() as tx:
        await tx.payment_providers.add(account("A"))
        await tx.commit()
    changed = account(
        "A",
        label="Stripe live",
        settings={"account": "acct_2"},
        sealed_secrets={"secret_key": "gAAAAB-other"},
        secret_hints={"secret_key": "sk_live_…0000"},
        updated_at=at(60),
        rotated_at=at(120),
        active=True,
    )
    async with uow() as tx:
        await tx.payment_providers.update(changed)
        await tx.commit()
    async with uow() as tx:
        assert await tx.payment_providers.get("A") == replace(changed, active=False)
        with pytest.raises(NotFound):
            await tx.payment_providers.update(account("nope"))


async def test_activating_one_deactivates_the_other(uow: UnitOfWorkFactory) -> None:
    async with uow() as tx:
        for name in ("A", "B", "C"):
            await tx.payment_providers.add(account(name))
        await tx.payment_providers.activate("A", at(5))
        await tx.commit()
    assert await _active_ids(uow) == ["A"]
    async with uow() as tx:
        await tx.payment_providers.activate("B", at(10))
        await tx.payment_providers.activate("B", at(11))
        await tx.commit()
    async with uow() as tx:
        active = await tx.payment_providers.active()
        assert active is not None
        assert active.id == "B"
        assert active.updated_at == at(11)
        a = await tx.payment_providers.get("A")
        assert a is not None
        assert not a.active
        assert a.updated_at == at(10)
        c = await tx.payment_providers.get("C")
        assert c is not None
        assert c.updated_at == at(0)
        with pytest.raises(NotFound):
            await tx.payment_providers.activate("nope", at(12))
        await tx.payment_providers.deactivate("B", at(13))
        with pytest.raises(NotFound):
            await tx.payment_providers.deactivate("nope", at(13))
        await tx.commit()
    assert await _active_ids(uow) == []


async def test_delete_and_duplicate_ids(uow: UnitOfWorkFactory) -> None:
    async with uow() as tx:
        await tx.payment_providers.add(account("A"))
        with pytest.raises(Conflict, match="already exists"):
            await tx.payment_providers.add(account("A", label="again"))
        await tx.commit()
    async with uow() as tx:
        await tx.payment_providers.delete("A")
        with pytest.raises(NotFound):
            await tx.payment_providers.delete("A")
        await tx.commit()
    async with uow() as tx:
        assert await tx.payment_providers.list() == []


async def test_the_database_refuses_a_second_active_account(engine: AsyncEngine) -> None:
    row = {
        "provider": "stripe",
        "label": "x",
        "settings": {},
        "secrets": {},
        "secret_hints": {},
        "created_at": at(0),
        "updated_at": at(0),
    }
    async with engine.begin() as conn:
        await conn.execute(
            sa.insert(payment_providers),
            [
                {**row, "id": "A", "active": True},
                {**row, "id": "B", "active": False},
                {**row, "id": "C", "active": False},
            ],
        )
    with pytest.raises(sa.exc.IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(
                sa.update(payment_providers)
                .where(payment_providers.c.id == "B")
                .values(active=True)
            )


async def test_concurrent_activations_leave_exactly_one_active(
    uow: UnitOfWorkFactory, backend: str
) -> None:
    """PostgreSQL: the second waits on the unique index, then gets a Conflict. SQLite: the
    second waits for the write lock, then runs alone and wins."""
    async with uow() as tx:
        await tx.payment_providers.add(account("A"))
        await tx.payment_providers.add(account("B"))
        await tx.commit()

    async def activate_b() -> None:
        async with uow() as tx:
            await tx.payment_providers.activate("B", at(2))
            await tx.commit()

    async with uow() as first:
        await first.payment_providers.activate("A", at(1))
        second = asyncio.create_task(activate_b())
        await asyncio.sleep(0.3)
        assert not second.done()
        await first.commit()
    outcome: Conflict | None = None
    try:
        await second
    except Conflict as exc:
        outcome = exc
    if backend == "postgres":
        assert isinstance(outcome, Conflict)
        assert outcome.code == "concurrent_activation"
        assert await _active_ids(uow) == ["A"]
    else:
        assert outcome is None
        assert await _active_ids(uow) == ["B"]
