"""Authentication (401) and role-based access (403) through the API, and /tokens."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from api_station_commands import ScriptedStationCommands
from api_testkit import Tokens

from ampyre.services.access import Permission, permissions_of
from ampyre.services.records import Role

PW = "a-station-password-01"


async def test_missing_malformed_unknown_and_revoked_tokens_get_401(
    client: httpx.AsyncClient, tokens: Tokens, admin: dict[str, str]
) -> None:
    attempts: list[dict[str, str]] = [
        {},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Bearer ampyre_" + "x" * 43},
    ]
    for headers in attempts:
        answer = await client.get("/stations", headers=headers)
        assert answer.status_code == 401, headers
        assert answer.json()["error"]["code"] == "unauthenticated"
        assert answer.headers["www-authenticate"] == "Bearer"

    listed = (await client.get("/tokens", headers=admin)).json()
    readonly = next(t for t in listed if t["role"] == "readonly")
    assert set(readonly) == {"id", "name", "role", "created_at", "revoked_at", "last_used_at"}
    reader = tokens.headers(Role.READONLY)
    assert (await client.get("/stations", headers=reader)).status_code == 200
    assert (await client.delete(f"/tokens/{readonly['id']}", headers=admin)).status_code == 204
    revoked = await client.get("/stations", headers=reader)
    assert revoked.status_code == 401
    assert revoked.json()["error"]["message"] == "invalid or revoked API token"
    again = await client.delete(f"/tokens/{readonly['id']}", headers=admin)
    assert again.status_code == 204
    assert (await client.delete("/tokens/99999", headers=admin)).status_code == 404


async def test_a_created_token_works_once_and_its_secret_is_not_listed(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    created = await client.post(
        "/tokens", json={"name": "exporter", "role": "call_centre"}, headers=admin
    )
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    assert secret.startswith("ampyre_")
    assert created.json()["token"]["role"] == "call_centre"
    headers = {"Authorization": f"Bearer {secret}"}
    assert (await client.get("/transactions", headers=headers)).status_code == 200
    assert (await client.get("/message-log", headers=headers)).status_code == 403
    assert secret not in (await client.get("/tokens", headers=admin)).text
    bad_role = await client.post("/tokens", json={"name": "x", "role": "root"}, headers=admin)
    assert bad_role.status_code == 422


ENDPOINTS: list[tuple[str, str, dict[str, Any] | None, Permission]] = [
    ("GET", "/stations", None, Permission.STATIONS_READ),
    ("GET", "/stations/CP1", None, Permission.STATIONS_READ),
    ("POST", "/stations", {"id": "CP9"}, Permission.STATIONS_WRITE),
    ("PATCH", "/stations/CP1", {"name": "x"}, Permission.STATIONS_WRITE),
    ("POST", "/stations/CP1/approve", None, Permission.STATIONS_WRITE),
    ("GET", "/locations", None, Permission.LOCATIONS_READ),
    ("GET", "/id-tags", None, Permission.ID_TAGS_READ),
    ("POST", "/id-tags", {"id_tag": "NEW"}, Permission.ID_TAGS_WRITE),
    ("GET", "/transactions", None, Permission.TRANSACTIONS_READ),
    ("GET", "/message-log", None, Permission.MESSAGE_LOG_READ),
    ("POST", "/stations/CP1/commands/clear-cache", None, Permission.STATIONS_COMMAND),
    ("POST", "/stations/CP1/commands/reset", {"type": "Soft"}, Permission.STATIONS_RESET),
    ("GET", "/tokens", None, Permission.API_TOKENS_MANAGE),
]


@pytest.mark.parametrize("role", list(Role))
async def test_each_role_gets_exactly_its_endpoints(
    client: httpx.AsyncClient,
    tokens: Tokens,
    admin: dict[str, str],
    station_commands: ScriptedStationCommands,
    role: Role,
) -> None:
    assert (
        await client.post("/stations", json={"id": "CP1", "password": PW}, headers=admin)
    ).status_code == 201
    station_commands.connected.add("CP1")
    headers = tokens.headers(role)

    for method, path, body, permission in ENDPOINTS:
        answer = await client.request(method, path, json=body, headers=headers)
        allowed = permission in permissions_of(role)
        if allowed:
            assert answer.status_code in (200, 201), (role, method, path, answer.text)
        else:
            assert answer.status_code == 403, (role, method, path, answer.text)
            assert answer.json()["error"]["code"] == "forbidden"


async def test_forbidden_comes_before_request_validation(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    answer = await client.post(
        "/stations", json={"id": "bad id", "password": 3}, headers=tokens.headers(Role.READONLY)
    )
    assert answer.status_code == 403
