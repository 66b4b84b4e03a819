"""A real OCPP session rated into a stored CDR, checked against a calculation by hand.

Tariff (PLN, 23 % VAT on everything), at a location in Europe/Warsaw (CET, UTC+1 in November):
- start fee 2.00;
- energy 1.20/kWh from 06:00 to 22:00 local, 0.80/kWh from 22:00 to 06:00;
- time fee 0.05 per minute of charging;
- parking fee 0.40 per minute, free for the first 90 minutes of the session.

Session on Friday 2026-11-20, local times (the station's clock, in UTC on the wire):
21:00 start at 100 000 Wh, charging at 12 kW (200 Wh/min): 21:25 105 000, 21:50 110 000,
22:10 114 000 → the car is full (SuspendedEV), 22:40 still 114 000, 23:10 stop at 114 000.

By hand:
- energy before 22:00: the register at 22:00 lies between 110 000 (21:50) and 114 000 (22:10):
  112 000, so 12 kWh × 1.20 = 14.40; after 22:00: 2 kWh × 0.80 = 1.60 → energy 16.00;
- time: charging 21:00–22:10 = 70 min × 0.05 = 3.50;
- parking 22:10–23:10 = 60 min, of which 22:10–22:30 inside the 90-minute grace →
  40 min × 0.40 = 16.00;
- start fee 2.00.
Total excl. VAT 37.50; incl. VAT 37.50 × 1.23 = 46.125 → 46.13 (half-up).
"""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from ampyre.domain.id_tags import IdTag
from ampyre.domain.money import Price
from ampyre.domain.rating.pricing import price_session
from ampyre.formats.ocpi_cdr import parse_cdr_usage
from ampyre.formats.ocpi_tariff import parse_ocpi_tariff
from tests.e2e.conftest import PASSWORD, LiveServer
from tests.e2e.station_client import station

SITE: dict[str, Any] = {
    "id": "waw-1",
    "name": "Warszawa Centrum",
    "address": {
        "street": "Marszałkowska 1",
        "city": "Warszawa",
        "postal_code": "00-001",
        "country": "PL",
    },
    "coordinates": {"latitude": "52.2297", "longitude": "21.0122"},
    "time_zone": "Europe/Warsaw",
}

TARIFF: dict[str, Any] = {
    "id": "PL-AC-TOU",
    "name": "AC day/night",
    "tariff": {
        "currency": "PLN",
        "parking_grace_s": 5400,
        "elements": [
            {"components": [{"dimension": "FLAT", "price": "2.00", "vat_percent": "23"}]},
            {
                "components": [{"dimension": "ENERGY", "price": "1.20", "vat_percent": "23"}],
                "restrictions": {"start_time": "06:00", "end_time": "22:00"},
            },
            {
                "components": [{"dimension": "ENERGY", "price": "0.80", "vat_percent": "23"}],
                "restrictions": {"start_time": "22:00", "end_time": "06:00"},
            },
            {
                "components": [
                    {
                        "dimension": "TIME",
                        "price": "0.05",
                        "vat_percent": "23",
                        "time_unit": "minute",
                        "step_size": 60,
                    },
                    {
                        "dimension": "PARKING_TIME",
                        "price": "0.40",
                        "vat_percent": "23",
                        "time_unit": "minute",
                        "step_size": 60,
                    },
                ]
            },
        ],
    },
}


def utc(local_hhmm: str) -> str:
    """2026-11-20 at a Warsaw wall-clock time (UTC+1), as the station sends it (UTC)."""
    hours, minutes = (int(part) for part in local_hhmm.split(":"))
    return f"2026-11-20T{hours - 1:02d}:{minutes:02d}:00Z"


async def meter(cp: Any, tx: int, at: str, wh: int) -> None:
    await cp.call(
        "MeterValues",
        {
            "connectorId": 1,
            "transactionId": tx,
            "meterValue": [
                {
                    "timestamp": utc(at),
                    "sampledValue": [
                        {
                            "value": str(wh),
                            "measurand": "Energy.Active.Import.Register",
                            "unit": "Wh",
                        }
                    ],
                }
            ],
        },
    )


async def status(cp: Any, at: str, value: str) -> None:
    await cp.call(
        "StatusNotification",
        {"connectorId": 1, "status": value, "errorCode": "NoError", "timestamp": utc(at)},
    )


async def wait_for_cdr(server: LiveServer, tx: int) -> dict[str, Any]:
    for _ in range(200):
        listed = (await server.api.get("/cdrs", params={"transaction_id": tx})).json()
        if listed["items"]:
            found: dict[str, Any] = listed["items"][0]
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"no CDR for transaction {tx}")


