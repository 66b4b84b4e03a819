"""/payment-providers over real databases with a fake adapter: the specs, connecting an
account, masked answers, partial updates, activation, connection tests, removal, errors, and
who may do what."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from api_station_commands import ScriptedStationCommands
from api_testkit import Tokens, api_context
from tests.integration.payment_spec_fakes import (
    GOOD_KEY,
    OTHER_GOOD_KEY,
    SPECS,
    WEBHOOK_SECRET,
    WRONG_KEY,
)

from ampyre.api.app import build_api
from ampyre.db.secret_box import FernetSecretBox, generate_key
from ampyre.services.access import Permission, permissions_of
from ampyre.services.clock import FixedClock, SystemClock
from ampyre.services.commands import CommandService
from ampyre.services.payment_providers import PaymentProviderService
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.records import Role
from ampyre.services.secret_box import NoSecretKeys, SecretBox

KEY = generate_key()


def payments_app(
    uow: UnitOfWorkFactory, clock: FixedClock, box: SecretBox, *, production: bool = False
) -> httpx.AsyncClient:
    commands = CommandService(uow, ScriptedStationCommands(), timeout_s=1.0, clock=SystemClock())
    service = PaymentProviderService(uow, clock, SPECS, box, production=production)
    app = build_api(api_context(uow, clock, commands, payment_providers=service))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api.test")


@pytest.fixture
async def api(uow: UnitOfWorkFactory, clock: FixedClock) -> AsyncIterator[httpx.AsyncClient]:
    async with payments_app(uow, clock, FernetSecretBox([KEY])) as http:
        yield http


def fakepay(**changes: Any) -> dict[str, Any]:
    credentials = {"account": "acct_fake_1", "secret_key": GOOD_KEY}
    credentials.update(changes.pop("credentials", {}))
    return {"provider": "fakepay", "label": "FakePay live", "credentials": credentials, **changes}


async def test_specs_say_what_each_provider_needs(
    api: httpx.AsyncClient, admin: dict[str, str], uow: UnitOfWorkFactory, clock: FixedClock
) -> None:
    answer = await api.get("/payment-providers/specs", headers=admin)
    assert answer.status_code == 200, answer.text
    specs = {s["name"]: s for s in answer.json()}
    assert set(specs) == {"fakepay", "fakesandbox"}
    assert specs["fakepay"] == {
        "name": "fakepay",
        "label": "FakePay",
        "test_only": False,
        "selectable": True,
        "reason": None,
        "fields": [
            {
                "name": "account",
                "secret": False,
                "description": "The account id, acct_...",
                "required": True,
            },
            {
                "name": "secret_key",
                "secret": True,
                "description": "The secret API key, sk_...",
                "required": True,
            },
            {
                "name": "webhook_secret",
                "secret": True,
                "description": "Signs webhooks, whsec_...",
                "required": False,
            },
            {
                "name": "statement",
                "secret": False,
                "description": "On statements",
                "required": False,
            },
        ],
    }
    assert specs["fakesandbox"]["test_only"]
    assert specs["fakesandbox"]["selectable"]
    async with payments_app(uow, clock, FernetSecretBox([KEY]), production=True) as production:
        sandbox = (await production.get("/payment-providers/specs", headers=admin)).json()[1]
        assert sandbox["selectable"] is False
        assert "for testing only" in sandbox["reason"]
        refused = await production.post(
            "/payment-providers",
            json={"provider": "fakesandbox", "label": "S", "credentials": {"secret_key": "sk_1"}},
            headers=admin,
        )
        assert refused.status_code == 422
        assert refused.json()["error"]["code"] == "provider_not_selectable"


async def test_an_account_is_connected_changed_tested_activated_and_removed(
    api: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    created = await api.post(
        "/payment-providers",
        json=fakepay(credentials={"webhook_secret": WEBHOOK_SECRET}),
        headers=admin,
    )
    assert created.status_code == 201, created.text
    account = created.json()
    assert set(account) == {
        "id",
        "provider",
        "provider_label",
        "label",
        "settings",
        "secrets",
        "active",
        "test_only",
        "created_at",
        "updated_at",
        "rotated_at",
    }
    assert account["settings"] == {"account": "acct_fake_1"}
    assert account["secrets"] == {"secret_key": "sk_test_…5678", "webhook_secret": "whsec_…2468"}
    assert account["active"] is False
    assert account["created_at"] == "2025-03-01T12:00:00Z"
    assert account["rotated_at"] is None
    path = f"/payment-providers/{account['id']}"
    assert (await api.get(path, headers=admin)).json() == account
    assert (await api.get("/payment-providers", headers=admin)).json() == [account]

    patched = await api.patch(
        path,
        json={"label": "Renamed", "credentials": {"secret_key": OTHER_GOOD_KEY, "statement": "X"}},
        headers=admin,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["label"] == "Renamed"
    assert patched.json()["settings"] == {"account": "acct_fake_1", "statement": "X"}
    assert patched.json()["secrets"] == {
        "secret_key": "sk_test_…9876",
        "webhook_secret": "whsec_…2468",
    }
    cleared = await api.patch(path, json={"credentials": {"webhook_secret": None}}, headers=admin)
    assert cleared.json()["secrets"] == {"secret_key": "sk_test_…9876"}

    tested = await api.post(f"{path}/test", headers=admin)
    assert tested.status_code == 200, tested.text
    assert tested.json() == {
        "ok": True,
        "message": "acct_fake_1 reachable with sk_test_…9876",
        "test_mode": True,
    }
    await api.patch(path, json={"credentials": {"secret_key": WRONG_KEY}}, headers=admin)
    failed = (await api.post(f"{path}/test", headers=admin)).json()
    assert failed["ok"] is False
    assert failed["message"] == "FakePay refused the keys: Invalid API Key provided: sk_test_…1111"

    activated = await api.post(f"{path}/activate", headers=admin)
    assert activated.status_code == 200, activated.text
    assert activated.json()["active"] is True
    busy = await api.delete(path, headers=admin)
    assert busy.status_code == 409
    assert busy.json()["error"]["code"] == "payment_provider_active"
    deactivated = await api.post(f"{path}/deactivate", headers=admin)
    assert deactivated.json()["active"] is False
    removed = await api.delete(path, headers=admin)
    assert removed.status_code == 204
    assert removed.content == b""
    for method, suffix in (("GET", ""), ("PATCH", ""), ("DELETE", ""), ("POST", "/test")):
        gone = await api.request(method, f"{path}{suffix}", json={}, headers=admin)
        assert gone.status_code == 404, (method, suffix)
        assert gone.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (
            fakepay(credentials={"api_key": "x"}),
            "unknown_field",
            "FakePay has no setting 'api_key'",
        ),
        (
            {"provider": "fakepay", "label": "x", "credentials": {"account": "a"}},
            "missing_field",
            "FakePay needs 'secret_key'",
        ),
        (fakepay(provider="stripe"), "unknown_payment_provider", "unknown payment provider"),
        (
            fakepay(credentials={"secret_key": "pk_test_NOTASECRETKEY12345678"}),
            "validation_failed",
            "a secret key starts with sk_, not like pk_test_…5678",
        ),
        (fakepay(label=""), "validation_failed", "body.label"),
        (fakepay(extra=1), "validation_failed", "body.extra: Extra inputs are not permitted"),
        (
            fakepay(credentials={"statement": "x" * 4097}),
            "validation_failed",
            "body.credentials.statement",
        ),
    ],
)
async def test_a_refused_account_gets_a_clear_error(
    api: httpx.AsyncClient, admin: dict[str, str], body: dict[str, Any], code: str, message: str
) -> None:
    answer = await api.post("/payment-providers", json=body, headers=admin)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == code
    assert message in answer.json()["error"]["message"]
    assert "NOTASECRETKEY" not in answer.text
    assert (await api.get("/payment-providers", headers=admin)).json() == []


async def test_patch_refuses_null_label_and_a_missing_required_field(
    api: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    account = (await api.post("/payment-providers", json=fakepay(), headers=admin)).json()
    path = f"/payment-providers/{account['id']}"
    for body, message in (
        ({"label": None}, "label cannot be null"),
        ({"credentials": None}, "credentials cannot be null"),
        ({"credentials": {"secret_key": None}}, "FakePay needs 'secret_key'"),
    ):
        answer = await api.patch(path, json=body, headers=admin)
        assert answer.status_code == 422, body
        assert message in answer.json()["error"]["message"]
    assert (await api.get(path, headers=admin)).json() == account


async def test_without_a_server_key_no_secret_is_accepted(
    uow: UnitOfWorkFactory, clock: FixedClock, admin: dict[str, str]
) -> None:
    async with payments_app(uow, clock, NoSecretKeys()) as api:
        answer = await api.post("/payment-providers", json=fakepay(), headers=admin)
        assert answer.status_code == 409
        assert answer.json()["error"]["code"] == "secret_keys_missing"
        assert "set AMPYRE_SECRET_KEYS" in answer.json()["error"]["message"]


async def test_openapi_marks_credentials_write_only(
    api: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    document = (await api.get("/openapi.json")).json()
    paths = {p for p in document["paths"] if p.startswith("/payment-providers")}
    assert paths == {
        "/payment-providers",
        "/payment-providers/specs",
        "/payment-providers/{account_id}",
        "/payment-providers/{account_id}/activate",
        "/payment-providers/{account_id}/deactivate",
        "/payment-providers/{account_id}/test",
    }
    schemas = document["components"]["schemas"]
    values = schemas["ProviderAccountCreate"]["properties"]["credentials"]["additionalProperties"]
    assert values["writeOnly"] is True
    assert values["format"] == "password"
    assert "credentials" not in schemas["ProviderAccountOut"]["properties"]


ENDPOINTS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/payment-providers/specs", None),
    ("GET", "/payment-providers", None),
    ("POST", "/payment-providers", fakepay(label="Another")),
    ("GET", "/payment-providers/{id}", None),
    ("PATCH", "/payment-providers/{id}", {"label": "x"}),
    ("POST", "/payment-providers/{id}/test", None),
    ("POST", "/payment-providers/{id}/activate", None),
    ("POST", "/payment-providers/{id}/deactivate", None),
    ("DELETE", "/payment-providers/{id}", None),
]


@pytest.mark.parametrize("role", list(Role))
async def test_only_admins_and_operators_reach_payment_settings(
    api: httpx.AsyncClient, tokens: Tokens, admin: dict[str, str], role: Role
) -> None:
    account = (await api.post("/payment-providers", json=fakepay(), headers=admin)).json()
    headers = tokens.headers(role)
    allowed = Permission.PAYMENTS_CONFIGURE in permissions_of(role)
    assert allowed == (role in (Role.ADMIN, Role.OPERATOR))
    for method, template, body in ENDPOINTS:
        path = template.replace("{id}", account["id"])
        answer = await api.request(method, path, json=body, headers=headers)
        if allowed:
            assert answer.status_code in (200, 201, 204), (role, method, path, answer.text)
        else:
            assert answer.status_code == 403, (role, method, path, answer.text)
            assert answer.json()["error"]["code"] == "forbidden"
            assert GOOD_KEY not in answer.text
    listed = (await api.get("/payment-providers", headers=admin)).json()
    if allowed:  # the first was removed, the one made by the role is left
        assert [a["label"] for a in listed] == ["Another"]
    else:
        assert listed == [account]
