"""POST /charging-tokens/import over real databases: 10 000 cards in one go, every bad row of
a large file reported with nothing imported, dry runs, and the file format's variants."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from api_contracts_kit import add_contract, add_customer, add_plan, created, end_contract
from api_testkit import Tokens

from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.records import Page, Role, TokenFilter

CSV = {"Content-Type": "text/csv"}
HEADER = "uid,contract_id,printed_number,expires_at,card_fee\n"
CONTRACTS = 20
ROWS = 10_000


@pytest.fixture
async def contracts(client: httpx.AsyncClient, admin: dict[str, str]) -> list[dict[str, Any]]:
    """20 contracts: even ones under plan CARDFEE (card fee 15), odd ones under FREE."""
    await add_plan(client, admin, "CARDFEE", "15.00")
    await add_plan(client, admin, "FREE", "0")
    customer = await add_customer(client, admin, "Flota Sp. z o.o.")
    return [
        await add_contract(client, admin, customer, "CARDFEE" if n % 2 == 0 else "FREE")
        for n in range(CONTRACTS)
    ]


def uid(n: int) -> str:
    return f"04{n:012X}"


def row(n: int, contracts: list[dict[str, Any]]) -> str:
    """Card ``n``: its contract written hyphenated or compact, a printed number on even
    cards, an expiry on every third, the card fee waived on every seventh."""
    contract = contracts[n % CONTRACTS]
    contract_id = contract["id_hyphenated"] if n % 2 else contract["id"]
    printed = f"{n:08d}" if n % 2 == 0 else ""
    expires = "2030-01-01T00:00:00Z" if n % 3 == 0 else ""
    fee = "false" if n % 7 == 0 else ""
    return f"{uid(n)},{contract_id},{printed},{expires},{fee}\n"


async def post(
    client: httpx.AsyncClient, headers: dict[str, str], body: str | bytes, **params: Any
) -> httpx.Response:
    return await client.post(
        "/charging-tokens/import", content=body, params=params, headers={**headers, **CSV}
    )


async def stored_uids(uow: UnitOfWorkFactory) -> list[str]:
    async with uow() as tx:
        return [t.uid for t in await tx.tokens.list(TokenFilter(), Page(limit=1000))]


async def test_ten_thousand_cards_are_imported_in_one_go(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    contracts: list[dict[str, Any]],
    uow: UnitOfWorkFactory,
) -> None:
    body = HEADER + "".join(row(n, contracts) for n in range(ROWS))
    answer = await post(client, admin, body)
    assert answer.status_code == 201, answer.text[:2000]
    assert answer.json() == {"rows": ROWS, "imported": ROWS, "dry_run": False}

    for n in (0, 1, 2, 3, 7, 4999, 9998, 9999):
        card = (await client.get(f"/charging-tokens/{uid(n)}", headers=admin)).json()
        contract = contracts[n % CONTRACTS]
        assert card == {
            "uid": uid(n),
            "kind": "rfid",
            "contract_id": contract["id"],
            "status": "active",
            "issued_at": "2025-03-01T12:00:00Z",
            "expires_at": "2030-01-01T00:00:00Z" if n % 3 == 0 else None,
            "printed_number": f"{n:08d}" if n % 2 == 0 else None,
            "card_fee": n % 7 != 0 and contract["plan_id"] == "CARDFEE",
        }, n
    of_one = await client.get(
        "/charging-tokens",
        params={"contract_id": contracts[3]["id_hyphenated"], "limit": 1000},
        headers=admin,
    )
    assert len(of_one.json()["items"]) == ROWS // CONTRACTS
    last = await client.get("/charging-tokens", params={"offset": ROWS - 1}, headers=admin)
    assert len(last.json()["items"]) == 1
    again = await post(client, admin, HEADER + row(0, contracts))
    assert again.json()["error"]["details"] == [
        {"line": 2, "column": "uid", "message": f"uid {uid(0)} is already in use"}
    ]


async def test_bad_rows_spread_through_a_large_file_are_all_reported_and_nothing_imported(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    contracts: list[dict[str, Any]],
    uow: UnitOfWorkFactory,
) -> None:
    await created(await client.post("/id-tags", json={"id_tag": "STAFF-1"}, headers=admin))
    lines = [row(n, contracts) for n in range(ROWS)]
    # Line numbers count the header as line 1: card n is on line n + 2.
    lines[999] = f"BAD UID,{contracts[0]['id']},,,\n"
    lines[3998] = f"{uid(3998)},PL-AMP-C99999999,,,\n"
    lines[6998] = row(8, contracts)
    lines[9498] = f"STAFF-1,{contracts[0]['id']},,,\n"
    answer = await post(client, admin, HEADER + "".join(lines))
    assert answer.status_code == 422, answer.text[:2000]
    error = answer.json()["error"]
    assert error["code"] == "import_rejected"
    assert error["message"] == "4 problems in 4 of 10000 rows; nothing was imported"
    assert error["details"] == [
        {
            "line": 1001,
            "column": "uid",
            "message": "id tag 'BAD UID' must be 1-20 printable ASCII characters",
        },
        {
            "line": 4000,
            "column": "contract_id",
            "message": "contract PL-AMP-C99999999-D does not exist",
        },
        {"line": 7000, "column": "uid", "message": f"uid {uid(8)} is also on line 10"},
        {"line": 9500, "column": "uid", "message": "uid STAFF-1 is already in use"},
    ]
    assert await stored_uids(uow) == []


async def test_a_dry_run_checks_without_importing(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    contracts: list[dict[str, Any]],
    uow: UnitOfWorkFactory,
) -> None:
    body = HEADER + "".join(row(n, contracts) for n in range(100))
    checked = await post(client, admin, body, dry_run="true")
    assert checked.status_code == 200, checked.text
    assert checked.json() == {"rows": 100, "imported": 0, "dry_run": True}
    assert await stored_uids(uow) == []
    bad = await post(client, admin, body + "04,nonsense,,,\n", dry_run="true")
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "import_rejected")
    assert [d["line"] for d in bad.json()["error"]["details"]] == [102]
    assert (await post(client, admin, body)).status_code == 201
    assert len(await stored_uids(uow)) == 100


async def test_every_kind_of_problem_is_named_with_its_line_and_column(
    client: httpx.AsyncClient, admin: dict[str, str], contracts: list[dict[str, Any]]
) -> None:
    ended = contracts[1]["id"]
    await end_contract(client, admin, ended)
    await created(
        await client.post(
            "/charging-tokens",
            json={"kind": "rfid", "uid": "ISSUED", "contract_id": contracts[0]["id"]},
            headers=admin,
        )
    )
    live = contracts[0]["id"]
    mistyped = live[:-1] + ("Y" if live.endswith("X") else "X")  # a wrong check digit
    body = (
        "kind,uid,contract_id,printed_number,expires_at,card_fee\n"
        f"rfid,OK-1,{live},,,\n"
        f"rfid,ISSUED,{live},,,\n"
        f"rfid,OK-2,{ended},,,\n"
        f"rfid,OK-3,{live},,2025-03-01T11:59:59Z,\n"
        f"rfid,OK-4,{live},,2025-03-01,\n"
        f"app,APP-1,{live},1234,,true\n"
        f"rfid,OK-5,{mistyped},,,maybe\n"
        f"vehicle,92D50A693F8,{live},,,\n"
        f"rfid,OK-6,{live}\n"
        f"vehicle,92D50A693F80,{live},,,\n"
    )
    answer = await post(client, admin, body)
    assert answer.status_code == 422
    found = [(d["line"], d["column"]) for d in answer.json()["error"]["details"]]
    assert found == [
        (3, "uid"),
        (4, "contract_id"),
        (5, "expires_at"),
        (6, "expires_at"),
        (7, "printed_number"),
        (7, "card_fee"),
        (8, "contract_id"),
        (8, "card_fee"),
        (9, "uid"),
        (10, None),
    ]
    messages = {(d["line"], d["column"]): d["message"] for d in answer.json()["error"]["details"]}
    assert messages[4, "contract_id"] == f"contract {contracts[1]['id_hyphenated']} has ended"
    assert messages[5, "expires_at"] == "the expiry has already passed"
    assert answer.json()["error"]["message"] == (
        "10 problems in 8 of 10 rows; nothing was imported"
    )
    listed = (await client.get("/charging-tokens", headers=admin)).json()["items"]
    assert [t["uid"] for t in listed] == ["ISSUED"]


async def test_semicolons_a_bom_and_windows_line_ends_are_read(
    client: httpx.AsyncClient, admin: dict[str, str], contracts: list[dict[str, Any]]
) -> None:
    body = (
        "\ufeffUID;Contract_ID;Kind\r\n"
        f"04AA;{contracts[0]['id_hyphenated'].lower()};\r\n"
        f"92-d5-0a-69-3f-80;{contracts[1]['id']};vehicle\r\n"
    )
    answer = await post(client, admin, body.encode("utf-8"))
    assert answer.status_code == 201, answer.text
    car = (await client.get("/charging-tokens/VID:92D50A693F80", headers=admin)).json()
    assert (car["kind"], car["contract_id"], car["card_fee"]) == (
        "vehicle",
        contracts[1]["id"],
        False,
    )
    card = (await client.get("/charging-tokens/04AA", headers=admin)).json()
    assert (card["contract_id"], card["card_fee"]) == (contracts[0]["id"], True)


async def test_a_long_report_is_capped_and_says_so(
    client: httpx.AsyncClient, admin: dict[str, str], contracts: list[dict[str, Any]]
) -> None:
    body = HEADER + "".join(f"BAD {n},{contracts[0]['id']},,,\n" for n in range(1500))
    answer = await post(client, admin, body)
    error = answer.json()["error"]
    assert error["message"] == (
        "1500 problems in 1500 of 1500 rows (the first 1000 are listed); nothing was imported"
    )
    assert len(error["details"]) == 1000
    assert error["details"][-1]["line"] == 1001


@pytest.mark.parametrize(
    ("body", "headers", "status", "text"),
    [
        (b"", CSV, 422, "the CSV is empty"),
        (HEADER.encode(), CSV, 422, "no rows below its header"),
        (b"uid,contract\n", CSV, 422, "unknown column 'contract'"),
        ("uid,contract_id\nä,X\n".encode("latin-1"), CSV, 422, "not UTF-8 (line 2, byte 17)"),
        (b"uid,contract_id\n", {"Content-Type": "application/json"}, 415, "text/csv"),
    ],
)
async def test_files_that_cannot_be_read_are_refused_as_a_whole(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    body: bytes,
    headers: dict[str, str],
    status: int,
    text: str,
) -> None:
    answer = await client.post(
        "/charging-tokens/import", content=body, headers={**admin, **headers}
    )
    assert answer.status_code == status, answer.text
    assert text in answer.json()["error"]["message"]


async def test_importing_needs_the_customer_write_permission(
    client: httpx.AsyncClient, tokens: Tokens, contracts: list[dict[str, Any]]
) -> None:
    body = HEADER + row(0, contracts)
    refused = await post(client, tokens.headers(Role.CALL_CENTRE), body, dry_run="true")
    assert refused.status_code == 403
    assert (await post(client, tokens.headers(Role.SUPPORT_L2), body)).status_code == 201
