"""/contracts/{id}/bonus over real databases: the ledger, redeeming towards a rated session,
adjusting, eMAIDs in the path, refusals and who may do what.

Contract GREEN's plan gives 10 points per kWh and a point is worth 0.05 EUR; the network
tariff prices 10 kWh at 4.92 and 2 kWh at 1.97 including VAT.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from api_testkit import T0, Tokens

from ampyre.domain.contracts import Contract
from ampyre.domain.customer_types import CustomerType
from ampyre.domain.customers import Customer, CustomerProfile
from ampyre.domain.emaid import Emaid
from ampyre.domain.plans import BonusBasis, BonusRule, Plan
from ampyre.domain.rating.assignment import AssignmentScope, TariffAssignment
from ampyre.domain.rating.tariff import Dimension, PriceComponent, Tariff, TariffElement
from ampyre.domain.stations import Station
from ampyre.domain.transactions import StopReason, Transaction
from ampyre.services.access import Actor
from ampyre.services.bonus import earn_bonus
from ampyre.services.clock import FixedClock
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.rating import RatingService
from ampyre.services.records import Role
from ampyre.services.tariffs import TariffService

GREEN = Emaid.new("PL", "AMP", "C00000001")
OTHER = Emaid.new("PL", "AMP", "C00000002")
ADMIN = Actor("setup", Role.ADMIN)


@dataclass(frozen=True)
class Sessions:
    earned: int
    """10 kWh, rated, its 100 points earned."""
    later: int
    """2 kWh, rated, its 20 points earned."""
    other: int
    """A rated session of contract OTHER."""


async def rated_session(
    uow: UnitOfWorkFactory, rating: RatingService, n: int, contract: Emaid, kwh: int
) -> int:
    start = T0 - timedelta(hours=10 - n)
    end = start + timedelta(minutes=30)
    session = Transaction(
        0, "CP-1", 1, "CARD-1", 0, start, start, f"s-{n}", contract_id=contract.compact
    )
    session.plan_id = "GREEN"
    session.stop(meter_stop_wh=kwh * 1000, at=end, received_at=end, reason=StopReason.LOCAL)
    async with uow() as work:
        session.id = await work.transactions.add(session)
        await work.commit()
    cdr = await rating.do_rate_transaction(session.id)
    async with uow() as work:
        await earn_bonus(work, [(session, cdr)], end)
        await work.commit()
    return session.id


@pytest.fixture
async def sessions(uow: UnitOfWorkFactory, clock: FixedClock) -> Sessions:
    tariffs = TariffService(uow, clock)
    ac = Tariff(
        currency="EUR",
        elements=(
            TariffElement((PriceComponent(Dimension.FLAT, Decimal("1.00"), Decimal("23")),)),
            TariffElement((PriceComponent(Dimension.ENERGY, Decimal("0.30"), Decimal("23")),)),
        ),
    )
    await tariffs.do_create_tariff(ADMIN, "AC", "AC", ac)
    await tariffs.do_assign(ADMIN, TariffAssignment("AC", AssignmentScope.NETWORK))
    start = T0 - timedelta(days=30)
    bonus = BonusRule(BonusBasis.ENERGY, Decimal(10), Decimal("0.05"))
    async with uow() as work:
        await work.stations.add(Station("CP-1"))
        await work.customers.add(
            Customer("c-1", CustomerType.PRIVATE, CustomerProfile.SUBSCRIBER, "Anna Nowak")
        )
        zero = Decimal("0.00")
        await work.plans.add(Plan("GREEN", "Green", "EUR", zero, zero, start, bonus=bonus))
        for contract in (GREEN, OTHER):
            await work.contracts.add(Contract(contract, "c-1", "GREEN", start))
        await work.commit()
    rating = RatingService(uow, clock)
    return Sessions(
        earned=await rated_session(uow, rating, 1, GREEN, 10),
        later=await rated_session(uow, rating, 2, GREEN, 2),
        other=await rated_session(uow, rating, 3, OTHER, 10),
    )


def url(contract: Emaid | str, action: str = "") -> str:
    return f"/contracts/{contract}/bonus{action}"


async def test_the_ledger_shows_balance_value_and_entries(
    client: httpx.AsyncClient, admin: dict[str, str], sessions: Sessions
) -> None:
    answer = await client.get(url(GREEN.compact), headers=admin)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert {k: body[k] for k in ("contract_id", "balance", "currency")} == {
        "contract_id": GREEN.compact,
        "balance": 120,
        "currency": "EUR",
    }
    assert (Decimal(body["point_value"]), Decimal(body["balance_value"])) == (
        Decimal("0.05"),
        Decimal("6.00"),
    )
    assert [(e["movement"], e["points"], e["reference"], e["actor"]) for e in body["entries"]] == [
        ("earn", 100, f"session:{sessions.earned}", "system"),
        ("earn", 20, f"session:{sessions.later}", "system"),
    ]
    for spelling in (str(GREEN), GREEN.compact.lower(), GREEN.code):
        assert (await client.get(url(spelling), headers=admin)).json() == body


async def test_redeem_towards_a_later_session_then_adjust(
    client: httpx.AsyncClient, admin: dict[str, str], sessions: Sessions
) -> None:
    redeemed = await client.post(
        url(GREEN, "/redeem"), json={"transaction_id": sessions.later}, headers=admin
    )
    assert redeemed.status_code == 200, redeemed.text
    body = redeemed.json()
    assert (body["points"], body["balance"], body["currency"]) == (39, 81, "EUR")
    assert [Decimal(body[k]) for k in ("value", "amount_due", "remaining_due")] == [
        Decimal("1.95"),
        Decimal("1.97"),
        Decimal("0.02"),
    ]
    assert (body["entry"]["movement"], body["entry"]["points"]) == ("redeem", -39)
    assert body["entry"]["actor"] == "token:admin token"
    assert Decimal(body["entry"]["value"]) == Decimal("1.95")

    again = await client.post(
        url(GREEN, "/redeem"), json={"transaction_id": sessions.later}, headers=admin
    )
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_recorded")

    adjusted = await client.post(
        url(GREEN, "/adjust"), json={"points": -80, "reason": "correction"}, headers=admin
    )
    assert adjusted.status_code == 200, adjusted.text
    assert adjusted.json()["balance"] == 1
    assert adjusted.json()["entries"][-1] == {
        "movement": "adjust",
        "points": -80,
        "at": "2025-03-01T12:00:00Z",
        "reference": "correction",
        "actor": "token:admin token",
        "value": None,
    }
    too_much = await client.post(
        url(GREEN, "/adjust"), json={"points": -2, "reason": "correction"}, headers=admin
    )
    assert (too_much.status_code, too_much.json()["error"]["code"]) == (409, "insufficient_points")
    final = (await client.get(url(GREEN), headers=admin)).json()
    assert [e["points"] for e in final["entries"]] == [100, 20, -39, -80]
    assert final["balance"] == sum(e["points"] for e in final["entries"]) == 1


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/redeem", {"transaction_id": "other"}, 409, "session_not_under_contract"),
        ("/redeem", {"transaction_id": 999_999}, 404, "not_found"),
        ("/redeem", {}, 422, None),
        ("/redeem", {"transaction_id": "earned", "points": 5}, 422, None),
        ("/adjust", {"points": 0, "reason": "nothing"}, 422, "validation_failed"),
        ("/adjust", {"points": 5}, 422, None),
        ("/adjust", {"points": 5, "reason": ""}, 422, None),
    ],
)
async def test_refused_requests(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    sessions: Sessions,
    path: str,
    body: dict[str, object],
    status: int,
    code: str | None,
) -> None:
    resolved = dict(body)
    if isinstance(body.get("transaction_id"), str):  # a field of Sessions
        resolved["transaction_id"] = getattr(sessions, str(body["transaction_id"]))
    answer = await client.post(url(GREEN, path), json=resolved, headers=admin)
    assert answer.status_code == status, answer.text
    if code is not None:
        assert answer.json()["error"]["code"] == code
    assert (await client.get(url(GREEN), headers=admin)).json()["balance"] == 120


async def test_contract_ids_in_the_path(
    client: httpx.AsyncClient, admin: dict[str, str], sessions: Sessions
) -> None:
    unknown = Emaid.new("PL", "AMP", "C00000099")
    missing = await client.get(url(unknown), headers=admin)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    for bad in ("PL-AMP-1", GREEN.code + "Z", "x" * 30):
        assert (await client.get(url(bad), headers=admin)).status_code == 422, bad
        redeem = await client.post(
            url(bad, "/redeem"), json={"transaction_id": sessions.earned}, headers=admin
        )
        assert redeem.status_code == 422, bad


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        (Role.ADMIN, 200, 200),
        (Role.OPERATOR, 200, 200),
        (Role.SUPPORT_L2, 200, 200),
        (Role.SUPPORT_L1, 200, 403),
        (Role.CALL_CENTRE, 200, 403),
        (Role.INSTALLER, 403, 403),
        (Role.READONLY, 403, 403),
    ],
)
async def test_who_may_do_what(
    client: httpx.AsyncClient, tokens: Tokens, sessions: Sessions, role: Role, read: int, write: int
) -> None:
    headers = tokens.headers(role)
    assert (await client.get(url(GREEN), headers=headers)).status_code == read
    adjusted = await client.post(
        url(GREEN, "/adjust"), json={"points": 5, "reason": "goodwill"}, headers=headers
    )
    assert adjusted.status_code == write
    redeemed = await client.post(
        url(GREEN, "/redeem"), json={"transaction_id": sessions.earned}, headers=headers
    )
    assert redeemed.status_code == write
