"""Issue 5, done-when 6: provider keys never appear in API responses, logs or the database in
clear text; and a key rotation leaves no old ciphertext behind while the new key alone still
opens everything. On SQLite and PostgreSQL, through the REST API, with a fake adapter that
puts the keys it is given into its own messages and errors."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from api_station_commands import ScriptedStationCommands
from api_testkit import api_context
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.integration.payment_spec_fakes import (
    CRASHING,
    GOOD_KEY,
    OTHER_GOOD_KEY,
    SPECS,
    UNREACHABLE,
    WEBHOOK_SECRET,
    WRONG_KEY,
    FakeProvider,
)

from ampyre.api.app import build_api
from ampyre.db.secret_box import FernetSecretBox, generate_key
from ampyre.services.access import Actor
from ampyre.services.clock import FixedClock, SystemClock
from ampyre.services.commands import CommandService
from ampyre.services.payment_providers import PaymentProviderService
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.records import Role
from ampyre.services.secret_box import SecretBox, SecretUnreadable

REFUSED_KEY = "pk_test_PUBLISHABLEKEY5555aaaaBBBB3333"
SECRETS = (GOOD_KEY, OTHER_GOOD_KEY, WRONG_KEY, WEBHOOK_SECRET, REFUSED_KEY)
FRAGMENTS = ("SUPERSECRET", "ANOTHERSECRET", "WRONGSECRET", "WEBHOOKSECRET", "PUBLISHABLEKEY")
"""A part of each secret that no mask shows: finding none of them means no secret, whole or
in large part."""
ADMIN = Actor("admin", Role.ADMIN)


def assert_no_secret(text: str, where: str) -> None:
    for fragment in FRAGMENTS:
        assert fragment not in text, f"{fragment!r} found in {where}"


def client(uow: UnitOfWorkFactory, clock: FixedClock, box: SecretBox) -> httpx.AsyncClient:
    commands = CommandService(uow, ScriptedStationCommands(), timeout_s=1.0, clock=SystemClock())
    service = PaymentProviderService(uow, clock, SPECS, box)
    app = build_api(api_context(uow, clock, commands, payment_providers=service))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api.test")


class Recorder:
    """Every response body of a test, to search afterwards."""

    def __init__(self, http: httpx.AsyncClient, headers: dict[str, str]) -> None:
        self.http = http
        self.headers = headers
        self.bodies: list[tuple[str, str]] = []

    async def __call__(self, method: str, path: str, body: Any = None) -> httpx.Response:
        answer = await self.http.request(method, path, json=body, headers=self.headers)
        self.bodies.append((f"{method} {path} → {answer.status_code}", answer.text))
        return answer


async def stored_values(engine: AsyncEngine) -> list[tuple[str, Any]]:
    """Every value of every row of every table in the database, read with plain SQL (no
    type processing: JSON comes back as the stored text)."""
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names())
        found: list[tuple[str, Any]] = []
        for name in names:
            rows = await conn.execute(sa.select(sa.text("*")).select_from(sa.table(name)))
            found.extend((name, value) for row in rows for value in row)
    assert {"payment_providers", "api_tokens", "alembic_version"} <= set(names)
    return found


def as_text(value: Any) -> str:
    """A stored value as text: bytes decoded, JSON (asyncpg decodes it) as JSON text."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


async def assert_database_holds_no_secret(engine: AsyncEngine, backend: str) -> str:
    """Searches every stored value, and on SQLite the database files byte by byte (pages
    not in use any more and the write-ahead log too). Returns all stored text."""
    values = await stored_values(engine)
    text = "\n".join(f"{table}: {as_text(value)}" for table, value in values)
    assert_no_secret(text, "the database")
    if backend == "sqlite":
        database = make_url(engine.url).database
        assert database is not None
        for path in (Path(database), Path(f"{database}-wal")):
            if path.exists():
                raw = path.read_bytes()
                for fragment in FRAGMENTS:
                    assert fragment.encode() not in raw, f"{fragment!r} in {path.name}"
    return text


