"""/plans and /contracts over real databases (the API clock stands at T0, 2025-03-01 12:00
UTC): every kind of plan and the refused ones, subscriptions and their refusals, contract
states and history, eMAID check digits, and who may do what."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from api_testkit import T0, Tokens

from ampyre.domain.emaid import Emaid
from ampyre.services.clock import FixedClock
from ampyre.services.records import Role

ZULU = "%Y-%m-%dT%H:%M:%SZ"
LATER = (T0 + timedelta(days=30)).strftime(ZULU)
EARLIER = (T0 - timedelta(days=30)).strftime(ZULU)

FULL_PLAN: dict[str, Any] = {
    "id": "HOME-PLUS",
    "name": "Home Plus",
    "description": "Cheaper in the north and at our partners",
    "currency": "PLN",
    "monthly_fee": "29.90",
    "card_fee": "15",
    "vat_percent": "23",
    "valid_from": EARLIER,
    "valid_until": LATER,
    "special_prices": [
        {"scope": "station_group", "target": "north", "tariff_id": "PLN-AC", "priority": 5},
        {"scope": "operator", "target": "PL*ACM", "tariff_id": "PLN-AC"},
        {"scope": "partner", "target": "DE*ABC", "tariff_id": "PLN-DC"},
    ],
    "bonus": {"basis": "energy", "points_per_unit": "2.5", "point_value": "0.01"},
    "eligible_customer_types": ["private", "business_domestic"],
}

VALID_PLANS: dict[str, dict[str, Any]] = {
    "full": FULL_PLAN,
    "free, no VAT, open to all, from now": {
        "id": "FREE",
        "name": "Pay as you go",
        "currency": "EUR",
        "monthly_fee": "0",
        "card_fee": "0",
    },
    "points per amount paid": {
        "id": "FLEET",
        "name": "Fleet",
        "currency": "PLN",
        "monthly_fee": "100.00",
        "card_fee": "0.00",
        "vat_percent": "8.5",
        "bonus": {"basis": "amount", "points_per_unit": "1", "point_value": "0.05"},
        "eligible_customer_types": ["business_domestic", "business_foreign", "municipal"],
    },
    "zero-decimal currency": {
        "id": "TOKYO",
        "name": "Tokyo",
        "currency": "JPY",
        "monthly_fee": 500,
        "card_fee": "1000",
    },
    "offered from next month": {
        "id": "NEXT",
        "name": "Next season",
        "currency": "EUR",
        "monthly_fee": "5",
        "card_fee": "5",
        "valid_from": LATER,
    },
}

INVALID_PLANS: dict[str, tuple[dict[str, Any], str]] = {
    "fee with too many decimals": (
        {**FULL_PLAN, "monthly_fee": "29.999"},
        "monthly fee 29.999 PLN has more than 2 decimals",
    ),
    "fee with decimals in a zero-decimal currency": (
        {**VALID_PLANS["zero-decimal currency"], "card_fee": "1000.5"},
        "more than 0 decimals",
    ),
    "fee as a JSON number with a fraction": (
        {**FULL_PLAN, "card_fee": 15.5},
        "send amounts as decimal strings",
    ),
    "absurd fee": ({**FULL_PLAN, "monthly_fee": "1e999999"}, "no more than 30 digits"),
    "fee beyond what is stored": (
        {**FULL_PLAN, "monthly_fee": "1000000000000"},
        "monthly fee must be below 1,000,000,000,000 PLN",
    ),
    "negative fee": ({**FULL_PLAN, "card_fee": "-1"}, "card fee must be an amount >= 0"),
    "unknown tariff": (
        {**FULL_PLAN, "special_prices": [{"scope": "partner", "target": "X", "tariff_id": "NO"}]},
        "tariff 'NO' does not exist",
    ),
    "tariff in another currency": (
        {
            **FULL_PLAN,
            "special_prices": [{"scope": "operator", "target": "X", "tariff_id": "EUR-AC"}],
        },
        "tariff 'EUR-AC' is in EUR, the plan in PLN",
    ),
    "special price per station": (
        {
            **FULL_PLAN,
            "special_prices": [{"scope": "station", "target": "CP-1", "tariff_id": "PLN-AC"}],
        },
        "per operator, partner or station group, not per station",
    ),
    "two special prices for one group": (
        {
            **FULL_PLAN,
            "special_prices": [
                {"scope": "station_group", "target": "north", "tariff_id": "PLN-AC"},
                {"scope": "station_group", "target": "north", "tariff_id": "PLN-DC"},
            ],
        },
        "two special prices for station_group 'north'",
    ),
    "ends before it starts": (
        {**FULL_PLAN, "valid_from": LATER, "valid_until": EARLIER},
        "valid_until must be after its valid_from",
    ),
    "open to nobody": ({**FULL_PLAN, "eligible_customer_types": []}, "at least one customer"),
    "VAT over 100": ({**FULL_PLAN, "vat_percent": "123"}, "between 0 and 100 percent"),
    "VAT with 5 decimals": ({**FULL_PLAN, "vat_percent": "23.00001"}, "at most 4 decimals"),
    "no bonus points": (
        {**FULL_PLAN, "bonus": {"basis": "energy", "points_per_unit": "0", "point_value": "1"}},
        "points per unit must be a number above 0",
    ),
    "unknown bonus basis": (
        {**FULL_PLAN, "bonus": {"basis": "time", "points_per_unit": "1", "point_value": "1"}},
        "bonus.basis",
    ),
    "currency not ISO": ({**FULL_PLAN, "currency": "zł"}, "currency"),
    "id with a slash": ({**FULL_PLAN, "id": "A/B"}, "id"),
    "time without a zone": ({**FULL_PLAN, "valid_from": "2025-03-01T12:00:00"}, "valid_from"),
    "unknown field": ({**FULL_PLAN, "setup_fee": "5"}, "setup_fee"),
}

PRIVATE = {
    "type": "private",
    "profile": "subscriber",
    "name": "Anna Nowak",
    "email": "anna@example.pl",
}
MUNICIPAL = {
    "type": "municipal",
    "profile": "subscriber",
    "name": "Miasto Kraków",
    "email": "ev@krakow.pl",
    "address": {"street": "Rynek 1", "city": "Kraków", "postal_code": "31-042", "country": "PL"},
}


def error(answer: httpx.Response) -> tuple[str, str]:
    body = answer.json()["error"]
    details = " ".join(str(d) for d in body.get("details") or [])
    return body["code"], f"{body['message']} {details}"


def tariff(tariff_id: str, currency: str) -> dict[str, Any]:
    component = {"dimension": "ENERGY", "price": "0.5", "vat_percent": "23"}
    return {
        "id": tariff_id,
        "name": tariff_id,
        "tariff": {"currency": currency, "elements": [{"components": [component]}]},
    }


@pytest.fixture
async def tariffs(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    """Tariffs PLN-AC and PLN-DC in złoty, EUR-AC in euro."""
    for tariff_id, currency in (("PLN-AC", "PLN"), ("PLN-DC", "PLN"), ("EUR-AC", "EUR")):
        created = await client.post("/tariffs", json=tariff(tariff_id, currency), headers=admin)
        assert created.status_code == 201, created.text


async def make(
    client: httpx.AsyncClient, headers: dict[str, str], url: str, body: dict[str, Any]
) -> dict[str, Any]:
    created = await client.post(url, json=body, headers=headers)
    assert created.status_code == 201, created.text
    answer: dict[str, Any] = created.json()
    return answer


@pytest.mark.usefixtures("tariffs")
@pytest.mark.parametrize("kind", list(VALID_PLANS))
async def test_every_kind_of_plan_can_be_defined(
    client: httpx.AsyncClient, admin: dict[str, str], kind: str
) -> None:
    body = await make(client, admin, "/plans", VALID_PLANS[kind])
    fetched = await client.get(f"/plans/{body['id']}", headers=admin)
    assert fetched.json() == body


@pytest.mark.usefixtures("tariffs")
async def test_a_plan_is_answered_exactly_as_defined(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    full = await make(client, admin, "/plans", FULL_PLAN)
    assert full == {
        **FULL_PLAN,
        "monthly_fee": "29.90",
        "card_fee": "15.00",
        "special_prices": [{"priority": 100, **p} for p in FULL_PLAN["special_prices"]],
        "offered_now": True,
    }
    free = await make(client, admin, "/plans", VALID_PLANS["free, no VAT, open to all, from now"])
    assert (free["valid_from"], free["valid_until"], free["vat_percent"], free["bonus"]) == (
        T0.strftime(ZULU),
        None,
        None,
        None,
    )
    assert free["eligible_customer_types"] == [
        "private",
        "business_domestic",
        "business_foreign",
        "municipal",
    ]
    tokyo = await make(client, admin, "/plans", VALID_PLANS["zero-decimal currency"])
    assert (tokyo["monthly_fee"], tokyo["card_fee"]) == ("500", "1000")
    assert (await make(client, admin, "/plans", VALID_PLANS["offered from next month"]))[
        "offered_now"
    ] is False


@pytest.mark.usefixtures("tariffs")
@pytest.mark.parametrize("case", list(INVALID_PLANS))
async def test_invalid_plans_are_refused_with_a_clear_error(
    client: httpx.AsyncClient, admin: dict[str, str], case: str
) -> None:
    body, expected = INVALID_PLANS[case]
    refused = await client.post("/plans", json=body, headers=admin)
    assert refused.status_code == 422, refused.text
    assert expected in error(refused)[1]
    assert (await client.get("/plans", headers=admin)).json()["items"] == []


@pytest.mark.usefixtures("tariffs")
async def test_a_plan_id_is_taken_once(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    await make(client, admin, "/plans", FULL_PLAN)
    again = await client.post("/plans", json={**FULL_PLAN, "name": "Again"}, headers=admin)
    assert again.status_code == 409
    assert error(again) == ("already_exists", "plan 'HOME-PLUS' already exists ")
    missing = await client.get("/plans/NOPE", headers=admin)
    assert (missing.status_code, error(missing)[0]) == (404, "not_found")


@pytest.mark.usefixtures("tariffs")
async def test_patching_a_plan_changes_only_what_is_sent(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await make(client, admin, "/plans", FULL_PLAN)
    url = "/plans/HOME-PLUS"
    changed = await client.patch(
        url,
        json={
            "name": "Home Max",
            "monthly_fee": "19.9",
            "special_prices": [{"scope": "partner", "target": "NL*XYZ", "tariff_id": "PLN-DC"}],
            "bonus": None,
            "vat_percent": None,
            "valid_until": None,
            "eligible_customer_types": ["municipal"],
        },
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body == {
        **FULL_PLAN,
        "name": "Home Max",
        "monthly_fee": "19.90",
        "card_fee": "15.00",
        "special_prices": [
            {"scope": "partner", "target": "NL*XYZ", "tariff_id": "PLN-DC", "priority": 100}
        ],
        "bonus": None,
        "vat_percent": None,
        "valid_until": None,
        "eligible_customer_types": ["municipal"],
        "offered_now": True,
    }
    assert (await client.get(url, headers=admin)).json() == body
    # The tariff assignments follow: only the new special price is left for the plan.
    assignments = (await client.get("/tariff-assignments", headers=admin)).json()
    assert [(a["target"], a["plan_id"]) for a in assignments] == [("NL*XYZ", "HOME-PLUS")]

    for patch, expected in (
        ({"currency": "EUR"}, "currency"),
        ({"name": None}, "name cannot be null"),
        ({"card_fee": "0.001"}, "card fee 0.001 PLN has more than 2 decimals"),
        (
            {"special_prices": [{"scope": "partner", "target": "X", "tariff_id": "EUR-AC"}]},
            "is in EUR, the plan in PLN",
        ),
        ({"valid_from": LATER, "valid_until": EARLIER}, "valid_until must be after"),
    ):
        refused = await client.patch(url, json=patch, headers=admin)
        assert refused.status_code == 422, (patch, refused.text)
        assert expected in error(refused)[1]
    assert (await client.get(url, headers=admin)).json() == body
    assert (await client.patch("/plans/NOPE", json={}, headers=admin)).status_code == 404


async def test_ending_an_offer_and_listing_what_is_offered(
    client: httpx.AsyncClient, admin: dict[str, str], clock: FixedClock
) -> None:
    for kind in ("free, no VAT, open to all, from now", "offered from next month"):
        await make(client, admin, "/plans", VALID_PLANS[kind])
    listed = await client.get("/plans", headers=admin)
    assert [p["id"] for p in listed.json()["items"]] == ["FREE", "NEXT"]
    offered = await client.get("/plans", params={"offered_at": T0.isoformat()}, headers=admin)
    assert [p["id"] for p in offered.json()["items"]] == ["FREE"]
    paged = await client.get("/plans", params={"limit": 1, "offset": 1}, headers=admin)
    assert [p["id"] for p in paged.json()["items"]] == ["NEXT"]
    naive = await client.get("/plans", params={"offered_at": "2025-03-01T12:00:00"}, headers=admin)
    assert naive.status_code == 422

    clock.advance(60)
    ended = await client.post("/plans/FREE/end", headers=admin)
    assert ended.status_code == 200, ended.text
    assert (ended.json()["valid_until"], ended.json()["offered_now"]) == (
        (T0 + timedelta(seconds=60)).strftime(ZULU),
        False,
    )
    again = await client.post("/plans/FREE/end", headers=admin)
    assert (again.status_code, error(again)[0]) == (409, "plan_ended")
    early = await client.post("/plans/NEXT/end", headers=admin)
    assert (early.status_code, error(early)[0]) == (409, "plan_not_started")
    after = await client.get("/plans", params={"offered_at": LATER}, headers=admin)
    assert [p["id"] for p in after.json()["items"]] == ["NEXT"]


@pytest.fixture
async def signed(client: httpx.AsyncClient, admin: dict[str, str], tariffs: None) -> dict[str, Any]:
    """Plan HOME-PLUS and a private subscriber's active contract on it."""
    await make(client, admin, "/plans", FULL_PLAN)
    customer = await make(client, admin, "/customers", PRIVATE)
    return await make(
        client, admin, "/contracts", {"customer_id": customer["id"], "plan_id": "HOME-PLUS"}
    )


