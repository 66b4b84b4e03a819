"""/charging-tokens over real databases: issuing every kind, the refusals, block / unblock /
lost, lists and filters, who may do what, and stations told to forget withdrawn tokens."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
import pytest
from api_contracts_kit import add_contract, add_customer, add_plan, created, end_contract
from api_testkit import Tokens

from ampyre.domain.tokens import TokenKind, TokenStatus
from ampyre.services.access import Actor
from ampyre.services.charging_tokens import ChargingTokenService
from ampyre.services.clock import FixedClock
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.records import Role

World = dict[str, Any]


@pytest.fixture
async def world(client: httpx.AsyncClient, admin: dict[str, str]) -> World:
    """Plans CARDFEE (card fee 15) and FREE (none); Anna holds contracts A (CARDFEE) and
    A2 (FREE), Ben holds B (CARDFEE)."""
    await add_plan(client, admin, "CARDFEE", "15.00")
    await add_plan(client, admin, "FREE", "0")
    anna, ben = await add_customer(client, admin, "Anna"), await add_customer(client, admin, "Ben")
    return {
        "anna": anna,
        "ben": ben,
        "A": await add_contract(client, admin, anna, "CARDFEE"),
        "A2": await add_contract(client, admin, anna, "FREE"),
        "B": await add_contract(client, admin, ben, "CARDFEE"),
    }


async def issue(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> httpx.Response:
    return await client.post("/charging-tokens", json={"kind": "rfid", **body}, headers=headers)


def error(answer: httpx.Response) -> tuple[int, str, str]:
    body = answer.json()["error"]
    return answer.status_code, body["code"], body["message"]


async def test_an_rfid_card_is_issued_with_the_plans_card_fee_by_default(
    client: httpx.AsyncClient, admin: dict[str, str], world: World
) -> None:
    card = await created(
        await issue(
            client,
            admin,
            uid="04A1B2C3D4",
            contract_id=world["A"]["id_hyphenated"],
            printed_number="1000 0001",
            expires_at="2027-12-31T23:59:59+01:00",
        )
    )
    assert card == {
        "uid": "04A1B2C3D4",
        "kind": "rfid",
        "contract_id": world["A"]["id"],
        "status": "active",
        "issued_at": "2025-03-01T12:00:00Z",
        "expires_at": "2027-12-31T22:59:59Z",
        "printed_number": "1000 0001",
        "card_fee": True,
    }
    assert (await client.get("/charging-tokens/04A1B2C3D4", headers=admin)).json() == card
    free = await created(await issue(client, admin, uid="04FREE", contract_id=world["A2"]["id"]))
    assert free["card_fee"] is False
    waived = await created(
        await issue(client, admin, uid="04WAIVED", contract_id=world["A"]["id"], card_fee=False)
    )
    assert waived["card_fee"] is False
    billed = await created(
        await issue(client, admin, uid="04BILLED", contract_id=world["A2"]["id"], card_fee=True)
    )
    assert billed["card_fee"] is True


async def test_app_tokens_get_a_uid_and_vehicle_ids_are_normalised(
    client: httpx.AsyncClient, admin: dict[str, str], world: World
) -> None:
    contract_id = world["A"]["id"]
    app = await created(await issue(client, admin, kind="app", contract_id=contract_id))
    other = await created(await issue(client, admin, kind="app", contract_id=contract_id))
    assert app["uid"] != other["uid"]
    for token in (app, other):
        assert token["uid"].startswith("APP")
        assert len(token["uid"]) == 19
        int(token["uid"][3:], 16)
        assert (token["kind"], token["card_fee"], token["printed_number"]) == ("app", False, None)
    named = await created(
        await issue(client, admin, kind="app", uid="PORTAL-1", contract_id=contract_id)
    )
    assert named["uid"] == "PORTAL-1"
    car = await created(
        await issue(client, admin, kind="vehicle", uid="92:d5:0a:69:3f:80", contract_id=contract_id)
    )
    assert (car["uid"], car["kind"], car["card_fee"]) == ("VID:92D50A693F80", "vehicle", False)
    again = await issue(
        client, admin, kind="vehicle", uid="92-D5-0A-69-3F-80", contract_id=contract_id
    )
    assert error(again)[:2] == (409, "uid_taken")


@pytest.mark.parametrize(
    ("body", "status", "text"),
    [
        ({"uid": "X1", "contract_id": "PL-AMP-C99999999"}, 404, "does not exist"),
        ({"uid": "X1", "contract_id": "PL-AMP-C00000001-Z"}, 422, "check digit"),
        ({"uid": "X1", "contract_id": "nonsense"}, 422, "is not an eMA ID"),
        ({"contract_id": "A"}, 422, "an RFID card needs its uid"),
        ({"kind": "vehicle", "contract_id": "A"}, 422, "MAC address"),
        ({"kind": "vehicle", "uid": "CAFE", "contract_id": "A"}, 422, "is not a MAC address"),
        ({"uid": "WITH SPACE", "contract_id": "A"}, 422, "printable ASCII"),
        ({"kind": "app", "printed_number": "1", "contract_id": "A"}, 422, "printed number"),
        ({"kind": "app", "card_fee": True, "contract_id": "A"}, 422, "card fee"),
        (
            {"uid": "X1", "expires_at": "2025-03-01T11:00:00Z", "contract_id": "A"},
            422,
            "expire after",
        ),
        ({"uid": "X1", "expires_at": "2027-01-01T00:00:00", "contract_id": "A"}, 422, "timezone"),
        ({"uid": "X1", "contract_id": "A", "colour": "red"}, 422, "Extra inputs"),
    ],
)
async def test_invalid_tokens_are_refused_with_a_clear_error(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    world: World,
    body: dict[str, Any],
    status: int,
    text: str,
) -> None:
    if body.get("contract_id") == "A":
        body = {**body, "contract_id": world["A"]["id"]}
    answer = await issue(client, admin, **body)
    assert answer.status_code == status, answer.text
    assert text in answer.json()["error"]["message"]
    assert (await client.get("/charging-tokens", headers=admin)).json()["items"] == []


async def test_taken_uids_and_ended_contracts_conflict(
    client: httpx.AsyncClient, admin: dict[str, str], world: World
) -> None:
    await created(await issue(client, admin, uid="TAKEN", contract_id=world["A"]["id"]))
    await created(await client.post("/id-tags", json={"id_tag": "STAFF-1"}, headers=admin))
    status, code, message = error(
        await issue(client, admin, uid="TAKEN", contract_id=world["B"]["id"])
    )
    assert (status, code) == (409, "uid_taken")
    assert (
        message
        == f"uid TAKEN is already in use: it is a token of contract {world['A']['id_hyphenated']}"
    )
    status, code, message = error(
        await issue(client, admin, uid="STAFF-1", contract_id=world["B"]["id"])
    )
    assert (status, code, message) == (
        409,
        "uid_taken",
        "uid STAFF-1 is already in use: it is an operator id tag",
    )
    await end_contract(client, admin, world["B"]["id"])
    status, code, message = error(
        await issue(client, admin, uid="NEW", contract_id=world["B"]["id"])
    )
    assert (status, code) == (409, "contract_ended")
    assert "has ended" in message


async def test_block_unblock_and_report_lost(
    client: httpx.AsyncClient, admin: dict[str, str], world: World
) -> None:
    await created(await issue(client, admin, uid="CARD-1", contract_id=world["A"]["id"]))
    url = "/charging-tokens/CARD-1"
    blocked = await client.post(f"{url}/block", json={"reason": "customer asked"}, headers=admin)
    assert (blocked.status_code, blocked.json()["status"]) == (200, "blocked")
    assert error(await client.post(f"{url}/block", headers=admin))[:2] == (409, "token_not_active")
    unblocked = await client.post(f"{url}/unblock", headers=admin)
    assert unblocked.json()["status"] == "active"
    assert error(await client.post(f"{url}/unblock", json={}, headers=admin))[:2] == (
        409,
        "token_not_blocked",
    )
    lost = await client.post(f"{url}/lost", json={}, headers=admin)
    assert lost.json()["status"] == "lost"
    assert error(await client.post(f"{url}/lost", headers=admin))[:2] == (409, "token_lost")
    assert error(await client.post(f"{url}/unblock", headers=admin))[:2] == (
        409,
        "token_not_blocked",
    )
    assert (await client.get(url, headers=admin)).json()["status"] == "lost"
    for action in ("block", "unblock", "lost"):
        missing = await client.post(f"/charging-tokens/NOPE/{action}", headers=admin)
        assert error(missing) == (404, "not_found", "token NOPE does not exist")
    assert error(await client.get("/charging-tokens/NOPE", headers=admin))[0] == 404


async def test_tokens_are_listed_and_filtered(
    client: httpx.AsyncClient, admin: dict[str, str], world: World
) -> None:
    for uid, contract, extra in (
        ("CARD-A1", "A", {"printed_number": "PL-100"}),
        ("CARD-A2", "A2", {"printed_number": "PL-200"}),
        ("CARD-B1", "B", {}),
    ):
        await created(
            await issue(client, admin, uid=uid, contract_id=world[contract]["id"], **extra)
        )
    await created(await issue(client, admin, kind="app", uid="APP-A", contract_id=world["A"]["id"]))
    await client.post("/charging-tokens/CARD-A2/block", headers=admin)

    async def uids(**params: Any) -> list[str]:
        answer = await client.get("/charging-tokens", params=params, headers=admin)
        assert answer.status_code == 200, answer.text
        return [t["uid"] for t in answer.json()["items"]]

    assert sorted(await uids()) == ["APP-A", "CARD-A1", "CARD-A2", "CARD-B1"]
    assert sorted(await uids(customer_id=world["anna"])) == ["APP-A", "CARD-A1", "CARD-A2"]
    assert sorted(await uids(contract_id=world["A"]["id_hyphenated"])) == ["APP-A", "CARD-A1"]
    assert await uids(contract_id=world["A"]["id"], kind="rfid") == ["CARD-A1"]
    assert await uids(status="blocked") == ["CARD-A2"]
    assert sorted(await uids(search="pl-")) == ["CARD-A1", "CARD-A2"]
    assert await uids(search="b1") == ["CARD-B1"]
    assert len(await uids(limit=3)) == 3
    assert await uids(offset=4) == []
    assert (
        await client.get("/charging-tokens", params={"contract_id": "XX"}, headers=admin)
    ).status_code == 422
    assert (
        await client.get("/charging-tokens", params={"status": "gone"}, headers=admin)
    ).status_code == 422


async def test_reading_and_writing_need_customer_permissions(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    body = {"kind": "rfid", "uid": "CARD-1", "contract_id": world["A"]["id"]}
    call_centre, readonly = tokens.headers(Role.CALL_CENTRE), tokens.headers(Role.READONLY)
    assert (
        await client.post("/charging-tokens", json=body, headers=call_centre)
    ).status_code == 403
    assert (
        await client.post("/charging-tokens", json=body, headers=tokens.headers(Role.SUPPORT_L2))
    ).status_code == 201
    assert (await client.get("/charging-tokens/CARD-1", headers=call_centre)).status_code == 200
    assert (
        await client.post("/charging-tokens/CARD-1/block", headers=call_centre)
    ).status_code == 403
    assert (await client.get("/charging-tokens", headers=readonly)).status_code == 403
    assert (await client.get("/charging-tokens")).status_code == 401


class RecordingRevoker:
    """An ``AccessRevoker`` that remembers what it was asked, and what was committed then."""

    def __init__(self, uow: UnitOfWorkFactory, *, fail: bool = False) -> None:
        self.uow = uow
        self.fail = fail
        self.calls: list[tuple[list[str], TokenStatus | None]] = []

    async def revoke(self, uids: Sequence[str]) -> None:
        async with self.uow() as tx:
            token = await tx.tokens.get(uids[0])
        self.calls.append((list(uids), None if token is None else token.status))
        if self.fail:
            raise RuntimeError("station commands are down")


async def test_stations_forget_blocked_and_lost_tokens_after_the_change_is_committed(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    world: World,
    uow: UnitOfWorkFactory,
    clock: FixedClock,
) -> None:
    actor = Actor("operator", Role.OPERATOR)
    revoker = RecordingRevoker(uow)
    service = ChargingTokenService(uow, clock, revoker=revoker)
    await service.do_issue(actor, TokenKind.RFID, world["A"]["id"], uid="CARD-1")
    await service.do_block(actor, "CARD-1", "fraud suspected")
    await service.do_unblock(actor, "CARD-1")
    await service.do_report_lost(actor, "CARD-1")
    assert revoker.calls == [(["CARD-1"], TokenStatus.BLOCKED), (["CARD-1"], TokenStatus.LOST)]

    # Telling the stations is best effort: the block stands when it fails.
    failing = ChargingTokenService(uow, clock, revoker=RecordingRevoker(uow, fail=True))
    await service.do_issue(actor, TokenKind.RFID, world["A"]["id"], uid="CARD-2")
    blocked = await failing.do_block(actor, "CARD-2")
    assert blocked.status is TokenStatus.BLOCKED
    assert (await service.get(actor, "CARD-2")).status is TokenStatus.BLOCKED
