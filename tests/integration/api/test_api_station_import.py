"""POST /stations/import over real databases."""

from __future__ import annotations

import time

import httpx

from ampyre.domain.station_secrets import verify_password
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.records import Page

PW = "a-station-password-01"
CSV = {"Content-Type": "text/csv"}


async def _station_ids(uow: UnitOfWorkFactory) -> list[str]:
    async with uow() as work:
        return [s.id for s in await work.stations.list(Page(limit=1000))]


async def test_import_registers_every_row(
    client: httpx.AsyncClient, admin: dict[str, str], uow: UnitOfWorkFactory
) -> None:
    location = {
        "id": "L1",
        "name": "Depot",
        "address": {"street": "A 1", "city": "B", "postal_code": "1", "country": "PL"},
        "coordinates": {"latitude": "50", "longitude": "19"},
        "time_zone": "Europe/Warsaw",
    }
    assert (await client.post("/locations", json=location, headers=admin)).status_code == 201
    body = f"id,password,location_id,name\nCP1,{PW},L1,Gate 1\nCP2,{PW},,\n"
    answer = await client.post("/stations/import", content=body.encode(), headers={**admin, **CSV})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"rows": 2, "imported": 2, "errors": []}
    detail = (await client.get("/stations/CP1", headers=admin)).json()
    assert (detail["location_id"], detail["name"], detail["has_password"]) == ("L1", "Gate 1", True)
    async with uow() as work:
        station = await work.stations.get("CP2")
    assert station is not None
    assert station.password_hash is not None
    assert verify_password(PW, station.password_hash)


async def test_one_bad_row_means_nothing_is_imported(
    client: httpx.AsyncClient, admin: dict[str, str], uow: UnitOfWorkFactory
) -> None:
    await client.post("/stations", json={"id": "TAKEN", "password": PW}, headers=admin)
    body = f"CP1,{PW}\nCP2,short\nTAKEN,{PW}\nCP1,{PW}\nCP3,{PW},L404\n"
    answer = await client.post("/stations/import", content=body, headers={**admin, **CSV})
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "import_rejected"
    assert error["message"] == "4 of 5 rows are invalid; nothing was imported"
    assert [(d["line"], d["station_id"]) for d in error["details"]] == [
        (2, "CP2"),
        (3, "TAKEN"),
        (4, "CP1"),
        (5, "CP3"),
    ]
    assert "16-40" in error["details"][0]["message"]
    assert await _station_ids(uow) == ["TAKEN"]

    skipping = await client.post(
        "/stations/import",
        params={"skip_invalid": "true"},
        content=body,
        headers={**admin, **CSV},
    )
    assert skipping.status_code == 200
    assert (skipping.json()["imported"], len(skipping.json()["errors"])) == (1, 4)
    assert await _station_ids(uow) == ["CP1", "TAKEN"]


async def test_malformed_or_mistyped_uploads(
    client: httpx.AsyncClient, admin: dict[str, str], uow: UnitOfWorkFactory
) -> None:
    columns = await client.post(
        "/stations/import", content=f"id,pass\nCP1,{PW}\n", headers={**admin, **CSV}
    )
    assert columns.status_code == 422
    assert columns.json()["error"]["message"].startswith("unknown CSV column 'pass'")
    as_json = await client.post("/stations/import", json={"id": "CP1"}, headers=admin)
    assert as_json.status_code == 415
    assert as_json.json()["error"]["code"] == "unsupported_media_type"
    latin1 = await client.post(
        "/stations/import",
        content="CP1,pässwörd-pässwörd\n".encode("latin-1"),
        headers={**admin, **CSV},
    )
    assert latin1.status_code == 422
    assert "UTF-8" in latin1.json()["error"]["message"]
    assert await _station_ids(uow) == []


async def test_two_thousand_rows_in_one_go(
    client: httpx.AsyncClient, admin: dict[str, str], uow: UnitOfWorkFactory
) -> None:
    rows = "".join(f"CP-{n:05d},{PW}-{n:05d}\n" for n in range(2000))
    started = time.perf_counter()
    answer = await client.post("/stations/import", content=rows, headers={**admin, **CSV})
    elapsed = time.perf_counter() - started
    assert answer.status_code == 200, answer.text
    assert answer.json()["imported"] == 2000
    assert len(await _station_ids(uow)) == 1000  # one page of the list
    listed = await client.get("/stations", params={"offset": 1999}, headers=admin)
    assert [s["id"] for s in listed.json()["items"]] == ["CP-01999"]
    assert elapsed < 30, f"2000 rows took {elapsed:.1f} s"
