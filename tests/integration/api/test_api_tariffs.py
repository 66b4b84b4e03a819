"""/tariffs, /tariff-assignments, /tariff-resolution, /cdrs, /transactions/{id}/cost and
/public/stations/{id}/prices over real databases (the API clock stands at T0, 2025-03-01
12:00 UTC, 13:00 in Warsaw)."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_testkit import T0, Tokens

from ampyre.domain.locations import Address, GeoPoint, Location
from ampyre.domain.stations import Station
from ampyre.domain.transactions import StopReason, Transaction
from ampyre.services.clock import FixedClock
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.rating import RatingService
from ampyre.services.records import Role

_VECTOR = Path("ocpi-tariffs/complex/tariff.json")
_DATA_DIRS = (Path(__file__).parents[2] / "data", Path("/work/shared/vectors"))
COMPLEX = next((d / _VECTOR for d in _DATA_DIRS if (d / _VECTOR).exists()), _DATA_DIRS[0] / _VECTOR)

EXACT_BODY = """{
  "id": "AC",
  "name": "Standard AC",
  "tariff": {
    "currency": "EUR",
    "texts": {"en": "Standard AC"},
    "elements": [
      {"components": [
        {"dimension": "ENERGY", "price": 0.1, "vat_percent": 23},
        {"dimension": "TIME", "price": 0.30000000000000004, "vat_percent": 23,
         "time_unit": "minute", "step_size": 60}
      ]},
      {"components": [{"dimension": "FLAT", "price": 2.50, "vat_percent": 23}]}
    ]
  }
}"""


def tariff_body(tariff_id: str, *components: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A create body with one element per component (amounts as strings)."""
    return {
        "id": tariff_id,
        "name": f"{tariff_id} name",
        "tariff": {"currency": "EUR", "elements": [{"components": [c]} for c in components]},
        **extra,
    }


def component(dimension: str, price: str, vat: str | None = "23", **extra: Any) -> dict[str, Any]:
    return {"dimension": dimension, "price": price, "vat_percent": vat, **extra}


def json_headers(headers: dict[str, str]) -> dict[str, str]:
    return {**headers, "Content-Type": "application/json"}


def error(answer: httpx.Response) -> str:
    message: str = answer.json()["error"]["message"]
    return message


async def seed_sites(uow: UnitOfWorkFactory) -> None:
    """CP-1 at LOC-1 (Warsaw) in group north; CP-2 without location."""
    async with uow() as work:
        await work.locations.add(
            Location(
                id="LOC-1",
                name="Depot",
                address=Address("Main 1", "Warszawa", "00-001", "PL"),
                coordinates=GeoPoint(Decimal("52.23"), Decimal("21.01")),
                time_zone="Europe/Warsaw",
            )
        )
        await work.stations.add(Station("CP-1", location_id="LOC-1", groups=("north",)))
        await work.stations.add(Station("CP-2"))
        await work.commit()