async def test_subscribing_issues_an_emaid_and_activates(
    client: httpx.AsyncClient, admin: dict[str, str], signed: dict[str, Any]
) -> None:
    emaid = Emaid.parse(signed["id"])
    assert (emaid.country, emaid.provider, emaid.compact) == ("PL", "AMP", signed["id"])
    assert signed["id_hyphenated"] == str(emaid)
    assert signed == {
        "id": signed["id"],
        "id_hyphenated": signed["id_hyphenated"],
        "customer_id": signed["customer_id"],
        "plan_id": "HOME-PLUS",
        "starts_at": T0.strftime(ZULU),
        "ends_at": None,
        "state": "active",
        "valid_now": True,
        "history": [
            {
                "at": T0.strftime(ZULU),
                "from_state": "pending",
                "to_state": "active",
                "reason": "",
                "actor": "token:admin token",
            }
        ],
    }
    assert (await client.get(f"/contracts/{signed['id']}", headers=admin)).json() == signed
    second = await make(
        client, admin, "/contracts", {"customer_id": signed["customer_id"], "plan_id": "HOME-PLUS"}
    )
    assert second["id"] != signed["id"]


@pytest.mark.usefixtures("tariffs")
async def test_a_contract_can_be_signed_pending_and_with_dates(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await make(client, admin, "/plans", FULL_PLAN)
    customer = await make(client, admin, "/customers", PRIVATE)
    base = {"customer_id": customer["id"], "plan_id": "HOME-PLUS"}
    pending = await make(client, admin, "/contracts", {**base, "activate": False})
    assert (pending["state"], pending["valid_now"], pending["history"]) == ("pending", False, [])
    dated = await make(
        client, admin, "/contracts", {**base, "starts_at": LATER, "ends_at": "2026-01-01T00:00:00Z"}
    )
    # Active, but only valid from its start.
    assert (dated["state"], dated["valid_now"]) == ("active", False)
    assert (dated["starts_at"], dated["ends_at"]) == (LATER, "2026-01-01T00:00:00Z")
    backwards = await client.post(
        "/contracts", json={**base, "starts_at": LATER, "ends_at": EARLIER}, headers=admin
    )
    assert backwards.status_code == 422
    assert "cannot end before it starts" in error(backwards)[1]
    over = await client.post("/contracts", json={**base, "ends_at": EARLIER}, headers=admin)
    assert over.status_code == 422  # ends before the default start (now)
    naive = await client.post(
        "/contracts", json={**base, "starts_at": "2025-04-01T00:00:00"}, headers=admin
    )
    assert naive.status_code == 422


@pytest.mark.usefixtures("tariffs")
async def test_subscriptions_are_refused_with_a_reason(
    client: httpx.AsyncClient, admin: dict[str, str], clock: FixedClock
) -> None:
    await make(client, admin, "/plans", FULL_PLAN)
    await make(client, admin, "/plans", VALID_PLANS["offered from next month"])
    await make(client, admin, "/plans", {**VALID_PLANS["free, no VAT, open to all, from now"]})
    assert (await client.post("/plans/FREE/end", headers=admin)).status_code == 409
    clock.advance(1)  # offered from T0; ended a second later, so no longer offered now
    assert (await client.post("/plans/FREE/end", headers=admin)).status_code == 200
    person = await make(client, admin, "/customers", PRIVATE)
    city = await make(client, admin, "/customers", MUNICIPAL)
    blocked = await make(client, admin, "/customers", PRIVATE)
    await client.post(f"/customers/{blocked['id']}/block", json={"reason": "fraud"}, headers=admin)
    erased = await make(client, admin, "/customers", PRIVATE)
    await client.post(f"/customers/{erased['id']}/anonymise", headers=admin)

    async def refused(customer_id: str, plan_id: str) -> tuple[int, str, str]:
        answer = await client.post(
            "/contracts", json={"customer_id": customer_id, "plan_id": plan_id}, headers=admin
        )
        return (answer.status_code, *error(answer))

    status, code, text = await refused(city["id"], "HOME-PLUS")
    assert (status, code) == (409, "plan_not_eligible")
    assert "open to business_domestic, private customers, not municipal" in text
    status, code, text = await refused(blocked["id"], "HOME-PLUS")
    assert (status, code) == (409, "customer_blocked")
    assert "fraud" in text
    assert (await refused(erased["id"], "HOME-PLUS"))[:2] == (409, "customer_anonymised")
    status, code, text = await refused(person["id"], "NEXT")
    assert (status, code) == (409, "plan_not_offered")
    assert f"not at {(T0 + timedelta(seconds=1)).isoformat()}" in text
    assert (await refused(person["id"], "FREE"))[:2] == (409, "plan_not_offered")
    assert (await refused("no-such-customer", "HOME-PLUS"))[:2] == (404, "not_found")
    assert (await refused(person["id"], "NOPE"))[:2] == (404, "not_found")
    assert (await client.get("/contracts", headers=admin)).json()["items"] == []


async def test_states_change_with_history_and_refused_changes_are_409(
    client: httpx.AsyncClient, admin: dict[str, str], clock: FixedClock, signed: dict[str, Any]
) -> None:
    url = f"/contracts/{signed['id_hyphenated']}"

    async def step(action: str, body: dict[str, str] | None = None) -> httpx.Response:
        clock.advance(3600)
        return await client.post(f"{url}/{action}", json=body, headers=admin)

    suspended = await step("suspend", {"reason": "unpaid invoices"})
    assert suspended.status_code == 200, suspended.text
    assert (suspended.json()["state"], suspended.json()["valid_now"]) == ("suspended", False)
    assert (await step("suspend", {"reason": "again"})).status_code == 409
    resumed = await step("activate", {"reason": "invoice paid"})
    assert (resumed.json()["state"], resumed.json()["valid_now"]) == ("active", True)
    no_reason = await step("suspend", {"reason": "   "})
    assert no_reason.status_code == 422
    assert "only with a reason" in error(no_reason)[1]
    assert (await step("end")).status_code == 422  # the body with the reason is required
    ended = await step("end", {"reason": "moved abroad"})
    assert ended.status_code == 200, ended.text
    body = ended.json()
    end_time = (T0 + timedelta(hours=6)).strftime(ZULU)
    assert (body["state"], body["valid_now"], body["ends_at"]) == ("ended", False, end_time)
    assert [(h["from_state"], h["to_state"], h["reason"], h["at"]) for h in body["history"]] == [
        ("pending", "active", "", T0.strftime(ZULU)),
        ("active", "suspended", "unpaid invoices", (T0 + timedelta(hours=1)).strftime(ZULU)),
        ("suspended", "active", "invoice paid", (T0 + timedelta(hours=3)).strftime(ZULU)),
        ("active", "ended", "moved abroad", end_time),
    ]
    for action, reason in (("activate", None), ("suspend", "x"), ("end", "x")):
        refused = await step(action, None if reason is None else {"reason": reason})
        assert refused.status_code == 409
        code, text = error(refused)
        assert code == "invalid_transition"
        assert f"contract {signed['id_hyphenated']}: a ended contract can become nothing" in text
    assert (await client.get(url, headers=admin)).json() == body


@pytest.mark.usefixtures("tariffs")
async def test_a_pending_contract_is_activated_or_ended_and_past_end_is_refused(
    client: httpx.AsyncClient, admin: dict[str, str], clock: FixedClock
) -> None:
    await make(client, admin, "/plans", FULL_PLAN)
    customer = await make(client, admin, "/customers", PRIVATE)
    base = {"customer_id": customer["id"], "plan_id": "HOME-PLUS", "activate": False}
    first = await make(client, admin, "/contracts", base)
    activated = await client.post(f"/contracts/{first['id']}/activate", headers=admin)
    assert activated.status_code == 200, activated.text
    assert activated.json()["history"][0]["to_state"] == "active"
    second = await make(client, admin, "/contracts", base)
    cancelled = await client.post(
        f"/contracts/{second['id']}/end", json={"reason": "signed by mistake"}, headers=admin
    )
    assert cancelled.json()["state"] == "ended"
    short = await make(
        client, admin, "/contracts", {**base, "ends_at": (T0 + timedelta(hours=1)).strftime(ZULU)}
    )
    clock.advance(7200)
    late = await client.post(f"/contracts/{short['id']}/activate", headers=admin)
    assert (late.status_code, error(late)[0]) == (409, "contract_over")


async def test_contract_ids_are_read_as_people_write_them(
    client: httpx.AsyncClient, admin: dict[str, str], signed: dict[str, Any]
) -> None:
    emaid = Emaid.parse(signed["id"])
    for written in (
        signed["id"],
        signed["id_hyphenated"],
        signed["id_hyphenated"].lower(),
        emaid.code,  # without the check digit
    ):
        found = await client.get(f"/contracts/{written}", headers=admin)
        assert found.status_code == 200, (written, found.text)
        assert found.json()["id"] == signed["id"]
    wrong_digit = next(c for c in "0123456789" if c != emaid.check_digit)
    mistyped = await client.get(f"/contracts/{emaid.code}{wrong_digit}", headers=admin)
    assert mistyped.status_code == 422
    code, text = error(mistyped)
    assert code == "check_digit_mismatch"
    assert f"needs {emaid.check_digit!r}" in text
    suspended = await client.post(
        f"/contracts/{emaid.code}{wrong_digit}/suspend", json={"reason": "x"}, headers=admin
    )
    assert (suspended.status_code, error(suspended)[0]) == (422, "check_digit_mismatch")
    malformed = await client.get("/contracts/PL-AMP-123", headers=admin)
    assert malformed.status_code == 422
    assert "is not an eMA ID" in error(malformed)[1]
    other = Emaid.new("PL", "AMP", "ZZZZZZZZZ")
    unknown = await client.get(f"/contracts/{other}", headers=admin)
    assert (unknown.status_code, error(unknown)[1]) == (
        404,
        f"contract {other} does not exist ",
    )


@pytest.mark.usefixtures("tariffs")
async def test_contracts_are_listed_and_filtered(
    client: httpx.AsyncClient, admin: dict[str, str], clock: FixedClock
) -> None:
    await make(client, admin, "/plans", FULL_PLAN)
    await make(client, admin, "/plans", VALID_PLANS["free, no VAT, open to all, from now"])
    anna = await make(client, admin, "/customers", PRIVATE)
    city = await make(client, admin, "/customers", MUNICIPAL)
    first = await make(client, admin, "/contracts", {"customer_id": anna["id"], "plan_id": "FREE"})
    clock.advance(1)
    second = await make(
        client, admin, "/contracts", {"customer_id": anna["id"], "plan_id": "HOME-PLUS"}
    )
    clock.advance(1)
    third = await make(
        client,
        admin,
        "/contracts",
        {"customer_id": city["id"], "plan_id": "FREE", "activate": False},
    )

    async def ids(**params: str | int) -> list[str]:
        answer = await client.get("/contracts", params=params, headers=admin)
        assert answer.status_code == 200, answer.text
        return [c["id"] for c in answer.json()["items"]]

    assert await ids() == [first["id"], second["id"], third["id"]]
    assert await ids(customer_id=anna["id"]) == [first["id"], second["id"]]
    assert await ids(plan_id="FREE") == [first["id"], third["id"]]
    assert await ids(state="pending") == [third["id"]]
    assert await ids(state="active", plan_id="FREE") == [first["id"]]
    assert await ids(limit=1, offset=1) == [second["id"]]
    bad = await client.get("/contracts", params={"state": "paused"}, headers=admin)
    assert bad.status_code == 422


@pytest.mark.usefixtures("tariffs")
@pytest.mark.parametrize(
    ("role", "read", "write_contracts", "write_plans"),
    [
        (Role.ADMIN, 200, 201, 201),
        (Role.OPERATOR, 200, 201, 201),
        (Role.SUPPORT_L2, 200, 201, 403),
        (Role.SUPPORT_L1, 200, 403, 403),
        (Role.CALL_CENTRE, 200, 403, 403),
        (Role.INSTALLER, 403, 403, 403),
        (Role.STATION_OWNER, 403, 403, 403),
        (Role.READONLY, 403, 403, 403),
    ],
)
async def test_who_may_do_what(
    client: httpx.AsyncClient,
    tokens: Tokens,
    admin: dict[str, str],
    role: Role,
    read: int,
    write_contracts: int,
    write_plans: int,
) -> None:
    await make(client, admin, "/plans", FULL_PLAN)
    customer = await make(client, admin, "/customers", PRIVATE)
    existing = await make(
        client, admin, "/contracts", {"customer_id": customer["id"], "plan_id": "HOME-PLUS"}
    )
    headers = tokens.headers(role)
    for url in ("/plans", "/plans/HOME-PLUS", "/contracts", f"/contracts/{existing['id']}"):
        assert (await client.get(url, headers=headers)).status_code == read, url
    subscribed = await client.post(
        "/contracts",
        json={"customer_id": customer["id"], "plan_id": "HOME-PLUS"},
        headers=headers,
    )
    assert subscribed.status_code == write_contracts
    suspended = await client.post(
        f"/contracts/{existing['id']}/suspend", json={"reason": "test"}, headers=headers
    )
    assert suspended.status_code == (200 if write_contracts == 201 else 403)
    plan = await client.post("/plans", json={**FULL_PLAN, "id": "OTHER"}, headers=headers)
    assert plan.status_code == write_plans
    patched = await client.patch("/plans/HOME-PLUS", json={"name": "X"}, headers=headers)
    assert patched.status_code == (200 if write_plans == 201 else 403)
    ended = await client.post("/plans/HOME-PLUS/end", headers=headers)
    assert ended.status_code == (200 if write_plans == 201 else 403)
