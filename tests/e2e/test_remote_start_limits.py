"""Start charging as the operator (or on behalf of a customer) with a kWh and/or minutes
limit: the session is stopped by Ampyre when it reaches the limit."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from ampyre.domain.id_tags import IdTag
from tests.e2e.conftest import PASSWORD, LiveServer
from tests.e2e.station_client import TestStation, station


async def remote_start(server: LiveServer, **limits: object) -> None:
    response = await server.api.post(
        "/stations/CP-L/commands/remote-start",
        json={"id_tag": "CUSTOMER-1", "connector_id": 1, **limits},
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "Accepted"


async def stops_seen(cp: TestStation) -> list[int]:
    await asyncio.sleep(0.2)  # the stop is sent by its own task
    return [p["transactionId"] for action, p in cp.calls if action == "RemoteStopTransaction"]


async def test_energy_limit_stops_the_session_when_reached(server: LiveServer) -> None:
    await server.add_station("CP-L")
    await server.add_tag(IdTag("CUSTOMER-1"))
    async with station(server.ocpp, "CP-L", PASSWORD) as cp:
        await cp.boot()
        await remote_start(server, limit_kwh="1.5")
        tx = (await cp.start("CUSTOMER-1", meter_start=10_000))["transactionId"]
        detail = (await server.api.get(f"/transactions/{tx}")).json()
        assert (detail["energy_limit_wh"], detail["duration_limit_s"]) == (1500, None)
        await cp.meter(tx, 11_000)
        assert await stops_seen(cp) == []
        await cp.meter(tx, 11_500)
        assert await stops_seen(cp) == [tx]
        await cp.stop(tx, 11_520, reason="Remote")
        await cp.meter(tx, 11_600)  # late sample: no second stop
        assert await stops_seen(cp) == [tx]


async def test_time_limit_stops_the_session_at_its_deadline(server: LiveServer) -> None:
    await server.add_station("CP-L")
    await server.add_tag(IdTag("CUSTOMER-1"))
    async with station(server.ocpp, "CP-L", PASSWORD) as cp:
        await cp.boot()
        await remote_start(server, limit_minutes=1)
        started = datetime.now(UTC) - timedelta(seconds=61)
        stamp = started.isoformat(timespec="seconds").replace("+00:00", "Z")
        tx = (await cp.start("CUSTOMER-1", timestamp=stamp))["transactionId"]
        assert server.components.limits.check_deadlines() == [tx]
        assert await stops_seen(cp) == [tx]


async def test_a_session_without_remote_start_has_no_limit(server: LiveServer) -> None:
    await server.add_station("CP-L")
    await server.add_tag(IdTag("CUSTOMER-1"))
    async with station(server.ocpp, "CP-L", PASSWORD) as cp:
        await cp.boot()
        tx = (await cp.start("CUSTOMER-1"))["transactionId"]
        await cp.meter(tx, 10**6)
        assert await stops_seen(cp) == []
    detail = (await server.api.get(f"/transactions/{tx}")).json()
    assert (detail["energy_limit_wh"], detail["duration_limit_s"]) == (None, None)


async def test_a_rejected_remote_start_leaves_no_pending_limit(server: LiveServer) -> None:
    async def refuse(payload: dict[str, object]) -> dict[str, object]:
        return {"status": "Rejected"}

    await server.add_station("CP-L")
    await server.add_tag(IdTag("CUSTOMER-1"))
    async with station(server.ocpp, "CP-L", PASSWORD, {"RemoteStartTransaction": refuse}) as cp:
        await cp.boot()
        response = await server.api.post(
            "/stations/CP-L/commands/remote-start",
            json={"id_tag": "CUSTOMER-1", "limit_kwh": "2"},
        )
        assert response.json()["status"] == "Rejected"
        tx = (await cp.start("CUSTOMER-1"))["transactionId"]  # a local start later on
    assert (await server.api.get(f"/transactions/{tx}")).json()["energy_limit_wh"] is None


async def test_limits_are_validated(server: LiveServer) -> None:
    await server.add_station("CP-L")
    for body in (
        {"limit_kwh": "0"},
        {"limit_kwh": "-1"},
        {"limit_minutes": 0},
        {"limit_kwh": "1.2345"},
    ):
        response = await server.api.post(
            "/stations/CP-L/commands/remote-start", json={"id_tag": "CUSTOMER-1", **body}
        )
        assert response.status_code == 422, body
        assert response.json()["error"]["code"]


async def test_limits_survive_a_restart(server_factory) -> None:  # type: ignore[no-untyped-def]
    first: LiveServer = await server_factory()
    await first.add_station("CP-L")
    await first.add_tag(IdTag("CUSTOMER-1"))
    async with station(first.ocpp, "CP-L", PASSWORD) as cp:
        await cp.boot()
        await remote_start(first, limit_kwh="1")
        tx = (await cp.start("CUSTOMER-1", meter_start=0))["transactionId"]
    second: LiveServer = await server_factory()
    assert len(second.components.limits) == 1
    async with station(second.ocpp, "CP-L", PASSWORD) as cp:
        await cp.meter(tx, 1000)
        assert await stops_seen(cp) == [tx]