async def create(client: httpx.AsyncClient, headers: dict[str, str], body: Any) -> Any:
    answer = await client.post("/tariffs", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def assign(
    client: httpx.AsyncClient, headers: dict[str, str], tariff_id: str, scope: str, **more: Any
) -> Any:
    body = {"tariff_id": tariff_id, "scope": scope, **more}
    answer = await client.post("/tariff-assignments", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


# -- /tariffs ----------------------------------------------------------------------------


async def test_tariff_crud_keeps_decimals_exactly(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    created = await client.post("/tariffs", content=EXACT_BODY, headers=json_headers(admin))
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["id"], body["name"], body["currency"]) == ("AC", "Standard AC", "EUR")
    [version] = body["versions"]
    assert (version["number"], version["valid_from"], version["valid_until"]) == (1, None, None)
    energy, timed = version["tariff"]["elements"][0]["components"]
    assert (energy["price"], energy["vat_percent"]) == ("0.1", "23")
    assert timed == {
        "dimension": "TIME",
        "price": "0.30000000000000004",
        "vat_percent": "23",
        "step_size": 60,
        "time_unit": "minute",
    }
    assert version["tariff"]["elements"][1]["components"][0]["price"] == "2.50"
    assert version["tariff"]["texts"] == {"en": "Standard AC"}

    fetched = await client.get("/tariffs/AC", headers=admin)
    assert fetched.json() == body
    await create(client, admin, tariff_body("BASIC", component("ENERGY", "0.5")))
    listed = await client.get("/tariffs", headers=admin)
    assert [t["id"] for t in listed.json()["items"]] == ["AC", "BASIC"]
    paged = await client.get("/tariffs", params={"limit": 1, "offset": 1}, headers=admin)
    assert [t["id"] for t in paged.json()["items"]] == ["BASIC"]

    renamed = await client.patch("/tariffs/AC", json={"name": "Slow"}, headers=admin)
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Slow"

    version_body = {
        "valid_from": "2025-03-02T00:00:00+01:00",
        "tariff": {
            "currency": "EUR",
            "elements": [{"components": [{"dimension": "ENERGY", "price": 0.45}]}],
        },
    }
    added = await client.post(
        "/tariffs/AC/versions", content=json.dumps(version_body), headers=json_headers(admin)
    )
    assert added.status_code == 201, added.text
    versions = added.json()["versions"]
    assert [(v["number"], v["valid_from"], v["valid_until"]) for v in versions] == [
        (1, None, "2025-03-01T23:00:00Z"),
        (2, "2025-03-01T23:00:00Z", None),
    ]
    assert versions[1]["tariff"]["elements"][0]["components"][0]["price"] == "0.45"
    assert (await client.get("/tariffs/AC", headers=admin)).json()["versions"] == versions

    assert (await client.delete("/tariffs/AC", headers=admin)).status_code == 204
    missing = await client.get("/tariffs/AC", headers=admin)
    assert missing.status_code == 404
    assert missing.json() == {"error": {"code": "not_found", "message": "tariff AC does not exist"}}
    assert (await client.delete("/tariffs/AC", headers=admin)).status_code == 404
    assert (await client.patch("/tariffs/AC", json={"name": "x"}, headers=admin)).status_code == 404


async def test_tariff_errors_name_the_field(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    async def refused(body: Any, status: int = 422) -> str:
        answer = await client.post("/tariffs", json=body, headers=admin)
        assert answer.status_code == status, answer.text
        return error(answer)

    reserved = tariff_body("R", component("ENERGY", "0.3"))
    reserved["tariff"]["elements"][0]["restrictions"] = {"reservation": "RESERVATION"}
    assert "reservation restriction" in await refused(reserved)
    assert "elements[0].components[0].price" in await refused(
        tariff_body("P", component("ENERGY", "cheap"))
    )
    assert "elements[1].components[0].dimension" in await refused(
        tariff_body("D", component("ENERGY", "0.3"), component("KWH", "0.3"))
    )
    unknown_restriction = tariff_body("U", component("ENERGY", "0.3"))
    unknown_restriction["tariff"]["elements"][0]["restrictions"] = {"colour": "red"}
    assert "elements[0].restrictions" in await refused(unknown_restriction)
    assert "colour" in await refused({**tariff_body("X", component("FLAT", "1")), "colour": 1})
    assert "valid_from" in await refused(
        tariff_body("N", component("FLAT", "1"), valid_from="2025-04-01T00:00:00")
    )
    assert "currency" in await refused(
        {"id": "C", "name": "C", "tariff": {"currency": "euro", "elements": []}}
    )
    assert "required" in await refused({"name": "no id"})
    assert "JSON object" in await refused([1, 2])
    not_json = await client.post("/tariffs", content=b"{nope", headers=json_headers(admin))
    assert not_json.status_code == 422
    assert (await client.get("/tariffs", headers=admin)).json()["items"] == []

    await create(client, admin, tariff_body("SAME", component("FLAT", "1")))
    assert "already exists" in await refused(tariff_body("SAME", component("FLAT", "2")), 409)
    past = {"valid_from": "2025-03-01T11:59:59Z", "tariff": {"currency": "EUR", "elements": []}}
    answer = await client.post("/tariffs/SAME/versions", json=past, headers=admin)
    assert answer.status_code == 422
    assert "past" in error(answer)
    other = {"tariff": {"currency": "PLN", "elements": []}}
    answer = await client.post("/tariffs/SAME/versions", json=other, headers=admin)
    assert answer.status_code == 422
    assert "currency" in error(answer)


async def test_a_reservation_restriction_on_energy_names_the_element_path(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    reserved = tariff_body("R", component("FLAT", "1"), component("ENERGY", "0.3"))
    reserved["tariff"]["elements"][1]["restrictions"] = {"reservation": "RESERVATION"}
    answer = await client.post("/tariffs", json=reserved, headers=admin)
    assert answer.status_code == 422
    assert "elements[1]" in error(answer)


async def test_tariff_access_over_http(
    client: httpx.AsyncClient, tokens: Tokens, admin: dict[str, str]
) -> None:
    await create(client, admin, tariff_body("AC", component("FLAT", "1")))
    assert (await client.get("/tariffs")).status_code == 401
    readonly = tokens.headers(Role.READONLY)
    assert (await client.get("/tariffs/AC", headers=readonly)).status_code == 200
    denied = await client.post(
        "/tariffs", json=tariff_body("B", component("FLAT", "1")), headers=readonly
    )
    assert denied.status_code == 403
    assert "tariffs:write" in error(denied)
    installer = tokens.headers(Role.INSTALLER)
    assert (await client.get("/tariffs", headers=installer)).status_code == 403
    assert (await client.delete("/tariffs/AC", headers=readonly)).status_code == 403
    assert (await client.get("/tariffs/AC", headers=admin)).status_code == 200


@pytest.mark.skipif(not COMPLEX.exists(), reason=f"OCPI test vector {COMPLEX} not present")
async def test_ocpi_import_and_export_round_trip(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    text = COMPLEX.read_bytes()
    original = json.loads(text, parse_float=Decimal)

    imported = await client.post(
        "/tariffs/ocpi", params={"name": "Complex"}, content=text, headers=json_headers(admin)
    )
    assert imported.status_code == 201, imported.text
    body = imported.json()
    assert (body["id"], body["name"], body["currency"]) == ("14", "Complex", "EUR")
    document = body["versions"][0]["tariff"]
    assert document["type"] == "REGULAR"
    assert document["info_url"] == "https://company.com/tariffs/14"
    assert len(document["elements"]) == 6
    flat = document["elements"][0]["components"][0]
    assert (flat["dimension"], flat["price"], flat["vat_percent"]) == ("FLAT", "2.50", "15.0")
    assert document["elements"][1]["restrictions"] == {"max_current": "32.00"}
    again = await client.post("/tariffs/ocpi", content=text, headers=json_headers(admin))
    assert again.status_code == 409

    exported = await client.get(
        "/tariffs/14/ocpi", params={"country_code": "DE", "party_id": "ALL"}, headers=admin
    )
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("application/json")
    out = json.loads(exported.text, parse_float=Decimal)
    for key in ("country_code", "party_id", "id", "currency", "type", "tariff_alt_url"):
        assert out[key] == original[key], key
    assert out["elements"] == original["elements"]
    assert '"price": 2.50,' in exported.text  # an exact JSON number, not a string
    assert "last_updated" in out

    reimported = await client.post(
        "/tariffs/ocpi",
        params={"name": "Copy"},
        content=exported.text.replace('"id": "14"', '"id": "14-copy"'),
        headers=json_headers(admin),
    )
    assert reimported.status_code == 201, reimported.text
    assert reimported.json()["versions"][0]["tariff"] == document

    wrong = dict(original, elements=[{"price_components": [{"type": "FOO", "price": 1}]}])
    answer = await client.post("/tariffs/ocpi", json=wrong, headers=admin)
    assert answer.status_code == 422
    assert "elements[0].price_components[0].type" in error(answer)


async def test_ocpi_export_is_exact_and_picks_versions(
    client: httpx.AsyncClient, admin: dict[str, str], clock: FixedClock
) -> None:
    body = tariff_body(
        "X",
        component("ENERGY", "0.12345678901234567891"),
        component("PARKING_TIME", "0.05", time_unit="minute"),
    )
    await create(client, admin, body)
    later = {
        "valid_from": "2025-03-02T00:00:00Z",
        "tariff": {"currency": "EUR", "elements": [{"components": [component("FLAT", "9")]}]},
    }
    assert (await client.post("/tariffs/X/versions", json=later, headers=admin)).status_code == 201

    now = await client.get("/tariffs/X/ocpi", headers=admin)
    assert now.status_code == 200, now.text
    assert "0.12345678901234567891" in now.text
    exported = json.loads(now.text, parse_float=Decimal)
    assert (exported["country_code"], exported["party_id"]) == ("NL", "AMP")
    assert exported["end_date_time"] == "2025-03-02T00:00:00Z"
    parking = exported["elements"][1]["price_components"][0]
    assert (parking["type"], parking["price"]) == ("PARKING_TIME", Decimal("3.00"))

    second = await client.get("/tariffs/X/ocpi", params={"version": 2}, headers=admin)
    assert json.loads(second.text)["start_date_time"] == "2025-03-02T00:00:00Z"
    assert (
        await client.get("/tariffs/X/ocpi", params={"version": 3}, headers=admin)
    ).status_code == 404
    clock.advance(86_400)
    tomorrow = await client.get("/tariffs/X/ocpi", headers=admin)
    assert json.loads(tomorrow.text)["elements"][0]["price_components"][0]["type"] == "FLAT"
    assert (await client.get("/tariffs/NOPE/ocpi", headers=admin)).status_code == 404
    bad = await client.get("/tariffs/X/ocpi", params={"party_id": "toolong"}, headers=admin)
    assert bad.status_code == 422


# -- /tariff-assignments and /tariff-resolution -----------------------------------------


async def test_assignments_and_resolution(
    client: httpx.AsyncClient, admin: dict[str, str], tokens: Tokens, uow: UnitOfWorkFactory
) -> None:
    await seed_sites(uow)
    await create(client, admin, tariff_body("AC", component("ENERGY", "0.30")))
    await create(client, admin, tariff_body("DC", component("ENERGY", "0.60")))
    await create(client, admin, tariff_body("GOLD", component("ENERGY", "0.20")))

    network = await assign(client, admin, "AC", "network")
    assert network == {
        "id": network["id"],
        "tariff_id": "AC",
        "scope": "network",
        "target": None,
        "plan_id": None,
        "priority": 100,
    }
    station = await assign(client, admin, "DC", "station", target="CP-1")
    gold = await assign(
        client, admin, "GOLD", "station_group", target="north", plan_id="G", priority=5
    )
    listed = await client.get("/tariff-assignments", headers=admin)
    assert listed.json() == [network, station, gold]

    duplicate = await client.post(
        "/tariff-assignments",
        json={"tariff_id": "AC", "scope": "station", "target": "CP-1"},
        headers=admin,
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["error"] == {
        "code": "already_assigned",
        "message": "station CP-1 already has a tariff: remove that assignment first",
    }
    targeted = await client.post(
        "/tariff-assignments",
        json={"tariff_id": "AC", "scope": "network", "target": "everything"},
        headers=admin,
    )
    assert targeted.status_code == 422
    assert "no target" in error(targeted)
    no_target = await client.post(
        "/tariff-assignments", json={"tariff_id": "AC", "scope": "location"}, headers=admin
    )
    assert no_target.status_code == 422
    bad_scope = await client.post(
        "/tariff-assignments", json={"tariff_id": "AC", "scope": "planet"}, headers=admin
    )
    assert bad_scope.status_code == 422
    assert "scope" in error(bad_scope)
    unknown = await client.post(
        "/tariff-assignments", json={"tariff_id": "NOPE", "scope": "network"}, headers=admin
    )
    assert unknown.status_code == 404
    assert (await client.delete("/tariffs/AC", headers=admin)).status_code == 409

    resolved = await client.get("/tariff-resolution", params={"station_id": "CP-1"}, headers=admin)
    assert resolved.status_code == 200, resolved.text
    assert resolved.json() == {
        "tariff_id": "DC",
        "tariff_name": "DC name",
        "version": 1,
        "assignment": station,
        "tariff": (await client.get("/tariffs/DC", headers=admin)).json()["versions"][0]["tariff"],
    }

    async def resolution(**params: str) -> tuple[str, int]:
        answer = await client.get("/tariff-resolution", params=params, headers=admin)
        assert answer.status_code == 200, answer.text
        return answer.json()["tariff_id"], answer.json()["version"]

    assert await resolution(station_id="CP-1", plan_id="G") == ("GOLD", 1)
    assert await resolution(station_id="CP-2", plan_id="G") == ("AC", 1)
    assert await resolution(station_id="CP-2") == ("AC", 1)
    version = {
        "valid_from": "2025-03-05T00:00:00Z",
        "tariff": {"currency": "EUR", "elements": [{"components": [component("ENERGY", "0.7")]}]},
    }
    assert (
        await client.post("/tariffs/DC/versions", json=version, headers=admin)
    ).status_code == 201
    assert await resolution(station_id="CP-1") == ("DC", 1)
    assert await resolution(station_id="CP-1", at="2025-03-05T00:00:00Z") == ("DC", 2)
    assert await resolution(station_id="CP-1", at="2025-03-05T00:59:59+01:00") == ("DC", 1)
    naive = await client.get(
        "/tariff-resolution",
        params={"station_id": "CP-1", "at": "2025-03-05T00:00:00"},
        headers=admin,
    )
    assert naive.status_code == 422
    nowhere = await client.get("/tariff-resolution", params={"station_id": "CP-9"}, headers=admin)
    assert nowhere.status_code == 404
    assert error(nowhere) == "station CP-9 does not exist"

    readonly = tokens.headers(Role.READONLY)
    assert (await client.get("/tariff-assignments", headers=readonly)).status_code == 200
    assert (
        await client.delete(f"/tariff-assignments/{station['id']}", headers=readonly)
    ).status_code == 403
    assert (
        await client.delete(f"/tariff-assignments/{station['id']}", headers=admin)
    ).status_code == 204
    assert (
        await client.delete(f"/tariff-assignments/{station['id']}", headers=admin)
    ).status_code == 404
    assert await resolution(station_id="CP-1") == ("AC", 1)
    unassigned = await client.delete(f"/tariff-assignments/{network['id']}", headers=admin)
    assert unassigned.status_code == 204
    gone = await client.get("/tariff-resolution", params={"station_id": "CP-1"}, headers=admin)
    assert gone.status_code == 404
    assert error(gone) == "no tariff applies at station CP-1"


# -- /cdrs and /transactions/{id}/cost --------------------------------------------------


async def seed_sessions(uow: UnitOfWorkFactory) -> dict[str, int]:
    """Completed sessions a (CP-1, 10 kWh), b (CP-1, 5 kWh), c (CP-2, 2 kWh) ending one hour
    apart, and a running one on CP-1 connector 2 with a reading after 30 min."""
    ids: dict[str, int] = {}
    async with uow() as work:
        for number, (name, station, kwh) in enumerate(
            (("a", "CP-1", 10), ("b", "CP-1", 5), ("c", "CP-2", 2))
        ):
            start = T0 - timedelta(hours=10 - number)
            session = Transaction(0, station, 1, "TAG-1", 1000, start, start, f"k-{name}")
            end = start + timedelta(hours=1)
            session.stop(
                meter_stop_wh=1000 + kwh * 1000, at=end, received_at=end, reason=StopReason.LOCAL
            )
            ids[name] = await work.transactions.add(session)
            await work.usage.enqueue_for_rating(ids[name], end)
        running = Transaction(0, "CP-1", 2, "TAG-2", 0, T0, T0, "k-running")
        running.note_reading(4000, T0 + timedelta(minutes=30))
        ids["running"] = await work.transactions.add(running)
        await work.commit()
    return ids


PRICED = tariff_body(
    "AC",
    component("FLAT", "1.00"),
    component("ENERGY", "0.30"),
    component("TIME", "0.02", time_unit="minute"),
)
"""1.00 per session, 0.30 per kWh, 0.02 per minute of charging; 23 % VAT."""


async def test_cdr_list_filters_detail_and_credit(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    tokens: Tokens,
    uow: UnitOfWorkFactory,
    clock: FixedClock,
) -> None:
    await seed_sites(uow)
    await create(client, admin, PRICED)
    await assign(client, admin, "AC", "network")
    ids = await seed_sessions(uow)
    assert await RatingService(uow, clock).do_rate_pending() == 3

    async def listed(**params: str | int) -> list[int]:
        answer = await client.get("/cdrs", params=params, headers=admin)
        assert answer.status_code == 200, answer.text
        return [item["transaction_id"] for item in answer.json()["items"]]

    assert await listed() == [ids["c"], ids["b"], ids["a"]]
    assert await listed(station_id="CP-1") == [ids["b"], ids["a"]]
    assert await listed(transaction_id=ids["b"]) == [ids["b"]]
    assert await listed(ended_from="2025-03-01T04:00:00Z") == [ids["c"], ids["b"]]
    assert await listed(ended_to="2025-03-01T04:00:00+00:00") == [ids["a"]]
    assert await listed(ended_from="2025-03-01T04:00:00Z", ended_to="2025-03-01T05:00:00Z") == [
        ids["b"]
    ]
    assert await listed(limit=1, offset=1) == [ids["b"]]
    assert await listed(station_id="CP-9") == []
    naive = await client.get("/cdrs", params={"ended_from": "2025-03-01T04:00:00"}, headers=admin)
    assert naive.status_code == 422

    first = (await client.get("/cdrs", params={"transaction_id": ids["a"]}, headers=admin)).json()
    cdr = first["items"][0]
    detail = await client.get(f"/cdrs/{cdr['id']}", headers=admin)
    assert detail.status_code == 200
    assert detail.json() == cdr
    # 10 kWh × 0.30 + 60 min × 0.02 + 1.00 = 5.20; × 1.23 = 6.396
    assert {k: cdr[k] for k in ("transaction_id", "sequence", "station_id", "location_id")} == {
        "transaction_id": ids["a"],
        "sequence": 1,
        "station_id": "CP-1",
        "location_id": "LOC-1",
    }
    assert (cdr["tariff_id"], cdr["tariff_version"], cdr["currency"]) == ("AC", 1, "EUR")
    assert (cdr["time_zone"], cdr["credit_reference_id"], cdr["reason"]) == (
        "Europe/Warsaw",
        None,
        None,
    )
    assert (cdr["started_at"], cdr["ended_at"]) == ("2025-03-01T02:00:00Z", "2025-03-01T03:00:00Z")
    assert cdr["total"] == {"excl_vat": "5.20", "incl_vat": "6.40"}
    assert cdr["energy_cost"] == {"excl_vat": "3.00", "incl_vat": "3.69"}
    assert cdr["time_cost"] == {"excl_vat": "1.20", "incl_vat": "1.48"}
    assert cdr["fixed_cost"] == {"excl_vat": "1.00", "incl_vat": "1.23"}
    assert cdr["parking_cost"] == {"excl_vat": "0.00", "incl_vat": "0.00"}
    assert cdr["vat_totals"] == [{"vat_percent": "23", "excl_vat": "5.20", "incl_vat": "6.40"}]
    assert (Decimal(cdr["energy_kwh"]), Decimal(cdr["charging_s"])) == (Decimal(10), Decimal(3600))
    assert {line["dimension"] for line in cdr["lines"]} == {"FLAT", "ENERGY", "TIME"}

    missing = await client.get("/cdrs/999999", headers=admin)
    assert missing.status_code == 404
    assert (await client.get("/cdrs", headers=tokens.headers(Role.READONLY))).status_code == 200
    assert (await client.get("/cdrs", headers=tokens.headers(Role.CALL_CENTRE))).status_code == 403

    readonly_credit = await client.post(
        f"/cdrs/{cdr['id']}/credit", json={"reason": "x"}, headers=tokens.headers(Role.READONLY)
    )
    assert readonly_credit.status_code == 403
    credited = await client.post(
        f"/cdrs/{cdr['id']}/credit", json={"reason": "wrong tariff"}, headers=admin
    )
    assert credited.status_code == 201, credited.text
    assert credited.json()["replacement"] is None
    credit = credited.json()["credit"]
    assert (credit["credit_reference_id"], credit["sequence"], credit["reason"]) == (
        cdr["id"],
        2,
        "wrong tariff",
    )
    assert credit["total"] == {"excl_vat": "-5.20", "incl_vat": "-6.40"}
    assert await listed(transaction_id=ids["a"]) == [ids["a"], ids["a"]]
    again = await client.post(f"/cdrs/{cdr['id']}/credit", json={"reason": "x"}, headers=admin)
    assert again.status_code == 409
    of_credit = await client.post(
        f"/cdrs/{credit['id']}/credit", json={"reason": "x"}, headers=admin
    )
    assert of_credit.status_code == 409
    blank = await client.post(f"/cdrs/{cdr['id']}/credit", json={"reason": ""}, headers=admin)
    assert blank.status_code == 422


async def test_running_cost_of_a_transaction(
    client: httpx.AsyncClient, admin: dict[str, str], tokens: Tokens, uow: UnitOfWorkFactory
) -> None:
    await seed_sites(uow)
    await create(client, admin, PRICED)
    await assign(client, admin, "AC", "network")
    ids = await seed_sessions(uow)

    answer = await client.get(f"/transactions/{ids['running']}/cost", headers=admin)
    assert answer.status_code == 200, answer.text
    cost = answer.json()
    # 4 kWh × 0.30 + 30 min × 0.02 + 1.00 = 2.80; × 1.23 = 3.444
    assert {k: cost[k] for k in ("transaction_id", "active", "as_of", "currency")} == {
        "transaction_id": ids["running"],
        "active": True,
        "as_of": "2025-03-01T12:30:00Z",
        "currency": "EUR",
    }
    assert (cost["tariff_id"], cost["tariff_version"]) == ("AC", 1)
    assert cost["total"] == {"excl_vat": "2.80", "incl_vat": "3.44"}
    assert (Decimal(cost["energy_kwh"]), Decimal(cost["charging_s"])) == (Decimal(4), Decimal(1800))
    assert Decimal(cost["parking_s"]) == 0
    energy = next(line for line in cost["lines"] if line["dimension"] == "ENERGY")
    # Lines are exact, not rounded.
    assert {k: Decimal(v) for k, v in energy["amount"].items()} == {
        "excl_vat": Decimal("1.2"),
        "incl_vat": Decimal("1.476"),
    }
    assert (Decimal(energy["quantity"]), energy["unit_price"]) == (Decimal(4), "0.30")

    done = await client.get(f"/transactions/{ids['b']}/cost", headers=admin)
    assert done.json()["active"] is False
    assert done.json()["total"] == {"excl_vat": "3.70", "incl_vat": "4.55"}
    assert (await client.get("/transactions/999999/cost", headers=admin)).status_code == 404
    call_centre = tokens.headers(Role.CALL_CENTRE)
    path = f"/transactions/{ids['running']}/cost"
    assert (await client.get(path, headers=call_centre)).status_code == 200
    assert (await client.get(path, headers=tokens.headers(Role.INSTALLER))).status_code == 403
    assert (await client.get(path)).status_code == 401


# -- /public/stations/{id}/prices -------------------------------------------------------


async def test_public_prices_need_no_token_and_speak_the_drivers_language(
    client: httpx.AsyncClient, admin: dict[str, str], uow: UnitOfWorkFactory
) -> None:
    await seed_sites(uow)
    await create(client, admin, PRICED)
    await assign(client, admin, "AC", "station", target="CP-1")
    path = "/public/stations/CP-1/prices"

    english = await client.get(path)
    assert english.status_code == 200, english.text
    body = english.json()
    assert {k: body[k] for k in ("station_id", "tariff_id", "tariff_version", "currency")} == {
        "station_id": "CP-1",
        "tariff_id": "AC",
        "tariff_version": 1,
        "currency": "EUR",
    }
    assert (body["valid_from"], body["valid_until"], body["locale"]) == (None, None, "en")
    assert [line["kind"] for line in body["lines"]] == ["energy", "time", "flat"]
    # Gross: 0.30 × 1.23 = 0.369 per kWh, 0.02 × 1.23 = 0.0246 per minute, 1.23 per session.
    assert [(line["amount"], line["unit"]) for line in body["lines"]] == [
        ("0.369", "kWh"),
        ("0.0246", "min"),
        ("1.23", "session"),
    ]
    assert "per kWh" in body["lines"][0]["text"]
    assert "23%" in body["vat_note"]
    assert body["summary"].startswith(body["lines"][0]["display"])

    polish = (await client.get(path, params={"locale": "pl"})).json()
    assert polish["locale"] == "pl"
    assert "za kWh" in polish["lines"][0]["text"]
    assert "VAT" in polish["vat_note"]
    assert polish["summary"] != body["summary"]

    by_header = await client.get(path, headers={"Accept-Language": "pl-PL,pl;q=0.9,en;q=0.5"})
    assert by_header.json()["locale"] == "pl_PL"
    assert (
        by_header.json()["lines"]
        == (await client.get(path, params={"locale": "pl-PL"})).json()["lines"]
    )
    query_wins = await client.get(path, params={"locale": "en"}, headers={"Accept-Language": "pl"})
    assert query_wins.json()["locale"] == "en"
    fallback = await client.get(path, headers={"Accept-Language": "*"})
    assert fallback.json()["locale"] == "en"

    bad = await client.get(path, params={"locale": "12"})
    assert bad.status_code == 422
    no_tariff = await client.get("/public/stations/CP-2/prices")
    assert no_tariff.status_code == 404
    assert error(no_tariff) == "no tariff applies at station CP-2"
    unknown = await client.get("/public/stations/CP-404/prices")
    assert unknown.status_code == 404


async def test_public_prices_at_a_given_time(
    client: httpx.AsyncClient, admin: dict[str, str], uow: UnitOfWorkFactory
) -> None:
    await seed_sites(uow)
    await create(
        client,
        admin,
        tariff_body("AC", component("ENERGY", "0.40")),
    )
    await assign(client, admin, "AC", "network")
    version = {
        "valid_from": "2025-04-01T00:00:00Z",
        "tariff": {"currency": "EUR", "elements": [{"components": [component("ENERGY", "0.5")]}]},
    }
    assert (
        await client.post("/tariffs/AC/versions", json=version, headers=admin)
    ).status_code == 201
    path = "/public/stations/CP-2/prices"

    now = (await client.get(path)).json()
    later = (await client.get(path, params={"at": "2025-04-01T00:00:00Z"})).json()
    assert (now["tariff_version"], now["valid_until"]) == (1, "2025-04-01T00:00:00Z")
    assert now["lines"][0]["amount"] == "0.492"
    assert (later["tariff_version"], later["valid_from"]) == (2, "2025-04-01T00:00:00Z")
    assert later["lines"][0]["amount"] == "0.615"
