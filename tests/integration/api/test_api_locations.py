"""/locations over real databases."""

from __future__ import annotations

from typing import Any

import httpx

SITE: dict[str, Any] = {
    "id": "krk-1",
    "name": "Kraków depot",
    "address": {"street": "Rynek 1", "city": "Kraków", "postal_code": "31-042", "country": "PL"},
    "coordinates": {"latitude": "50.0616501", "longitude": "19.9373508"},
    "time_zone": "Europe/Warsaw",
    "opening_hours": {
        "twentyfourseven": False,
        "periods": [{"weekday": 1, "begin": "08:00", "end": "20:00"}],
    },
    "contact": {"phone": "+48 12 000 00 00"},
    "points_of_interest": ["toilets"],
}


async def test_location_crud(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    created = await client.post("/locations", json=SITE, headers=admin)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["coordinates"] == {"latitude": "50.0616501", "longitude": "19.9373508"}
    assert body["opening_hours"]["periods"] == [{"weekday": 1, "begin": "08:00", "end": "20:00"}]
    assert body["contact"] == {"phone": "+48 12 000 00 00", "email": None, "website": None}
    assert body["public"] is True

    fetched = await client.get("/locations/krk-1", headers=admin)
    assert fetched.json() == body

    patched = await client.patch(
        "/locations/krk-1",
        json={"name": "Depot 2", "coordinates": {"latitude": 50.1, "longitude": "19.5"}},
        headers=admin,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == "Depot 2"
    assert patched.json()["coordinates"] == {"latitude": "50.1000000", "longitude": "19.5000000"}
    fetched = await client.get("/locations/krk-1", headers=admin)
    assert fetched.json()["coordinates"] == patched.json()["coordinates"]
    assert patched.json()["time_zone"] == "Europe/Warsaw"

    listed = await client.get("/locations", headers=admin)
    assert [x["id"] for x in listed.json()["items"]] == ["krk-1"]

    deleted = await client.delete("/locations/krk-1", headers=admin)
    assert deleted.status_code == 204
    missing = await client.get("/locations/krk-1", headers=admin)
    assert missing.status_code == 404
    assert missing.json() == {
        "error": {"code": "not_found", "message": "location krk-1 does not exist"}
    }


async def test_location_id_is_generated_when_absent(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    site = {k: v for k, v in SITE.items() if k != "id"}
    created = await client.post("/locations", json=site, headers=admin)
    assert created.status_code == 201
    assert len(created.json()["id"]) == 36


async def test_location_validation_errors_name_the_field(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    bad = {**SITE, "coordinates": {"latitude": "95", "longitude": "19"}, "time_zone": 3}
    answer = await client.post("/locations", json=bad, headers=admin)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "validation_failed"
    assert "body.coordinates.latitude" in error["message"]
    assert "body.time_zone" in error["message"]
    assert {d["field"] for d in error["details"]} == {
        "body.coordinates.latitude",
        "body.time_zone",
    }

    zone = await client.post("/locations", json={**SITE, "time_zone": "Mars/Base"}, headers=admin)
    assert zone.status_code == 422
    assert zone.json()["error"] == {
        "code": "validation_failed",
        "message": "unknown time zone 'Mars/Base'",
    }

    null_name = await client.post("/locations", json=SITE, headers=admin)
    assert null_name.status_code == 201
    refused = await client.patch("/locations/krk-1", json={"name": None}, headers=admin)
    assert refused.status_code == 422
    assert "name cannot be null" in refused.json()["error"]["message"]

    typo = await client.patch("/locations/krk-1", json={"nmae": "x"}, headers=admin)
    assert typo.status_code == 422
    assert "body.nmae" in typo.json()["error"]["message"]


async def test_a_location_in_use_cannot_be_deleted(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    assert (await client.post("/locations", json=SITE, headers=admin)).status_code == 201
    station = {"id": "CP1", "location_id": "krk-1"}
    assert (await client.post("/stations", json=station, headers=admin)).status_code == 201
    refused = await client.delete("/locations/krk-1", headers=admin)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "conflict"
    duplicate = await client.post("/locations", json=SITE, headers=admin)
    assert duplicate.status_code == 409