@pytest.fixture
def captured(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every logger at DEBUG, SQLAlchemy's statements, parameters and rows included."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")  # it sets itself to WARNING
    return caplog


@pytest.fixture
async def recorder(
    uow: UnitOfWorkFactory,
    clock: FixedClock,
    admin: dict[str, str],
    captured: pytest.LogCaptureFixture,
) -> AsyncIterator[Recorder]:
    async with client(uow, clock, FernetSecretBox([generate_key()])) as http:
        yield Recorder(http, admin)


async def test_provider_keys_appear_in_no_answer_no_log_and_no_stored_text(
    recorder: Recorder,
    captured: pytest.LogCaptureFixture,
    engine: AsyncEngine,
    backend: str,
) -> None:
    call = recorder
    good = await call(
        "POST",
        "/payment-providers",
        {
            "provider": "fakepay",
            "label": "FakePay live",
            "credentials": {
                "account": "acct_fake_1",
                "secret_key": GOOD_KEY,
                "webhook_secret": WEBHOOK_SECRET,
            },
            "active": True,
        },
    )
    assert good.status_code == 201, good.text
    wrong = await call(
        "POST",
        "/payment-providers",
        {
            "provider": "fakepay",
            "label": "Wrong key",
            "credentials": {"account": "acct_fake_1", "secret_key": WRONG_KEY},
        },
    )
    assert wrong.status_code == 201, wrong.text
    refused = await call(
        "POST",
        "/payment-providers",
        {
            "provider": "fakepay",
            "label": "Refused",
            "credentials": {"account": "acct_fake_1", "secret_key": REFUSED_KEY},
        },
    )
    assert refused.status_code == 422
    good_path = f"/payment-providers/{good.json()['id']}"
    wrong_path = f"/payment-providers/{wrong.json()['id']}"

    assert (await call("POST", f"{good_path}/test")).json()["ok"] is True
    assert (await call("POST", f"{wrong_path}/test")).json()["ok"] is False
    for account in (UNREACHABLE, CRASHING):
        await call("PATCH", wrong_path, {"credentials": {"account": account}})
        assert (await call("POST", f"{wrong_path}/test")).json()["ok"] is False
    await call("PATCH", good_path, {"credentials": {"secret_key": OTHER_GOOD_KEY}})
    await call("PATCH", good_path, {"credentials": {"secret_key": GOOD_KEY}, "label": "Back"})
    await call("POST", f"{wrong_path}/activate")
    await call("POST", f"{good_path}/activate")
    for path in ("/payment-providers", "/payment-providers/specs", good_path, wrong_path):
        assert (await call("GET", path)).status_code == 200
    await call("GET", "/openapi.json")

    # 1. No answer holds a secret; the masks are there instead.
    for where, body in recorder.bodies:
        assert_no_secret(body, where)
    answers = "\n".join(body for _, body in recorder.bodies)
    for mask in ("sk_test_…5678", "whsec_…2468", "sk_test_…9876", "sk_test_…1111"):
        assert mask in answers
    assert "pk_test_…3333" in refused.text

    # 2. No log record holds one, at DEBUG, message, arguments and tracebacks alike.
    formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
    logged = []
    for record in captured.records:
        line = formatter.format(record)  # also renders exc_info and stack_info
        assert_no_secret(line, f"the log ({record.name})")
        assert_no_secret(repr(record.args), f"the log arguments ({record.name})")
        logged.append(line)
    everything = "\n".join(logged)
    # The capture saw what it should: the use cases, and SQL with its parameters and rows.
    assert "connection test of payment provider account" in everything
    assert "FakePay refused the keys" in everything
    assert "(RuntimeError): adapter bug, key=sk_test_…1111" in everything
    assert any(r.name.startswith("sqlalchemy.engine") for r in captured.records)
    assert "INSERT INTO payment_providers" in everything
    assert "gAAAAA" in everything  # sealed secrets went by in SQL parameters and rows

    # 3. Nothing stored holds one; the scan read the rows (it finds the hints).
    stored = await assert_database_holds_no_secret(engine, backend)
    assert json.dumps("sk_test_…5678") in stored  # the hint, as JSON text
    assert "gAAAAA" in stored


async def _sealed_texts(engine: AsyncEngine) -> set[str]:
    """The sealed secrets as stored (plain SQL: the JSON column's text)."""
    async with engine.connect() as conn:
        rows = (await conn.execute(sa.text("SELECT secrets FROM payment_providers"))).all()
    stored = [json.loads(value) if isinstance(value, str) else value for (value,) in rows]
    return {sealed for secrets in stored for sealed in secrets.values()}


async def test_rotation_re_encrypts_with_the_new_key_and_leaves_no_old_ciphertext(
    uow: UnitOfWorkFactory,
    clock: FixedClock,
    admin: dict[str, str],
    engine: AsyncEngine,
    backend: str,
) -> None:
    old, new = generate_key(), generate_key()
    async with client(uow, clock, FernetSecretBox([old])) as http:
        for label, key in (("One", GOOD_KEY), ("Two", OTHER_GOOD_KEY)):
            created = await http.post(
                "/payment-providers",
                json={
                    "provider": "fakepay",
                    "label": label,
                    "credentials": {
                        "account": "acct_fake_1",
                        "secret_key": key,
                        "webhook_secret": WEBHOOK_SECRET,
                    },
                    "active": label == "One",
                },
                headers=admin,
            )
            assert created.status_code == 201, created.text
    before = await _sealed_texts(engine)
    assert len(before) == 4

    rotating = PaymentProviderService(uow, clock, SPECS, FernetSecretBox([new, old]))
    assert await rotating.do_rotate_secrets(ADMIN) == 2

    after = await _sealed_texts(engine)
    assert len(after) == 4
    stored = await assert_database_holds_no_secret(engine, backend)
    for ciphertext in before:
        assert ciphertext not in stored
    only_new = PaymentProviderService(uow, clock, SPECS, FernetSecretBox([new]))
    assert await only_new.check_stored_secrets() == 4
    provider = await only_new.active_provider()
    assert isinstance(provider, FakeProvider)
    assert provider.credentials["secret_key"] == GOOD_KEY
    assert provider.credentials["webhook_secret"] == WEBHOOK_SECRET
    async with client(uow, clock, FernetSecretBox([new])) as http:
        for account in (await http.get("/payment-providers", headers=admin)).json():
            assert account["rotated_at"] == "2025-03-01T12:00:00Z"
            tested = await http.post(f"/payment-providers/{account['id']}/test", headers=admin)
            assert tested.json()["ok"] is True, tested.text
            assert_no_secret(tested.text, "a connection test")
    with pytest.raises(SecretUnreadable):
        await PaymentProviderService(
            uow, clock, SPECS, FernetSecretBox([old])
        ).check_stored_secrets()
