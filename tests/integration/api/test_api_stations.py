"""/stations and /stations/{id}/connectors over real databases."""

from __future__ import annotations

from datetime import timedelta

import httpx
from api_station_commands import ScriptedStationCommands
from api_testkit import T0
from sqlalchemy.ext.asyncio import AsyncEngine

from ampyre.db.telemetry import BatchedTelemetryWriter
from ampyre.domain.station_secrets import verify_password
from ampyre.domain.stations import ConnectorStatus, StatusReport
from ampyre.domain.transactions import Transaction
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.records import ConnectionEvent

PASSWORD = "a-station-password-01"


async def _stored_hash(uow: UnitOfWorkFactory, station_id: str) -> str | None:
    async with uow() as work:
        station = await work.stations.get(station_id)
    assert station is not None
    return station.password_hash


async def test_create_with_generated_password_shown_once_and_never_a_hash(
    client: httpx.AsyncClient, admin: dict[str, str], uow: UnitOfWorkFactory
) -> None:
    answer = await client.post(
        "/stations",
        json={"id": "CP-1", "name": "Gate", "max_power_w": 22000, "groups": ["north"]},
        headers=admin,
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    generated = body["generated_password"]
    assert 16 <= len(generated) <= 40
    stored = await _stored_hash(uow, "CP-1")
    assert stored is not None
    assert verify_password(generated, stored)
    station = body["station"]
    assert station["has_password"] is True
    assert station["registration_status"] == "Accepted"
    assert station["created_at"] == "2025-03-01T12:00:00Z"
    assert "password_hash" not in station
    detail = await client.get("/stations/CP-1", headers=admin)
    assert stored not in detail.text
    assert generated not in detail.text
    assert "generated_password" not in detail.json()

    chosen = await client.post(
        "/stations", json={"id": "CP-2", "password": PASSWORD}, headers=admin
    )
    assert chosen.json()["generated_password"] is None
    stored = await _stored_hash(uow, "CP-2")
    assert stored is not None
    assert verify_password(PASSWORD, stored)


async def test_create_refuses_bad_input_with_clear_messages(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    bad_id = await client.post("/stations", json={"id": "has space"}, headers=admin)
    assert bad_id.status_code == 422
    assert bad_id.json()["error"]["message"].startswith("body.id: String should match pattern")
    short = await client.post("/stations", json={"id": "CP1", "password": "x"}, headers=admin)
    assert short.status_code == 422
    assert "body.password" in short.json()["error"]["message"]
    nowhere = await client.post("/stations", json={"id": "CP1", "location_id": "L9"}, headers=admin)
    assert nowhere.status_code == 422
    assert nowhere.json()["error"] == {
        "code": "validation_failed",
        "message": "location L9 does not exist",
    }
    assert (await client.post("/stations", json={"id": "CP1"}, headers=admin)).status_code == 201
    again = await client.post("/stations", json={"id": "CP1"}, headers=admin)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"


async def test_list_filters_and_pagination(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    for number in range(5):
        status = "Pending" if number % 2 else "Accepted"
        body = {"id": f"CP{number}", "password": PASSWORD, "registration_status": status}
        assert (await client.post("/stations", json=body, headers=admin)).status_code == 201
    first = await client.get("/stations", params={"limit": 2}, headers=admin)
    second = await client.get("/stations", params={"limit": 2, "offset": 2}, headers=admin)
    assert [s["id"] for s in first.json()["items"]] == ["CP0", "CP1"]
    assert [s["id"] for s in second.json()["items"]] == ["CP2", "CP3"]
    assert (second.json()["limit"], second.json()["offset"]) == (2, 2)
    pending = await client.get(
        "/stations", params={"registration_status": "Pending"}, headers=admin
    )
    assert [s["id"] for s in pending.json()["items"]] == ["CP1", "CP3"]
    connected = await client.get("/stations", params={"connected": "true"}, headers=admin)
    assert connected.json()["items"] == []
    too_big = await client.get("/stations", params={"limit": 5000}, headers=admin)
    assert too_big.status_code == 422
    assert "query.limit" in too_big.json()["error"]["message"]
    bad_status = await client.get(
        "/stations", params={"registration_status": "Maybe"}, headers=admin
    )
    assert bad_status.status_code == 422


async def test_approve_reject_edit_password_and_delete(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    uow: UnitOfWorkFactory,
    station_commands: ScriptedStationCommands,
) -> None:
    body = {"id": "CP1", "password": PASSWORD, "registration_status": "Pending"}
    await client.post("/stations", json=body, headers=admin)
    approved = await client.post("/stations/CP1/approve", headers=admin)
    assert approved.json()["registration_status"] == "Accepted"

    station_commands.connected.add("CP1")
    rejected = await client.post("/stations/CP1/reject", headers=admin)
    assert rejected.json()["registration_status"] == "Rejected"
    assert station_commands.disconnected == ["CP1"]

    patched = await client.patch(
        "/stations/CP1", json={"name": "North gate", "groups": ["a", "b"]}, headers=admin
    )
    assert (patched.json()["name"], patched.json()["groups"]) == ("North gate", ["a", "b"])
    cleared = await client.patch("/stations/CP1", json={"name": None}, headers=admin)
    assert (cleared.json()["name"], cleared.json()["groups"]) == (None, ["a", "b"])

    new_password = await client.post("/stations/CP1/password", json={}, headers=admin)
    generated = new_password.json()["generated_password"]
    stored = await _stored_hash(uow, "CP1")
    assert stored is not None
    assert verify_password(generated, stored)
    chosen = await client.post(
        "/stations/CP1/password", json={"password": "another-password-02"}, headers=admin
    )
    assert chosen.json() == {"generated_password": None}

    assert (await client.delete("/stations/CP1", headers=admin)).status_code == 204
    assert (await client.get("/stations/CP1", headers=admin)).status_code == 404
    assert (await client.delete("/stations/CP1", headers=admin)).status_code == 404


async def test_a_station_with_transactions_is_not_deleted(
    client: httpx.AsyncClient, admin: dict[str, str], uow: UnitOfWorkFactory
) -> None:
    await client.post("/stations", json={"id": "CP1", "password": PASSWORD}, headers=admin)
    async with uow() as work:
        await work.transactions.add(Transaction(0, "CP1", 1, "TAG", 0, T0, T0, "k1"))
        await work.commit()
    refused = await client.delete("/stations/CP1", headers=admin)
    assert refused.status_code == 409
    assert "reject it" in refused.json()["error"]["message"]


async def test_detail_status_history_and_connections(
    client: httpx.AsyncClient, admin: dict[str, str], uow: UnitOfWorkFactory, engine: AsyncEngine
) -> None:
    await client.post("/stations", json={"id": "CP1", "password": PASSWORD}, headers=admin)
    created = await client.post(
        "/stations/CP1/connectors",
        json={"connector_id": 1, "standard": "IEC_62196_T2", "max_power_w": 22000},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    writer = BatchedTelemetryWriter(engine)
    await writer.start()
    for seconds, connector, status in [
        (0, 0, ConnectorStatus.AVAILABLE),
        (1, 1, ConnectorStatus.AVAILABLE),
        (2, 1, ConnectorStatus.CHARGING),
    ]:
        at = T0 + timedelta(seconds=seconds)
        await writer.record_status(StatusReport("CP1", connector, status, "NoError", at, at))
    await writer.stop()
    async with uow() as work:
        await work.logs.add_connection_event(ConnectionEvent("CP1", "connected", T0, "1.6"))
        await work.logs.add_connection_event(
            ConnectionEvent("CP1", "disconnected", T0 + timedelta(minutes=5), "closed")
        )
        await work.transactions.add(Transaction(0, "CP1", 1, "TAG", 10, T0, T0, "k1"))
        await work.commit()

    detail = (await client.get("/stations/CP1", headers=admin)).json()
    assert [(c["connector_id"], c["status"]) for c in detail["connectors"]] == [(1, "Charging")]
    assert detail["station_status"]["status"] == "Available"
    assert [t["id_tag"] for t in detail["active_transactions"]] == ["TAG"]

    history = (await client.get("/stations/CP1/status-history", headers=admin)).json()
    assert [(h["connector_id"], h["status"]) for h in history["items"]] == [
        (1, "Charging"),
        (1, "Available"),
        (0, "Available"),
    ]
    only_one = await client.get(
        "/stations/CP1/status-history", params={"connector_id": 1, "limit": 1}, headers=admin
    )
    assert [h["status"] for h in only_one.json()["items"]] == ["Charging"]
    assert only_one.json()["items"][0]["received_at"] == "2025-03-01T12:00:02Z"

    connections = (await client.get("/stations/CP1/connections", headers=admin)).json()
    assert [(e["event"], e["detail"]) for e in connections["items"]] == [
        ("disconnected", "closed"),
        ("connected", "1.6"),
    ]
    missing = await client.get("/stations/NOPE/connections", headers=admin)
    assert missing.status_code == 404


async def test_connector_crud(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    base = "/stations/CP1/connectors"
    assert (await client.post(base, json={"connector_id": 1}, headers=admin)).status_code == 404
    await client.post("/stations", json={"id": "CP1", "password": PASSWORD}, headers=admin)
    body = {
        "connector_id": 2,
        "standard": "IEC_62196_T2_COMBO",
        "format": "CABLE",
        "power_type": "DC",
        "max_power_w": 150000,
        "evse_id": "PL*AMP*E0001*2",
    }
    created = await client.post(base, json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "Unavailable"
    assert {k: created.json()[k] for k in body} == body
    assert (await client.post(base, json=body, headers=admin)).status_code == 409
    zero = await client.post(base, json={"connector_id": 0}, headers=admin)
    assert zero.status_code == 422
    assert "body.connector_id" in zero.json()["error"]["message"]
    bad_standard = await client.post(
        base, json={"connector_id": 3, "standard": "SCHUKO"}, headers=admin
    )
    assert bad_standard.status_code == 422

    patched = await client.patch(f"{base}/2", json={"evse_id": None}, headers=admin)
    assert (patched.json()["evse_id"], patched.json()["max_power_w"]) == (None, 150000)
    listed = await client.get(base, headers=admin)
    assert [c["connector_id"] for c in listed.json()] == [2]
    assert (await client.get(f"{base}/2", headers=admin)).status_code == 200
    assert (await client.delete(f"{base}/2", headers=admin)).status_code == 204
    assert (await client.get(f"{base}/2", headers=admin)).status_code == 404
