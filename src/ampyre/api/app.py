"""The REST API application; the main application mounts it at ``/api/v1``."""

from __future__ import annotations

from fastapi import FastAPI

from ampyre.api.context import ApiContext
from ampyre.api.dependencies import ApiServices
from ampyre.api.errors import install_error_handlers
from ampyre.api.routers import (
    authorizations,
    bonus,
    cdrs,
    charging_tokens,
    commands,
    connectors,
    contracts,
    customers,
    id_tags,
    locations,
    message_log,
    payment_providers,
    payments,
    plans,
    public,
    refunds,
    station_import,
    stations,
    tariffs,
    tokens,
    transactions,
    vehicles,
)
from ampyre.api.schemas.common import error_responses

DESCRIPTION = """\
Manage the charging network: locations, stations and their connectors, transactions with
their meter values and running cost, tariffs and where they apply, charge detail records
(CDRs), commands to stations and the OCPP message log; customers, plans, contracts, their
charging tokens (RFID cards, app tokens, autocharge vehicles), bonus points, and the log of
every authorisation.
`/public/...` needs no token (prices shown to drivers).

Authenticate with an API token: `Authorization: Bearer ampyre_...`. Create the first one
with `ampyre tokens create --role admin`. Each token has a role that decides what it may do.

Every error is `{"error": {"code": "...", "message": "..."}}`. Times are ISO 8601 in UTC,
energy is in Wh, power in W, coordinates are decimal strings. Money is a decimal string
("46.13"); tariff bodies may send prices as JSON numbers too, which are read exactly.
"""

TAGS = [
    {"name": "locations", "description": "Sites where stations stand."},
    {"name": "stations", "description": "Charge points: registration, approval, history."},
    {"name": "connectors", "description": "The plugs of a station."},
    {"name": "commands", "description": "Remote actions on connected stations (OCPP)."},
    {
        "name": "id tags",
        "description": "Operator tags: staff and service cards that belong to no contract.",
    },
    {"name": "transactions", "description": "Charging sessions and meter values."},
    {"name": "message log", "description": "Every OCPP frame in and out."},
    {"name": "tokens", "description": "API tokens (administrators)."},
    {"name": "tariffs", "description": "Prices, their versions and where they apply."},
    {"name": "cdrs", "description": "Charge detail records and the running cost of sessions."},
    {"name": "customers", "description": "Accounts: data, consents, blocking, privacy."},
    {"name": "plans", "description": "Offers subscribers sign: fees, special prices, bonus."},
    {"name": "contracts", "description": "Subscriptions to plans, their history, bonus points."},
    {
        "name": "charging tokens",
        "description": "RFID cards, app tokens and vehicle ids of contracts; CSV import.",
    },
    {"name": "vehicles", "description": "Customers' vehicles and autocharge."},
    {"name": "authorizations", "description": "Every attempt to charge, searchable; CSV."},
    {
        "name": "payments",
        "description": "Payments with their money movements and log; provider webhooks.",
    },
    {
        "name": "payment providers",
        "description": "Provider accounts and their keys (encrypted, shown masked); the "
        "active one.",
    },
    {
        "name": "refunds",
        "description": "Drivers' refund requests: approved by rules or by support, paid back.",
    },
    {"name": "public", "description": "Read without a token: prices shown to drivers."},
]


def build_api(ctx: ApiContext) -> FastAPI:
    """The API application with its routes relative to its mount point (``/stations``...).

    Its OpenAPI document is at ``openapi.json`` and the interactive docs at ``docs``.
    """
    app = FastAPI(
        title="Ampyre REST API",
        version="1",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        responses=error_responses(401, 403, 422),
    )
    app.state.services = ApiServices.from_context(ctx)
    install_error_handlers(app)
    for module in (
        locations,
        station_import,
        stations,
        connectors,
        commands,
        id_tags,
        transactions,
        message_log,
        tokens,
        tariffs,
        cdrs,
        customers,
        plans,
        contracts,
        bonus,
        charging_tokens,
        vehicles,
        authorizations,
        payment_providers,
        payments,
        refunds,
        public,
    ):
        app.include_router(module.router)
    return app