async def test_simulated_session_produces_the_hand_calculated_cdr(server: LiveServer) -> None:
    api = server.api
    assert (await api.post("/locations", json=SITE)).status_code == 201
    await server.add_station("CP-WAW")
    moved = await api.patch("/stations/CP-WAW", json={"location_id": "waw-1"})
    assert moved.status_code == 200, moved.text
    created = await api.post("/tariffs", json=TARIFF)
    assert created.status_code == 201, created.text
    assigned = await api.post(
        "/tariff-assignments",
        json={"tariff_id": "PL-AC-TOU", "scope": "station", "target": "CP-WAW"},
    )
    assert assigned.status_code == 201, assigned.text
    await server.add_tag(IdTag("CARD-1"))

    async with station(server.ocpp, "CP-WAW", PASSWORD) as cp:
        await cp.boot()
        await status(cp, "20:59", "Preparing")
        tx = (await cp.start("CARD-1", meter_start=100_000, timestamp=utc("21:00")))[
            "transactionId"
        ]
        await status(cp, "21:00", "Charging")
        await meter(cp, tx, "21:25", 105_000)
        await meter(cp, tx, "21:50", 110_000)
        await meter(cp, tx, "22:10", 114_000)
        await status(cp, "22:10", "SuspendedEV")
        await meter(cp, tx, "22:40", 114_000)
        live = (await api.get(f"/transactions/{tx}/cost")).json()
        await cp.stop(tx, 114_000, reason="EVDisconnected", timestamp=utc("23:10"))
        await status(cp, "23:10", "Finishing")

    cdr = await wait_for_cdr(server, tx)
    assert cdr["tariff_id"] == "PL-AC-TOU"
    assert cdr["currency"] == "PLN"
    assert cdr["time_zone"] == "Europe/Warsaw"
    assert Decimal(cdr["energy_kwh"]) == Decimal(14)
    assert Decimal(cdr["charging_s"]) == Decimal(70 * 60)
    assert Decimal(cdr["parking_s"]) == Decimal(60 * 60)
    money = {
        name: {k: Decimal(v) for k, v in cdr[name].items()}
        for name in ("total", "energy_cost", "time_cost", "parking_cost", "fixed_cost")
    }
    assert money["energy_cost"] == {"excl_vat": Decimal("16.00"), "incl_vat": Decimal("19.68")}
    assert money["time_cost"] == {"excl_vat": Decimal("3.50"), "incl_vat": Decimal("4.31")}
    assert money["parking_cost"] == {"excl_vat": Decimal("16.00"), "incl_vat": Decimal("19.68")}
    assert money["fixed_cost"] == {"excl_vat": Decimal("2.00"), "incl_vat": Decimal("2.46")}
    assert money["total"] == {"excl_vat": Decimal("37.50"), "incl_vat": Decimal("46.13")}
    assert [(Decimal(v["vat_percent"]), Decimal(v["incl_vat"])) for v in cdr["vat_totals"]] == [
        (Decimal(23), Decimal("46.13"))
    ]

    # While running (last reading 22:40) the cost so far was: 14.40 + 1.60 energy, 70 min of
    # charging (3.50), parking 22:30-22:40 (4.00) and the start fee: 25.50 excl. VAT.
    assert live["active"] is True
    assert Decimal(live["total"]["excl_vat"]) == Decimal("25.50")

    # The OCPI export carries the same money, and its charging periods priced again with the
    # exported tariff (as another party would) give the same totals.
    exported = await api.get(f"/cdrs/{cdr['id']}/ocpi")
    assert exported.status_code == 200, exported.text
    ocpi = json.loads(exported.text, parse_float=Decimal)
    assert ocpi["total_cost"] == {"excl_vat": Decimal("37.50"), "incl_vat": Decimal("46.13")}
    assert ocpi["cdr_location"]["country"] == "POL"
    usage = parse_cdr_usage(ocpi)
    tariff = parse_ocpi_tariff(ocpi["tariffs"][0]).tariff
    again_priced = price_session(
        tariff,
        usage.periods,
        session_start=usage.session_start,
        session_end=usage.session_end,
        tz=ZoneInfo("Europe/Warsaw"),
    )
    assert again_priced.rounded_totals()["total_cost"] == Price(Decimal("37.50"), Decimal("46.13"))

    # The CDR is immutable: a correction is a credit CDR, then a re-rated one.
    corrected = await api.post(
        f"/cdrs/{cdr['id']}/credit", json={"reason": "driver complaint", "rerate": True}
    )
    assert corrected.status_code == 201, corrected.text
    credit, replacement = corrected.json()["credit"], corrected.json()["replacement"]
    assert credit["credit_reference_id"] == cdr["id"]
    assert Decimal(credit["total"]["incl_vat"]) == Decimal("-46.13")
    assert Decimal(replacement["total"]["incl_vat"]) == Decimal("46.13")
    again = await api.post(f"/cdrs/{cdr['id']}/credit", json={"reason": "twice"})
    assert again.status_code == 409
    credit_ocpi = json.loads((await api.get(f"/cdrs/{credit['id']}/ocpi")).text)
    assert credit_ocpi["credit"] is True
    assert credit_ocpi["credit_reference_id"] == str(cdr["id"])
    assert credit_ocpi["total_cost"]["incl_vat"] == -46.13
