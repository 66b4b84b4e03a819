"""/vehicles over real databases: registering with and without autocharge, changing,
removing (the token expires), a car that changes hands, and the refusals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
import pytest
from api_contracts_kit import add_contract, add_customer, add_plan, created, end_contract

from ampyre.domain.stations import ConnectorStandard
from ampyre.services.access import Actor
from ampyre.services.clock import FixedClock
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.records import Role
from ampyre.services.vehicles import Autocharge, VehicleService

MAC = "92:d5:0a:69:3f:80"
VID = "VID:92D50A693F80"
World = dict[str, Any]


@pytest.fixture
async def world(client: httpx.AsyncClient, admin: dict[str, str]) -> World:
    """Anna with contract A, Ben with contract B (plan HOME)."""
    await add_plan(client, admin, "HOME", "0")
    anna, ben = await add_customer(client, admin, "Anna"), await add_customer(client, admin, "Ben")
    return {
        "anna": anna,
        "ben": ben,
        "A": (await add_contract(client, admin, anna, "HOME"))["id"],
        "B": (await add_contract(client, admin, ben, "HOME"))["id"],
    }


def ioniq(customer_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "make": "Hyundai",
        "model": "Ioniq 5",
        "battery_kwh": "77.4",
        "connector_standards": ["IEC_62196_T2_COMBO", "IEC_62196_T2"],
        "plate": "KR 1234E",
        **changes,
    }


async def token(client: httpx.AsyncClient, headers: dict[str, str], uid: str) -> dict[str, Any]:
    answer = await client.get(f"/charging-tokens/{uid}", headers=headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_a_vehicle_is_registered_changed_listed_and_removed(
    client: httpx.AsyncClient, admin: dict[str, str], world: World
) -> None:
    car = await created(await client.post("/vehicles", json=ioniq(world["anna"]), headers=admin))
    assert car == {
        "id": car["id"],
        "customer_id": world["anna"],
        "make": "Hyundai",
        "model": "Ioniq 5",
        "battery_kwh": "77.4",
        "connector_standards": ["IEC_62196_T2", "IEC_62196_T2_COMBO"],
        "plate": "KR 1234E",
        "token_uid": None,
    }
    url = f"/vehicles/{car['id']}"
    assert (await client.get(url, headers=admin)).json() == car
    zoe = await created(
        await client.post(
            "/vehicles",
            json={"customer_id": world["anna"], "make": " Renault ", "model": "Zoe"},
            headers=admin,
        )
    )
    assert (zoe["make"], zoe["battery_kwh"], zoe["connector_standards"]) == ("Renault", None, [])
    await created(await client.post("/vehicles", json=ioniq(world["ben"]), headers=admin))
    listed = await client.get("/vehicles", params={"customer_id": world["anna"]}, headers=admin)
    assert sorted(v["id"] for v in listed.json()) == sorted([car["id"], zoe["id"]])

    changed = await client.patch(
        url,
        json={
            "model": "Ioniq 5 N",
            "battery_kwh": "84.000",
            "plate": None,
            "connector_standards": [],
        },
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    assert {k: changed.json()[k] for k in ("make", "model", "battery_kwh", "plate")} == {
        "make": "Hyundai",
        "model": "Ioniq 5 N",
        "battery_kwh": "84",
        "plate": None,
    }
    assert changed.json()["connector_standards"] == []
    assert (await client.get(url, headers=admin)).json() == changed.json()
    for refused in ({"make": None}, {"make": " "}, {"battery_kwh": "1.0001"}, {"battery_kwh": "0"}):
        answer = await client.patch(url, json=refused, headers=admin)
        assert answer.status_code == 422, (refused, answer.text)

    assert (await client.delete(url, headers=admin)).status_code == 204
    assert (await client.get(url, headers=admin)).status_code == 404
    assert (await client.delete(url, headers=admin)).status_code == 404


async def test_autocharge_issues_the_vehicle_token_with_the_vehicle(
    client: httpx.AsyncClient, admin: dict[str, str], world: World
) -> None:
    body = ioniq(world["anna"], autocharge={"mac": MAC, "contract_id": world["A"]})
    car = await created(await client.post("/vehicles", json=body, headers=admin))
    assert car["token_uid"] == VID
    issued = await token(client, admin, VID)
    assert (issued["kind"], issued["contract_id"], issued["status"]) == (
        "vehicle",
        world["A"],
        "active",
    )
    again = await client.post(
        "/vehicles",
        json=ioniq(
            world["anna"], autocharge={"mac": "VID:92D50A693F80", "contract_id": world["A"]}
        ),
        headers=admin,
    )
    assert (again.status_code, again.json()["error"]["code"]) == (409, "uid_taken")

    # Removing the vehicle expires its token, so the car no longer starts sessions.
    assert (await client.delete(f"/vehicles/{car['id']}", headers=admin)).status_code == 204
    assert (await token(client, admin, VID))["status"] == "expired"

    # The car is sold to Ben: its identifier is issued again, to Ben's contract.
    sold = await created(
        await client.post(
            "/vehicles",
            json=ioniq(world["ben"], autocharge={"mac": MAC, "contract_id": world["B"]}),
            headers=admin,
        )
    )
    assert sold["token_uid"] == VID
    reissued = await token(client, admin, VID)
    assert (reissued["contract_id"], reissued["status"]) == (world["B"], "active")


async def test_autocharge_is_enabled_and_disabled_later(
    client: httpx.AsyncClient, admin: dict[str, str], world: World
) -> None:
    car = await created(await client.post("/vehicles", json=ioniq(world["anna"]), headers=admin))
    url = f"/vehicles/{car['id']}/autocharge"
    enabled = await client.post(url, json={"mac": MAC, "contract_id": world["A"]}, headers=admin)
    assert (enabled.status_code, enabled.json()["token_uid"]) == (200, VID)
    twice = await client.post(url, json={"mac": MAC, "contract_id": world["A"]}, headers=admin)
    assert (twice.status_code, twice.json()["error"]["code"]) == (409, "autocharge_enabled")

    disabled = await client.delete(url, headers=admin)
    assert (disabled.status_code, disabled.json()["token_uid"]) == (200, None)
    assert (await token(client, admin, VID))["status"] == "expired"
    none = await client.delete(url, headers=admin)
    assert (none.status_code, none.json()["error"]["code"]) == (409, "autocharge_disabled")

    # Back on, with the same car: the expired token is active again.
    back = await client.post(url, json={"mac": MAC, "contract_id": world["A"]}, headers=admin)
    assert back.json()["token_uid"] == VID
    assert (await token(client, admin, VID))["status"] == "active"


async def test_a_lost_or_blocked_vehicle_token_is_not_taken_over(
    client: httpx.AsyncClient, admin: dict[str, str], world: World
) -> None:
    await created(
        await client.post(
            "/charging-tokens",
            json={"kind": "vehicle", "uid": MAC, "contract_id": world["A"]},
            headers=admin,
        )
    )
    await client.post(f"/charging-tokens/{VID}/lost", headers=admin)
    body = ioniq(world["ben"], autocharge={"mac": MAC, "contract_id": world["B"]})
    answer = await client.post("/vehicles", json=body, headers=admin)
    assert (answer.status_code, answer.json()["error"]["code"]) == (409, "uid_taken")
    assert (await token(client, admin, VID))["contract_id"] == world["A"]


@pytest.mark.parametrize(
    ("case", "status", "text"),
    [
        ("unknown customer", 404, "does not exist"),
        ("contract of another customer", 422, "belongs to another customer"),
        ("unknown contract", 404, "does not exist"),
        ("ended contract", 409, "has ended"),
        ("bad MAC", 422, "is not a MAC address"),
        ("battery in Wh", 422, "less than or equal to 1000"),
        ("battery too precise", 422, "decimal places"),
        ("unknown plug", 422, "connector_standards"),
    ],
)
async def test_invalid_registrations_store_nothing(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    world: World,
    case: str,
    status: int,
    text: str,
) -> None:
    await end_contract(client, admin, world["B"])
    autocharge = {"mac": MAC, "contract_id": world["A"]}
    body = {
        "unknown customer": ioniq("nobody"),
        "contract of another customer": ioniq(
            world["ben"], autocharge={**autocharge, "contract_id": world["A"]}
        ),
        "unknown contract": ioniq(
            world["anna"], autocharge={**autocharge, "contract_id": "PL-AMP-C99999999"}
        ),
        "ended contract": ioniq(world["ben"], autocharge={**autocharge, "contract_id": world["B"]}),
        "bad MAC": ioniq(world["anna"], autocharge={**autocharge, "mac": "92:D5:0A:69:3F:8G"}),
        "battery in Wh": ioniq(world["anna"], battery_kwh="77400"),
        "battery too precise": ioniq(world["anna"], battery_kwh="77.4001"),
        "unknown plug": ioniq(world["anna"], connector_standards=["SCHUKO"]),
    }[case]
    answer = await client.post("/vehicles", json=body, headers=admin)
    assert answer.status_code == status, answer.text
    assert text in answer.text
    for customer in ("anna", "ben"):
        listed = await client.get(
            "/vehicles", params={"customer_id": world[customer]}, headers=admin
        )
        assert listed.json() == []
    assert (await client.get(f"/charging-tokens/{VID}", headers=admin)).status_code == 404


async def test_lists_need_a_known_customer_and_permissions_apply(
    client: httpx.AsyncClient, admin: dict[str, str], world: World, tokens: Any
) -> None:
    assert (await client.get("/vehicles", headers=admin)).status_code == 422
    missing = await client.get("/vehicles", params={"customer_id": "nobody"}, headers=admin)
    assert missing.status_code == 404
    call_centre = tokens.headers(Role.CALL_CENTRE)
    body = ioniq(world["anna"])
    assert (await client.post("/vehicles", json=body, headers=call_centre)).status_code == 403
    assert (
        await client.get("/vehicles", params={"customer_id": world["anna"]}, headers=call_centre)
    ).status_code == 200


class RecordingRevoker:
    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    async def revoke(self, uids: Sequence[str]) -> None:
        self.calls.append(list(uids))


async def test_stations_forget_the_token_of_a_removed_or_disabled_vehicle(
    world: World, uow: UnitOfWorkFactory, clock: FixedClock
) -> None:
    actor = Actor("operator", Role.OPERATOR)
    revoker = RecordingRevoker()
    service = VehicleService(uow, clock, revoker=revoker)
    autocharge = Autocharge(MAC, world["A"])
    car = await service.do_register(
        actor,
        world["anna"],
        "Kia",
        "EV6",
        connector_standards=frozenset({ConnectorStandard.TYPE2_COMBO}),
        autocharge=autocharge,
    )
    await service.do_disable_autocharge(actor, car.id)
    await service.do_enable_autocharge(actor, car.id, autocharge)
    bare = await service.do_register(actor, world["anna"], "Renault", "Zoe")
    await service.do_remove(actor, bare.id)
    await service.do_remove(actor, car.id)
    assert revoker.calls == [[VID], [VID]]
