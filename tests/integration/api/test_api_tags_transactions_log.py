"""/id-tags, /transactions and /message-log over real databases."""

from __future__ import annotations

from datetime import timedelta

import httpx
from api_testkit import T0
from sqlalchemy.ext.asyncio import AsyncEngine

from ampyre.db.telemetry import BatchedTelemetryWriter
from ampyre.domain.metering import MeterSample, ReadingContext, SampledValue, ValueFormat
from ampyre.domain.transactions import StopReason, Transaction
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.records import LoggedFrame, MeterBatch


async def test_id_tag_crud_and_search(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    body = {
        "id_tag": "CARD-0001",
        "expires_at": "2030-01-01T01:00:00+01:00",
        "parent_id_tag": "FLEET",
        "note": "Ann",
    }
    created = await client.post("/id-tags", json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json() == {
        "id_tag": "CARD-0001",
        "status": "Active",
        "expires_at": "2030-01-01T00:00:00Z",
        "parent_id_tag": "FLEET",
        "note": "Ann",
    }
    await client.post("/id-tags", json={"id_tag": "OTHER"}, headers=admin)
    assert (await client.post("/id-tags", json=body, headers=admin)).status_code == 409

    blocked = await client.patch(
        "/id-tags/CARD-0001", json={"status": "Blocked", "expires_at": None}, headers=admin
    )
    assert blocked.json()["status"] == "Blocked"
    assert blocked.json()["expires_at"] is None
    assert blocked.json()["parent_id_tag"] == "FLEET"
    fetched = await client.get("/id-tags/CARD-0001", headers=admin)
    assert fetched.json() == blocked.json()

    found = await client.get("/id-tags", params={"search": "card"}, headers=admin)
    assert [t["id_tag"] for t in found.json()["items"]] == ["CARD-0001"]
    everything = await client.get("/id-tags", headers=admin)
    assert [t["id_tag"] for t in everything.json()["items"]] == ["CARD-0001", "OTHER"]

    assert (await client.delete("/id-tags/CARD-0001", headers=admin)).status_code == 204
    assert (await client.get("/id-tags/CARD-0001", headers=admin)).status_code == 404


async def test_id_tag_validation(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    too_long = await client.post("/id-tags", json={"id_tag": "X" * 21}, headers=admin)
    assert too_long.status_code == 422
    assert "body.id_tag" in too_long.json()["error"]["message"]
    naive = await client.post(
        "/id-tags", json={"id_tag": "A", "expires_at": "2030-01-01T00:00:00"}, headers=admin
    )
    assert naive.status_code == 422
    assert "body.expires_at" in naive.json()["error"]["message"]
    own_parent = await client.post(
        "/id-tags", json={"id_tag": "A", "parent_id_tag": "A"}, headers=admin
    )
    assert own_parent.status_code == 422
    assert own_parent.json()["error"]["message"] == "an id tag cannot be its own parent"
    await client.post("/id-tags", json={"id_tag": "A"}, headers=admin)
    bad_status = await client.patch("/id-tags/A", json={"status": "Lost"}, headers=admin)
    assert bad_status.status_code == 422
    null_status = await client.patch("/id-tags/A", json={"status": None}, headers=admin)
    assert null_status.status_code == 422


async def _seed_transactions(uow: UnitOfWorkFactory) -> list[int]:
    ids = []
    async with uow() as work:
        for number in range(5):
            started = T0 + timedelta(hours=number)
            transaction = Transaction(
                0, f"CP{number % 2}", 1, f"TAG{number % 3}", 1000, started, started, f"k{number}"
            )
            if number < 3:
                transaction.stop(
                    meter_stop_wh=1000 + 100 * number,
                    at=started + timedelta(minutes=30),
                    received_at=started + timedelta(minutes=30),
                    reason=StopReason.LOCAL,
                )
            ids.append(await work.transactions.add(transaction))
        await work.commit()
    return ids


async def test_transactions_filters_and_pagination(
    client: httpx.AsyncClient, admin: dict[str, str], uow: UnitOfWorkFactory
) -> None:
    ids = await _seed_transactions(uow)

    async def listed(**params: str | int) -> list[int]:
        answer = await client.get("/transactions", params=params, headers=admin)
        assert answer.status_code == 200, answer.text
        return [t["id"] for t in answer.json()["items"]]

    assert await listed() == ids[::-1]
    assert await listed(limit=2, offset=1) == [ids[3], ids[2]]
    assert await listed(station_id="CP0") == [ids[4], ids[2], ids[0]]
    assert await listed(id_tag="TAG1") == [ids[4], ids[1]]
    assert await listed(active="true") == [ids[4], ids[3]]
    assert await listed(active="false", station_id="CP1") == [ids[1]]
    window = {"from": "2025-03-01T13:00:00Z", "to": "2025-03-01T15:00:00+00:00"}
    assert await listed(**window) == [ids[2], ids[1]]
    backwards = await client.get(
        "/transactions", params={"from": window["to"], "to": window["from"]}, headers=admin
    )
    assert backwards.status_code == 422
    assert "after its end" in backwards.json()["error"]["message"]
    naive = await client.get("/transactions", params={"from": "2025-03-01T13:00:00"}, headers=admin)
    assert naive.status_code == 422
    assert "query.from" in naive.json()["error"]["message"]

    first = (await client.get("/transactions", params={"limit": 1}, headers=admin)).json()
    item = first["items"][0]
    assert (item["state"], item["energy_wh"], item["stopped_at"]) == ("Active", 0, None)
    done = (await client.get(f"/transactions/{ids[2]}", headers=admin)).json()
    assert (done["state"], done["energy_wh"], done["stop_reason"]) == ("Completed", 200, "Local")
    assert done["started_at"] == "2025-03-01T14:00:00Z"
    assert done["meter_values"] == []


async def test_transaction_detail_has_meter_values_with_signed_data(
    client: httpx.AsyncClient, admin: dict[str, str], uow: UnitOfWorkFactory, engine: AsyncEngine
) -> None:
    async with uow() as work:
        transaction_id = await work.transactions.add(
            Transaction(0, "CP1", 1, "TAG", 1000, T0, T0, "k1")
        )
        await work.commit()
    samples = (
        MeterSample(
            T0 + timedelta(minutes=1),
            (
                SampledValue("1.250", unit="kWh", context=ReadingContext.SAMPLE_PERIODIC),
                SampledValue("7400", measurand="Power.Active.Import", unit="W"),
            ),
        ),
        MeterSample(
            T0 + timedelta(minutes=2),
            (
                SampledValue("1500", unit="Wh"),
                SampledValue(
                    "OCMF|{...}|{SD:3045}",
                    format=ValueFormat.SIGNED_DATA,
                    signed_data='OCMF|{"FV":"1.0"}|{"SD":"3045"}',
                ),
            ),
        ),
    )
    writer = BatchedTelemetryWriter(engine)
    await writer.start()
    await writer.record_meter_values(
        MeterBatch(
            "CP1",
            1,
            transaction_id,
            T0 + timedelta(minutes=2),
            samples,
            register_wh=1500,
            register_at=T0 + timedelta(minutes=2),
        )
    )
    await writer.stop()

    detail = await client.get(f"/transactions/{transaction_id}", headers=admin)
    assert detail.status_code == 200, detail.text
    body = detail.json()
    assert body["energy_wh"] == 500
    assert body["last_meter_wh"] == 1500
    meter_values = body["meter_values"]
    assert [m["timestamp"] for m in meter_values] == [
        "2025-03-01T12:01:00Z",
        "2025-03-01T12:02:00Z",
    ]
    assert meter_values[0]["sampled_values"][0] == {
        "value": "1.250",
        "measurand": "Energy.Active.Import.Register",
        "unit": "kWh",
        "phase": None,
        "context": "Sample.Periodic",
        "location": None,
        "format": "Raw",
        "signed_data": None,
    }
    signed = meter_values[1]["sampled_values"][1]
    assert signed["format"] == "SignedData"
    assert signed["signed_data"] == 'OCMF|{"FV":"1.0"}|{"SD":"3045"}'
    assert (await client.get("/transactions/999999", headers=admin)).status_code == 404
    not_a_number = await client.get("/transactions/abc", headers=admin)
    assert not_a_number.status_code == 422
    assert "path.transaction_id" in not_a_number.json()["error"]["message"]


async def test_message_log_filters(
    client: httpx.AsyncClient, admin: dict[str, str], engine: AsyncEngine
) -> None:
    writer = BatchedTelemetryWriter(engine)
    await writer.start()
    for minute, (station, action) in enumerate(
        [("CP1", "BootNotification"), ("CP1", "Heartbeat"), ("CP2", "Heartbeat")]
    ):
        at = T0 + timedelta(minutes=minute)
        writer.record_frame(
            LoggedFrame(
                station,
                "in",
                f"m{minute}",
                action,
                f'[2,"m{minute}","{action}",{{}}]',
                f'[3,"m{minute}",{{}}]',
                at,
                at,
                None,
            )
        )
    await writer.stop()

    async def actions(**params: str | int) -> list[tuple[str, str]]:
        answer = await client.get("/message-log", params=params, headers=admin)
        assert answer.status_code == 200, answer.text
        return [(f["station_id"], f["action"]) for f in answer.json()["items"]]

    assert await actions() == [
        ("CP2", "Heartbeat"),
        ("CP1", "Heartbeat"),
        ("CP1", "BootNotification"),
    ]
    assert await actions(station_id="CP1", action="Heartbeat") == [("CP1", "Heartbeat")]
    assert await actions(**{"from": "2025-03-01T12:01:00Z"}) == [
        ("CP2", "Heartbeat"),
        ("CP1", "Heartbeat"),
    ]
    assert await actions(to="2025-03-01T12:01:00Z") == [("CP1", "BootNotification")]
    assert await actions(limit=1, offset=2) == [("CP1", "BootNotification")]
    frame = (await client.get("/message-log", params={"limit": 1}, headers=admin)).json()
    assert frame["items"][0]["request"] == '[2,"m2","Heartbeat",{}]'
    assert frame["items"][0]["requested_at"] == "2025-03-01T12:02:00Z"
