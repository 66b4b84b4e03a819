"""/authorizations over real databases: search with every filter, paging, the CSV export,
its cap, and who may read the log."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import httpx
import pytest
from api_testkit import T0, Tokens

from ampyre.domain.authorization import AuthorizationAttempt, AuthorizationTrigger
from ampyre.domain.emaid import Emaid
from ampyre.domain.errors import ValidationFailed
from ampyre.domain.id_tags import AuthorizationStatus
from ampyre.domain.tokens import TokenKind
from ampyre.services.access import Actor
from ampyre.services.authorization_log import AuthorizationLogService
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.records import AuthorizationFilter, Role

CONTRACT = Emaid.new("PL", "AMP", "C00000001")


def iso(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


ATTEMPTS = [
    AuthorizationAttempt(
        at=T0,
        trigger=AuthorizationTrigger.AUTHORIZE,
        uid="04A1B2C3",
        status=AuthorizationStatus.ACCEPTED,
        reason=f"rfid token of contract {CONTRACT.compact}",
        station_id="CP-1",
        connector_id=1,
        token_kind=TokenKind.RFID,
        contract_id=CONTRACT.compact,
        customer_id="c-1",
        tariff_id="AC",
    ),
    AuthorizationAttempt(
        at=T0 + timedelta(minutes=10),
        trigger=AuthorizationTrigger.START,
        uid="DEADBEEF",
        status=AuthorizationStatus.INVALID,
        reason="unknown token",
        station_id="CP-2",
        connector_id=2,
    ),
    AuthorizationAttempt(
        at=T0 + timedelta(minutes=20),
        trigger=AuthorizationTrigger.STOP,
        uid="04A1B2C3",
        status=AuthorizationStatus.BLOCKED,
        reason='customer is blocked: "unpaid", see notes',
        station_id="CP-1",
        connector_id=1,
        token_kind=TokenKind.RFID,
        contract_id=CONTRACT.compact,
        customer_id="c-1",
        transaction_id=7,
    ),
]


@pytest.fixture
async def logged(uow: UnitOfWorkFactory) -> list[int]:
    """The ids of ``ATTEMPTS``, oldest first."""
    async with uow() as work:
        ids = [await work.authorizations.add(a) for a in ATTEMPTS]
        await work.commit()
    return ids


async def found(client: httpx.AsyncClient, headers: dict[str, str], **params: object) -> list[int]:
    answer = await client.get("/authorizations", params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()["items"]]


async def test_search_shows_every_field_newest_first(
    client: httpx.AsyncClient, admin: dict[str, str], logged: list[int]
) -> None:
    answer = await client.get("/authorizations", headers=admin)
    body = answer.json()
    assert [item["id"] for item in body["items"]] == logged[::-1]
    assert (body["limit"], body["offset"]) == (100, 0)
    assert body["items"][2] == {
        "id": logged[0],
        "at": iso(0),
        "trigger": "authorize",
        "uid": "04A1B2C3",
        "status": "Accepted",
        "reason": "rfid token of contract PLAMPC000000011",
        "station_id": "CP-1",
        "connector_id": 1,
        "token_kind": "rfid",
        "contract_id": "PLAMPC000000011",
        "customer_id": "c-1",
        "tariff_id": "AC",
        "transaction_id": None,
    }
    assert CONTRACT.compact == "PLAMPC000000011"


async def test_every_filter_narrows_the_search(
    client: httpx.AsyncClient, admin: dict[str, str], logged: list[int]
) -> None:
    first, second, third = logged
    assert await found(client, admin, uid="04A1B2C3") == [third, first]
    assert await found(client, admin, station_id="CP-2") == [second]
    assert await found(client, admin, customer_id="c-1") == [third, first]
    assert await found(client, admin, contract_id=str(CONTRACT)) == [third, first]
    assert await found(client, admin, contract_id=CONTRACT.compact.lower()) == [third, first]
    assert await found(client, admin, status="Blocked") == [third]
    assert await found(client, admin, trigger="start") == [second]
    assert await found(client, admin, **{"from": iso(10)}) == [third, second]
    assert await found(client, admin, **{"to": iso(10)}) == [first]
    assert await found(client, admin, **{"from": iso(5), "to": iso(15)}) == [second]
    assert await found(client, admin, uid="04A1B2C3", status="Accepted") == [first]
    assert await found(client, admin, limit=1, offset=1) == [second]


@pytest.mark.parametrize(
    "params",
    [
        {"contract_id": "PL-AMP-1"},
        {"contract_id": "PLAMPC000000012"},  # wrong check digit
        {"status": "Maybe"},
        {"trigger": "wish"},
        {"from": "2025-03-01T12:00:00"},  # no time zone
        {"from": iso(10), "to": iso(5)},
        {"limit": 0},
    ],
)
async def test_bad_filters_are_refused(
    client: httpx.AsyncClient, admin: dict[str, str], params: dict[str, object]
) -> None:
    paths = ["/authorizations"]
    if "limit" not in params:  # the export has no paging
        paths.append("/authorizations/export.csv")
    for path in paths:
        answer = await client.get(path, params=params, headers=admin)
        assert answer.status_code == 422, (path, answer.text)


async def test_csv_export_has_the_filtered_rows(
    client: httpx.AsyncClient, admin: dict[str, str], logged: list[int]
) -> None:
    exported = await client.get(
        "/authorizations/export.csv", params={"uid": "04A1B2C3"}, headers=admin
    )
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["id"] for r in rows] == [str(logged[2]), str(logged[0])]
    assert rows[0]["reason"] == 'customer is blocked: "unpaid", see notes'
    assert (rows[0]["status"], rows[0]["trigger"], rows[0]["transaction_id"]) == (
        "Blocked",
        "stop",
        "7",
    )
    assert (rows[1]["tariff_id"], rows[1]["transaction_id"], rows[1]["token_kind"]) == (
        "AC",
        "",
        "rfid",
    )
    assert rows[1]["at"].startswith("2025-03-01T12:00:00")
    everything = await client.get("/authorizations/export.csv", headers=admin)
    assert len(list(csv.DictReader(io.StringIO(everything.text)))) == 3
    empty = await client.get("/authorizations/export.csv", params={"uid": "X"}, headers=admin)
    assert empty.text.splitlines() == [
        "id,at,trigger,uid,status,reason,station_id,connector_id,token_kind,contract_id,"
        "customer_id,tariff_id,transaction_id"
    ]


async def test_an_export_larger_than_the_cap_is_refused(
    uow: UnitOfWorkFactory, logged: list[int]
) -> None:
    service = AuthorizationLogService(uow)
    reader = Actor("support", Role.SUPPORT_L1)
    assert len(await service.export(reader, AuthorizationFilter(), limit=3)) == 3
    with pytest.raises(ValidationFailed, match="more than 2 authorisation attempts") as refused:
        await service.export(reader, AuthorizationFilter(), limit=2)
    assert refused.value.code == "export_too_large"
    narrowed = await service.export(reader, AuthorizationFilter(uid="04A1B2C3"), limit=2)
    assert [a.id for a in narrowed] == [logged[2], logged[0]]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.ADMIN, 200),
        (Role.OPERATOR, 200),
        (Role.SUPPORT_L2, 200),
        (Role.SUPPORT_L1, 200),
        (Role.CALL_CENTRE, 200),
        (Role.INSTALLER, 403),
        (Role.STATION_OWNER, 403),
        (Role.READONLY, 403),
    ],
)
async def test_who_may_read_the_log(
    client: httpx.AsyncClient, tokens: Tokens, logged: list[int], role: Role, status: int
) -> None:
    headers = tokens.headers(role)
    listed = await client.get("/authorizations", headers=headers)
    assert listed.status_code == status
    exported = await client.get("/authorizations/export.csv", headers=headers)
    assert exported.status_code == status
    if status == 200:
        assert len(listed.json()["items"]) == 3
    assert (await client.get("/authorizations")).status_code == 401
