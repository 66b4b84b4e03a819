"""The error envelope for everything, the OpenAPI document, and mounting at /api/v1."""

from __future__ import annotations

import httpx
from api_station_commands import ScriptedStationCommands
from api_testkit import api_context
from fastapi import FastAPI

from ampyre.api.app import build_api
from ampyre.services.clock import FixedClock, SystemClock
from ampyre.services.commands import CommandService
from ampyre.services.ports import UnitOfWorkFactory

EXPECTED_PATHS = {
    "/locations",
    "/locations/{location_id}",
    "/stations",
    "/stations/import",
    "/stations/{station_id}",
    "/stations/{station_id}/approve",
    "/stations/{station_id}/reject",
    "/stations/{station_id}/password",
    "/stations/{station_id}/status-history",
    "/stations/{station_id}/connections",
    "/stations/{station_id}/connectors",
    "/stations/{station_id}/connectors/{connector_id}",
    "/stations/{station_id}/commands/remote-start",
    "/stations/{station_id}/commands/reset",
    "/stations/{station_id}/commands/unlock",
    "/stations/{station_id}/commands/availability",
    "/stations/{station_id}/commands/configuration",
    "/stations/{station_id}/commands/trigger",
    "/stations/{station_id}/commands/clear-cache",
    "/stations/{station_id}/commands/data-transfer",
    "/transactions",
    "/transactions/{transaction_id}",
    "/transactions/{transaction_id}/stop",
    "/id-tags",
    "/id-tags/{id_tag}",
    "/message-log",
    "/tokens",
    "/tokens/{token_id}",
    "/tariffs",
    "/tariffs/ocpi",
    "/tariffs/{tariff_id}",
    "/tariffs/{tariff_id}/ocpi",
    "/tariffs/{tariff_id}/versions",
    "/tariff-assignments",
    "/tariff-assignments/{assignment_id}",
    "/tariff-resolution",
    "/cdrs",
    "/cdrs/{cdr_id}",
    "/cdrs/{cdr_id}/credit",
    "/cdrs/{cdr_id}/ocpi",
    "/transactions/{transaction_id}/cost",
    "/public/stations/{station_id}/prices",
    "/customers",
    "/customers/export.csv",
    "/customers/{customer_id}",
    "/customers/{customer_id}/consents",
    "/customers/{customer_id}/block",
    "/customers/{customer_id}/unblock",
    "/customers/{customer_id}/export",
    "/customers/{customer_id}/anonymise",
    "/authorizations",
    "/authorizations/export.csv",
    "/charging-tokens",
    "/charging-tokens/import",
    "/charging-tokens/{uid}",
    "/charging-tokens/{uid}/block",
    "/charging-tokens/{uid}/lost",
    "/charging-tokens/{uid}/unblock",
    "/contracts",
    "/contracts/{contract_id}",
    "/contracts/{contract_id}/activate",
    "/contracts/{contract_id}/bonus",
    "/contracts/{contract_id}/bonus/adjust",
    "/contracts/{contract_id}/bonus/redeem",
    "/contracts/{contract_id}/end",
    "/contracts/{contract_id}/suspend",
    "/plans",
    "/plans/{plan_id}",
    "/plans/{plan_id}/end",
    "/vehicles",
    "/vehicles/{vehicle_id}",
    "/vehicles/{vehicle_id}/autocharge",
    "/payment-providers",
    "/payment-providers/specs",
    "/payment-providers/{account_id}",
    "/payment-providers/{account_id}/activate",
    "/payment-providers/{account_id}/deactivate",
    "/payment-providers/{account_id}/test",
    "/payments/webhooks/{provider}",
    "/payments/{payment_id}",
    "/refunds",
    "/refunds/{refund_id}/approve",
    "/refunds/{refund_id}/reject",
}


async def test_openapi_lists_every_path_and_hides_secrets(client: httpx.AsyncClient) -> None:
    answer = await client.get("/openapi.json")
    assert answer.status_code == 200
    document = answer.json()
    assert set(document["paths"]) == EXPECTED_PATHS
    assert "ApiToken" in document["components"]["securitySchemes"]
    assert "password_hash" not in answer.text
    assert "token_hash" not in answer.text
    station_post = document["paths"]["/stations"]["post"]
    assert set(station_post["responses"]) >= {"201", "401", "403", "409", "422"}
    error_schema = station_post["responses"]["422"]["content"]["application/json"]["schema"]
    assert error_schema == {"$ref": "#/components/schemas/ErrorEnvelope"}
    csv_body = document["paths"]["/stations/import"]["post"]["requestBody"]["content"]
    assert "text/csv" in csv_body


async def test_unknown_route_and_wrong_method_use_the_envelope(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    unknown = await client.get("/nothing-here", headers=admin)
    assert unknown.status_code == 404
    assert unknown.json() == {
        "error": {"code": "not_found", "message": "no such API endpoint: GET /nothing-here"}
    }
    wrong = await client.put("/stations", headers=admin)
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"
    broken = await client.post(
        "/locations", content=b"{not json", headers={**admin, "Content-Type": "application/json"}
    )
    assert broken.status_code == 422
    assert broken.json()["error"]["code"] == "validation_failed"


async def test_mounted_under_api_v1(uow: UnitOfWorkFactory, clock: FixedClock) -> None:
    commands = CommandService(uow, ScriptedStationCommands(), timeout_s=1.0, clock=SystemClock())
    main = FastAPI()
    context = api_context(uow, clock, commands)
    main.mount("/api/v1", build_api(context))
    transport = httpx.ASGITransport(app=main)
    async with httpx.AsyncClient(transport=transport, base_url="http://main.test") as http:
        document = await http.get("/api/v1/openapi.json")
        assert "/stations" in document.json()["paths"]
        assert document.json()["servers"] == [{"url": "/api/v1"}]
        docs = await http.get("/api/v1/docs")
        assert docs.status_code == 200
        assert "/api/v1/openapi.json" in docs.text
        unauthenticated = await http.get("/api/v1/stations")
        assert unauthenticated.status_code == 401
        unknown = await http.get("/api/v1/nope")
        assert unknown.status_code == 404
        assert unknown.json()["error"]["code"] == "not_found"
