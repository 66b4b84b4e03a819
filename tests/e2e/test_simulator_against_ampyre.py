"""The built-in simulator (used by the demo and the benchmark) against a real Ampyre server:
stations boot, report status, charge with RFID tags and obey remote commands."""

from __future__ import annotations

import asyncio

from ampyre.domain.id_tags import IdTag
from ampyre.simulator.config import SimulationOptions, StationCredentials
from ampyre.simulator.fleet import run_simulation
from tests.e2e.conftest import PASSWORD, LiveServer


async def test_simulated_network_charges_and_obeys(server: LiveServer) -> None:
    ids = ["SIM-A", "SIM-B", "SIM-C"]
    for station_id in ids:
        await server.add_station(station_id)
    await server.add_tag(IdTag("SIM-TAG"))
    options = SimulationOptions(
        url=server.ocpp,
        credentials=tuple(StationCredentials(s, PASSWORD) for s in ids),
        id_tags=("SIM-TAG",),
        speed=200.0,
        seed=7,
        mean_idle_time=120.0,
        session_duration=(300.0, 600.0),
        meter_interval=30.0,
        dc_share=0.0,
        connect_rate=50.0,
    )
    stop = asyncio.Event()
    simulation = asyncio.create_task(run_simulation(options, stop=stop))
    try:
        for _ in range(300):
            listed = (await server.api.get("/transactions", params={"active": "false"})).json()
            if len(listed["items"]) >= 2:
                break
            await asyncio.sleep(0.05)
        assert len(listed["items"]) >= 2, "simulated stations completed no session"
        response = await server.api.put(
            "/stations/SIM-B/commands/configuration",
            json={"key": "MeterValueSampleInterval", "value": "15"},
        )
        assert response.json()["status"] == "Accepted"
    finally:
        stop.set()
        report = await asyncio.wait_for(simulation, 20)
    assert report.errors == 0
    assert report.boot_results == {"Accepted": 3}
    for item in listed["items"]:
        detail = (await server.api.get(f"/transactions/{item['id']}")).json()
        assert detail["energy_wh"] > 0
        assert detail["meter_values"], "sessions carry meter values"
    stations = (await server.api.get("/stations")).json()["items"]
    assert {s["model"] for s in stations} == {"SimCharger 22"}
