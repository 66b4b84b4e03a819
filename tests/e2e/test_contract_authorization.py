"""Contracts, tokens and the authorisation pipeline over real OCPP WebSocket connections.

One subscriber with a plan whose special price applies at the station group "fleet-depot";
an RFID card and a car registered for autocharge under the contract. Every answer a station
gets is the pipeline's (Accepted, ConcurrentTx, Blocked, Expired, Invalid) and every attempt
is in the searchable authorisation log.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from ampyre.domain.id_tags import IdTag
from tests.e2e.conftest import PASSWORD, LiveServer
from tests.e2e.station_client import TestStation, station

CARD = "04A1B2C3D4E5F6"
CAR_MAC = "92:d5:0a:69:3f:80"
CAR_UID = "VID:92D50A693F80"


def tariff(tariff_id: str, kwh_price: str) -> dict[str, Any]:
    return {
        "id": tariff_id,
        "name": tariff_id,
        "tariff": {
            "currency": "PLN",
            "elements": [
                {"components": [{"dimension": "ENERGY", "price": kwh_price, "vat_percent": "23"}]}
            ],
        },
    }


async def created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def subscribe(server: LiveServer) -> tuple[str, str]:
    """A subscriber under plan "fleet" (special price FLEET-AC at the group "fleet-depot",
    1 bonus point per kWh, worth 0.10 PLN); returns (customer id, contract id)."""
    api = server.api
    for body in (tariff("PUBLIC-AC", "2.00"), tariff("FLEET-AC", "1.00")):
        await created(await api.post("/tariffs", json=body))
    await created(
        await api.post(
            "/tariff-assignments",
            json={"tariff_id": "PUBLIC-AC", "scope": "network"},
        )
    )
    await created(
        await api.post(
            "/plans",
            json={
                "id": "fleet",
                "name": "Fleet",
                "currency": "PLN",
                "monthly_fee": "49.00",
                "card_fee": "15.00",
                "vat_percent": "23",
                "valid_from": "2026-01-01T00:00:00Z",
                "special_prices": [
                    {"scope": "station_group", "target": "fleet-depot", "tariff_id": "FLEET-AC"}
                ],
                "bonus": {"basis": "energy", "points_per_unit": "1", "point_value": "0.10"},
            },
        )
    )
    customer = await created(
        await api.post(
            "/customers",
            json={
                "type": "private",
                "profile": "subscriber",
                "name": "Anna Nowak",
                "email": "anna@example.pl",
            },
        )
    )
    contract = await created(
        await api.post("/contracts", json={"customer_id": customer["id"], "plan_id": "fleet"})
    )
    return customer["id"], contract["id"]


async def add_stations(server: LiveServer) -> None:
    for station_id, groups in (("CP-DEPOT", ["fleet-depot"]), ("CP-CITY", [])):
        await server.add_station(station_id)
        moved = await server.api.patch(f"/stations/{station_id}", json={"groups": groups})
        assert moved.status_code == 200, moved.text


async def authorize(cp: TestStation, uid: str) -> str:
    answer = await cp.call("Authorize", {"idTag": uid})
    status: str = answer["idTagInfo"]["status"]
    return status


async def session(cp: TestStation, uid: str, kwh: int) -> int:
    """A whole session on connector 1 delivering ``kwh``; returns its transaction id."""
    await cp.status(1, "Preparing")
    started = await cp.start(uid, meter_start=0)
    assert started["idTagInfo"]["status"] == "Accepted", started
    tx: int = started["transactionId"]
    await cp.status(1, "Charging")
    await cp.meter(tx, kwh * 1000)
    await cp.stop(tx, kwh * 1000, reason="EVDisconnected")
    await cp.status(1, "Available")
    return tx


async def cdr_of(server: LiveServer, tx: int) -> dict[str, Any]:
    for _ in range(200):
        found = (await server.api.get("/cdrs", params={"transaction_id": tx})).json()["items"]
        if found:
            cdr: dict[str, Any] = found[0]
            return cdr
        await asyncio.sleep(0.05)
    raise AssertionError(f"no CDR for transaction {tx}")


async def test_a_subscriber_card_gets_each_ocpp_status_and_every_attempt_is_logged(
    server: LiveServer,
) -> None:
    api = server.api
    customer_id, contract_id = await subscribe(server)
    await add_stations(server)
    await created(
        await api.post(
            "/charging-tokens",
            json={"kind": "rfid", "uid": CARD, "contract_id": contract_id},
        )
    )

    async with station(server.ocpp, "CP-DEPOT", PASSWORD) as cp:
        await cp.boot()
        assert await authorize(cp, CARD) == "Accepted"
        started = await cp.start(CARD, meter_start=0)
        tx = started["transactionId"]
        assert started["idTagInfo"] == {"status": "Accepted", "parentIdTag": contract_id}
        assert await authorize(cp, CARD) == "ConcurrentTx"
        await cp.stop(tx, 5000, reason="Local", id_tag=CARD)
        assert await authorize(cp, "UNKNOWN-CARD") == "Invalid"

        # Blocking reaches the station's authorisation cache too: it accepted the card.
        assert (await api.post(f"/charging-tokens/{CARD}/block", json={})).status_code == 200
        assert cp.calls == [("ClearCache", {})]
        assert await authorize(cp, CARD) == "Blocked"
        # A remote start from the API is checked before anything is sent to the station.
        refused = await api.post("/stations/CP-DEPOT/commands/remote-start", json={"id_tag": CARD})
        assert refused.status_code == 409
        assert refused.json()["error"]["code"] == "not_authorized"
        assert "blocked" in refused.json()["error"]["message"]
        assert cp.calls == [("ClearCache", {})]
        assert (await api.post(f"/charging-tokens/{CARD}/unblock", json={})).status_code == 200
        assert await authorize(cp, CARD) == "Accepted"

        blocked = await api.post(
            f"/customers/{customer_id}/block", json={"reason": "unpaid invoices"}
        )
        assert blocked.status_code == 200, blocked.text
        assert cp.calls == [("ClearCache", {})] * 2
        assert await authorize(cp, CARD) == "Blocked"
        assert (await api.post(f"/customers/{customer_id}/unblock")).status_code == 200

        ended = await api.post(f"/contracts/{contract_id}/end", json={"reason": "cancelled"})
        assert ended.status_code == 200, ended.text
        assert await authorize(cp, CARD) == "Expired"

    transaction = (await api.get(f"/transactions/{tx}")).json()
    assert transaction["contract_id"] == contract_id
    assert transaction["plan_id"] == "fleet"

    logged = (await api.get("/authorizations", params={"uid": CARD})).json()["items"]
    assert [(a["trigger"], a["status"]) for a in reversed(logged)] == [
        ("authorize", "Accepted"),
        ("start", "Accepted"),
        ("authorize", "ConcurrentTx"),
        ("stop", "Accepted"),
        ("authorize", "Blocked"),
        ("remote_start", "Blocked"),
        ("authorize", "Accepted"),
        ("authorize", "Blocked"),
        ("authorize", "Expired"),
    ]
    assert all(a["station_id"] == "CP-DEPOT" for a in logged)
    assert all(a["contract_id"] == contract_id for a in logged)
    assert next(a for a in logged if a["trigger"] == "start")["transaction_id"] == tx
    assert "ended" in logged[0]["reason"]
    assert "unpaid invoices" in logged[1]["reason"]
    unknown = (await api.get("/authorizations", params={"status": "Invalid"})).json()["items"]
    assert [(a["uid"], a["reason"]) for a in unknown] == [("UNKNOWN-CARD", "unknown token")]
    exported = await api.get("/authorizations/export.csv", params={"uid": CARD})
    assert exported.status_code == 200
    assert len(exported.text.strip().splitlines()) == 1 + len(logged)


async def test_a_registered_car_starts_charging_when_plugged_in_with_no_card(
    server: LiveServer,
) -> None:
    api = server.api
    customer_id, contract_id = await subscribe(server)
    await add_stations(server)
    vehicle = await created(
        await api.post(
            "/vehicles",
            json={
                "customer_id": customer_id,
                "make": "Hyundai",
                "model": "Ioniq 5",
                "battery_kwh": "77.4",
                "connector_standards": ["IEC_62196_T2_COMBO"],
                "autocharge": {"mac": CAR_MAC, "contract_id": contract_id},
            },
        )
    )
    assert vehicle["token_uid"] == CAR_UID

    # An AutoCharge station reads the car's MAC address when the cable is plugged in and
    # asks with "VID:<MAC>" as the idTag; nobody shows a card.
    async with station(server.ocpp, "CP-CITY", PASSWORD) as cp:
        await cp.boot()
        await cp.status(1, "Preparing")
        assert await authorize(cp, CAR_UID) == "Accepted"
        tx = await session(cp, CAR_UID, kwh=10)

    transaction = (await api.get(f"/transactions/{tx}")).json()
    assert transaction["id_tag"] == CAR_UID
    assert transaction["contract_id"] == contract_id
    logged = (await api.get("/authorizations", params={"uid": CAR_UID})).json()["items"]
    assert {a["token_kind"] for a in logged} == {"vehicle"}
    assert {a["customer_id"] for a in logged} == {customer_id}


async def test_the_plan_price_applies_at_its_station_group_only_and_earns_points(
    server: LiveServer,
) -> None:
    api = server.api
    _, contract_id = await subscribe(server)
    await add_stations(server)
    await created(
        await api.post(
            "/charging-tokens",
            json={"kind": "rfid", "uid": CARD, "contract_id": contract_id},
        )
    )
    await server.add_tag(IdTag("STAFF-1"))

    async with station(server.ocpp, "CP-DEPOT", PASSWORD) as depot:
        await depot.boot()
        at_depot = await session(depot, CARD, kwh=20)
        staff_at_depot = await session(depot, "STAFF-1", kwh=10)
    async with station(server.ocpp, "CP-CITY", PASSWORD) as city:
        await city.boot()
        in_city = await session(city, CARD, kwh=10)

    depot_cdr, staff_cdr, city_cdr = [
        await cdr_of(server, tx) for tx in (at_depot, staff_at_depot, in_city)
    ]
    assert depot_cdr["tariff_id"] == "FLEET-AC"
    assert Decimal(depot_cdr["total"]["excl_vat"]) == Decimal("20.00")
    assert staff_cdr["tariff_id"] == "PUBLIC-AC"
    assert city_cdr["tariff_id"] == "PUBLIC-AC"
    assert Decimal(city_cdr["total"]["excl_vat"]) == Decimal("20.00")

    # 1 point per kWh: 20 + 10 points; redeeming towards the city session (24.60 incl. VAT)
    # spends all 30 points, worth 3.00 PLN.
    bonus = (await api.get(f"/contracts/{contract_id}/bonus")).json()
    assert bonus["balance"] == 30
    redeemed = await api.post(
        f"/contracts/{contract_id}/bonus/redeem", json={"transaction_id": in_city}
    )
    assert redeemed.status_code in (200, 201), redeemed.text
    bonus = (await api.get(f"/contracts/{contract_id}/bonus")).json()
    assert bonus["balance"] == 0
    movements = [(e["movement"], e["points"]) for e in bonus["entries"]]
    assert sorted(movements) == [("earn", 10), ("earn", 20), ("redeem", -30)]
    assert sum(points for _, points in movements) == bonus["balance"]
