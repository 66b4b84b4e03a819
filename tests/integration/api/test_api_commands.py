"""Station commands through the API with a scripted ``StationCommands`` port."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from api_station_commands import ScriptedStationCommands
from api_testkit import T0

from ampyre.domain.transactions import Transaction
from ampyre.services.errors import CommandFailed, CommandTimeout
from ampyre.services.ports import CommandResult, UnitOfWorkFactory

BASE = "/stations/CP1/commands"


@pytest.fixture
async def online(
    client: httpx.AsyncClient, admin: dict[str, str], station_commands: ScriptedStationCommands
) -> ScriptedStationCommands:
    body = {"id": "CP1", "password": "a-station-password-01"}
    assert (await client.post("/stations", json=body, headers=admin)).status_code == 201
    station_commands.connected.add("CP1")
    return station_commands


@pytest.mark.parametrize(
    ("method", "path", "body", "call", "arguments"),
    [
        (
            "POST",
            "remote-start",
            {"id_tag": "TAG1", "connector_id": 2},
            "remote_start",
            {"id_tag": "TAG1", "connector_id": 2},
        ),
        (
            "POST",
            "remote-start",
            {"id_tag": "TAG1"},
            "remote_start",
            {"id_tag": "TAG1", "connector_id": None},
        ),
        ("POST", "reset", {"type": "Hard"}, "reset", {"hard": True}),
        ("POST", "reset", {"type": "Soft"}, "reset", {"hard": False}),
        ("POST", "unlock", {"connector_id": 1}, "unlock_connector", {"connector_id": 1}),
        (
            "POST",
            "availability",
            {"connector_id": 0, "type": "Inoperative"},
            "change_availability",
            {"connector_id": 0, "operative": False},
        ),
        (
            "PUT",
            "configuration",
            {"key": "HeartbeatInterval", "value": "60"},
            "change_configuration",
            {"key": "HeartbeatInterval", "value": "60"},
        ),
        (
            "POST",
            "trigger",
            {"message": "StatusNotification", "connector_id": 1},
            "trigger_message",
            {"message": "StatusNotification", "connector_id": 1},
        ),
        ("POST", "clear-cache", None, "clear_cache", {}),
        (
            "POST",
            "data-transfer",
            {"vendor_id": "com.acme", "data": "x"},
            "data_transfer",
            {"vendor_id": "com.acme", "message_id": None, "data": "x"},
        ),
    ],
)
async def test_command_reaches_the_station_and_returns_its_answer(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    online: ScriptedStationCommands,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    call: str,
    arguments: dict[str, Any],
) -> None:
    online.answer = CommandResult("Accepted", {"status": "Accepted", "extra": [1, 2]})
    answer = await client.request(method, f"{BASE}/{path}", json=body, headers=admin)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "status": "Accepted",
        "response": {"status": "Accepted", "extra": [1, 2]},
    }
    assert [(c.name, c.station_id, c.arguments) for c in online.calls] == [(call, "CP1", arguments)]


async def test_get_configuration_passes_repeated_keys(
    client: httpx.AsyncClient, admin: dict[str, str], online: ScriptedStationCommands
) -> None:
    payload = {
        "configurationKey": [{"key": "A", "readonly": False, "value": "1"}],
        "unknownKey": ["B"],
    }
    online.answer = CommandResult(None, payload)
    answer = await client.get(
        f"{BASE}/configuration", params=[("key", "A"), ("key", "B")], headers=admin
    )
    assert answer.json() == {"status": None, "response": payload}
    everything = await client.get(f"{BASE}/configuration", headers=admin)
    assert everything.status_code == 200
    assert [c.arguments for c in online.calls] == [{"keys": ["A", "B"]}, {"keys": []}]


async def test_remote_stop_of_a_running_transaction(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    online: ScriptedStationCommands,
    uow: UnitOfWorkFactory,
) -> None:
    async with uow() as work:
        running = await work.transactions.add(Transaction(0, "CP1", 1, "TAG", 0, T0, T0, "k1"))
        await work.commit()
    answer = await client.post(f"/transactions/{running}/stop", headers=admin)
    assert answer.status_code == 200, answer.text
    assert [(c.name, c.arguments) for c in online.calls] == [
        ("remote_stop", {"transaction_id": running})
    ]
    unknown = await client.post("/transactions/424242/stop", headers=admin)
    assert unknown.status_code == 404


@pytest.mark.parametrize(
    ("failure", "status", "code"),
    [
        (CommandTimeout("station CP1 did not answer within 2 s"), 504, "station_timeout"),
        (CommandFailed("station CP1 answered NotSupported: no"), 502, "station_error"),
    ],
)
async def test_station_failures_map_to_gateway_statuses(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    online: ScriptedStationCommands,
    failure: Exception,
    status: int,
    code: str,
) -> None:
    online.failure = failure
    answer = await client.post(f"{BASE}/reset", json={"type": "Soft"}, headers=admin)
    assert answer.status_code == status
    assert answer.json() == {"error": {"code": code, "message": str(failure)}}


async def test_not_connected_and_unknown_stations(
    client: httpx.AsyncClient, admin: dict[str, str], online: ScriptedStationCommands
) -> None:
    online.connected.clear()
    offline = await client.post(f"{BASE}/clear-cache", headers=admin)
    assert offline.status_code == 409
    assert offline.json() == {
        "error": {"code": "station_not_connected", "message": "station CP1 is not connected"}
    }
    unknown = await client.post("/stations/NOPE/commands/clear-cache", headers=admin)
    assert unknown.status_code == 404
    assert online.calls == []


async def test_command_bodies_are_validated_before_anything_is_sent(
    client: httpx.AsyncClient, admin: dict[str, str], online: ScriptedStationCommands
) -> None:
    trigger = await client.post(f"{BASE}/trigger", json={"message": "Reboot"}, headers=admin)
    assert trigger.status_code == 422
    assert trigger.json()["error"]["message"].startswith("message must be one of")
    reset = await client.post(f"{BASE}/reset", json={"type": "Medium"}, headers=admin)
    assert reset.status_code == 422
    assert "body.type" in reset.json()["error"]["message"]
    unlock = await client.post(f"{BASE}/unlock", json={}, headers=admin)
    assert unlock.status_code == 422
    assert unlock.json()["error"]["details"] == [
        {"field": "body.connector_id", "message": "Field required"}
    ]
    assert online.calls == []
