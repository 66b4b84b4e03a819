"""``ampyre secrets generate-key|rotate|check`` against real databases, the server refusing
to start when stored secrets cannot be read, and the key setting never shown."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from cryptography.fernet import Fernet
from starlette.types import ASGIApp
from tests.integration.payment_spec_fakes import GOOD_KEY, SPECS, WEBHOOK_SECRET
from typer.testing import CliRunner

from ampyre.cli import app
from ampyre.config import Settings, load_settings
from ampyre.db import testing
from ampyre.db.engine import create_engine
from ampyre.db.secret_box import FernetSecretBox, generate_key
from ampyre.db.uow import uow_factory
from ampyre.main import build_app, build_components
from ampyre.services.access import Actor
from ampyre.services.clock import SystemClock
from ampyre.services.payment_providers import NewProviderAccount, PaymentProviderService
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.records import Role
from ampyre.services.secret_box import SecretKeysMissing, SecretUnreadable

ADMIN = Actor("admin", Role.ADMIN)
runner = CliRunner()


def _account() -> NewProviderAccount:
    credentials = {"account": "acct_1", "secret_key": GOOD_KEY, "webhook_secret": WEBHOOK_SECRET}
    return NewProviderAccount("fakepay", "Live", credentials, active=True)


def _seed(db_url: str, backend: str, key: str) -> str:
    """An empty database with one account whose secrets are sealed with ``key``."""

    async def seed() -> str:
        engine = create_engine(db_url)
        try:
            if backend == "postgres":
                await testing.reset_database(engine)
            service = PaymentProviderService(
                uow_factory(engine), SystemClock(), SPECS, FernetSecretBox([key])
            )
            return (await service.do_configure(ADMIN, _account())).id
        finally:
            await engine.dispose()

    return asyncio.run(seed())


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No configuration from the environment the tests run in."""
    for name in ("AMPYRE_CONFIG_FILE", "AMPYRE_SECRET_KEYS", "AMPYRE_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)


def secrets(db_url: str, keys: str | None, *args: str) -> Any:
    env = {"AMPYRE_DATABASE_URL": db_url, "AMPYRE_SECRET_KEYS": keys}
    return runner.invoke(app, ["secrets", *args], env=env)


def test_generate_key_prints_a_new_fernet_key(environment: None) -> None:
    first = runner.invoke(app, ["secrets", "generate-key"])
    second = runner.invoke(app, ["secrets", "generate-key"])
    assert first.exit_code == second.exit_code == 0
    key = first.output.strip()
    assert Fernet(key.encode()).decrypt(Fernet(key.encode()).encrypt(b"ok")) == b"ok"
    assert second.output.strip() != key


def test_rotate_then_check_with_the_new_key_alone(
    environment: None, db_url: str, backend: str
) -> None:
    old, new = generate_key(), generate_key()
    account_id = _seed(db_url, backend, old)

    rotated = secrets(db_url, f"{new},{old}", "rotate")
    assert rotated.exit_code == 0, rotated.output
    assert "re-encrypted the secrets of 1 payment provider account(s)" in rotated.output

    checked = secrets(db_url, new, "check")
    assert checked.exit_code == 0, checked.output
    assert checked.output.strip() == "all 2 stored secret(s) decrypt with AMPYRE_SECRET_KEYS"

    with_old = secrets(db_url, old, "check")
    assert with_old.exit_code == 2
    assert f"payment provider 'Live' ({account_id}) cannot be read: none of the 1 key(s)" in (
        with_old.output
    )
    without = secrets(db_url, None, "rotate")
    assert without.exit_code == 2
    assert "no secret key is configured: set AMPYRE_SECRET_KEYS" in without.output
    malformed = secrets(db_url, f"{new},not-a-key", "rotate")
    assert malformed.exit_code == 2
    assert "key 2 of 2 in AMPYRE_SECRET_KEYS is not a Fernet key" in malformed.output
    for result in (rotated, checked, with_old, without, malformed):
        for text in (old, new, "not-a-key", GOOD_KEY, WEBHOOK_SECRET):
            assert text not in result.output


def test_the_key_setting_is_never_shown(environment: None, monkeypatch: pytest.MonkeyPatch) -> None:
    key = generate_key()
    monkeypatch.setenv("AMPYRE_SECRET_KEYS", key)
    settings = load_settings()
    assert settings.secret_keys is not None
    assert settings.secret_keys.get_secret_value() == key
    for shown in (repr(settings), str(settings), settings.model_dump_json()):
        assert key not in shown
    for args in ([], ["--help"], ["secrets", "--help"], ["serve", "--help"]):
        result = runner.invoke(app, args)
        assert key not in result.output


async def _lifespan(app: ASGIApp) -> list[dict[str, Any]]:
    """Start the app's lifespan, stop it again once started; the messages it sent."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    sent: list[dict[str, Any]] = []
    await inbox.put({"type": "lifespan.startup"})

    async def receive() -> dict[str, Any]:
        return await inbox.get()

    async def send(message: Any) -> None:
        sent.append(message)
        if message["type"] == "lifespan.startup.complete":
            await inbox.put({"type": "lifespan.shutdown"})

    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
    try:
        await app(scope, receive, send)  # type: ignore[arg-type]
    finally:
        sent.append({"type": "returned"})
    return sent


async def test_the_server_refuses_to_start_when_stored_secrets_cannot_be_read(
    uow: UnitOfWorkFactory, db_url: str
) -> None:
    key = generate_key()
    service = PaymentProviderService(uow, SystemClock(), SPECS, FernetSecretBox([key]))
    await service.do_configure(ADMIN, _account())
    for keys, error in ((None, SecretKeysMissing), (generate_key(), SecretUnreadable)):
        components = build_components(Settings(database_url=db_url, secret_keys=keys))
        try:
            with pytest.raises(error, match="the secrets of payment provider 'Live'"):
                await _lifespan(build_app(components, background_jobs=False))
        finally:
            await components.engine.dispose()
    components = build_components(Settings(database_url=db_url, secret_keys=f" {key} "))
    sent = await _lifespan(build_app(components, background_jobs=False))
    assert [m["type"] for m in sent] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
        "returned",
    ]
