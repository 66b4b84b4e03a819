"""The sandbox adapter's error mapping (no answer, late answer, refusals, garbage), its
ProviderSpec, the sandbox's raw HTTP API (keys, idempotency replays, bad requests), its
account keys, and the sandbox mounted inside a host application as Ampyre mounts it."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sandbox_testkit import (  # noqa: F401 - pytest finds the *_fixture functions through these imports
    API_KEY,
    EUR_50,
    WEBHOOK_SECRET,
    Sandbox,
    SandboxFactory,
    WebhookReceiver,
    answer_challenge,
    eventually,
    free_port,
    sandbox_clock_fixture,
    sandbox_factory_fixture,
    sandbox_fixture,
    sandbox_receiver_fixture,
    serve,
    submit_card,
)
from starlette.applications import Starlette
from starlette.routing import Mount

from ampyre.domain.errors import ValidationFailed
from ampyre.domain.payments import MinorAmount, PaymentState
from ampyre.payments.sandbox import SPEC, SandboxConfig, SandboxProvider, build_sandbox_app
from ampyre.services.clock import FixedClock
from ampyre.services.payment_port import PaymentProviderRejected, PaymentProviderUnavailable

CREDENTIALS = {"api_key": API_KEY, "webhook_secret": WEBHOOK_SECRET}


def _mocked(handler: httpx.MockTransport) -> SandboxProvider:
    return SandboxProvider("http://sandbox.test", API_KEY, WEBHOOK_SECRET, transport=handler)


async def test_no_answer_is_unavailable() -> None:
    nobody = SandboxProvider(f"http://127.0.0.1:{free_port()}", API_KEY, WEBHOOK_SECRET)
    with pytest.raises(PaymentProviderUnavailable, match="could not be reached"):
        await nobody.get_payment("pay_sandbox_1")
    check = await nobody.check_connection()
    assert not check.ok
    assert "could not be reached" in check.message


async def test_a_late_answer_is_unavailable_and_the_retry_is_the_same_call(
    sandbox_factory: SandboxFactory,
) -> None:
    sandbox = await sandbox_factory()
    reference = await sandbox.authorised()
    impatient = SandboxProvider(sandbox.url, API_KEY, WEBHOOK_SECRET, timeout_s=0.2)
    sandbox.app.psp.answer_delay_s = 0.6
    with pytest.raises(PaymentProviderUnavailable, match="timed out"):
        await impatient.capture(reference, EUR_50, idempotency_key="capture:s1")
    sandbox.app.psp.answer_delay_s = 0.0
    retried = await impatient.capture(reference, EUR_50, idempotency_key="capture:s1")
    assert (retried.state, retried.captured) == (PaymentState.CAPTURED, EUR_50)
    await sandbox.app.psp.webhooks_idle()
    assert len(sandbox.receiver.of_type("payment.captured")) == 1


@pytest.mark.parametrize(
    ("status", "body", "error", "match"),
    [
        (500, b'{"error": {}}', PaymentProviderUnavailable, "HTTP 500"),
        (429, b"{}", PaymentProviderUnavailable, "HTTP 429"),
        (200, b"<html>", PaymentProviderUnavailable, "not JSON"),
        (200, b"[1]", PaymentProviderUnavailable, "not an object"),
        (200, b'{"id": "pay_1", "status": "teleported"}', PaymentProviderUnavailable, "unexpected"),
        (
            400,
            b'{"error": {"code": "amount_invalid", "message": "no"}}',
            PaymentProviderRejected,
            "HTTP 400 amount_invalid",
        ),
    ],
)
async def test_answers_are_mapped_to_port_errors(
    status: int, body: bytes, error: type[Exception], match: str
) -> None:
    provider = _mocked(httpx.MockTransport(lambda request: httpx.Response(status, content=body)))
    with pytest.raises(error, match=match):
        await provider.get_payment("pay_1")


async def test_the_adapter_sends_key_and_idempotency_key() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "cus_sandbox_1"})

    provider = _mocked(httpx.MockTransport(answer))
    reference = await provider.ensure_customer(
        "c1", email="a@b.pl", name="A", idempotency_key="customer:c1"
    )
    assert reference == "cus_sandbox_1"
    request = seen[0]
    assert str(request.url) == "http://sandbox.test/v1/customers"
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.headers["idempotency-key"] == "customer:c1"
    assert json.loads(request.content) == {"external_id": "c1", "email": "a@b.pl", "name": "A"}


async def test_the_spec_builds_a_working_provider(sandbox: Sandbox) -> None:
    assert SPEC.name == "sandbox"
    assert SPEC.test_only
    assert "test mode" in SPEC.label
    assert {(f.name, f.secret) for f in SPEC.fields} == {
        ("base_url", False),
        ("api_key", True),
        ("webhook_secret", True),
    }
    provider = SPEC.factory({"base_url": sandbox.url, **CREDENTIALS})
    assert provider.name == "sandbox"
    assert (await provider.check_connection()).ok


@pytest.mark.parametrize(
    ("credentials", "match"),
    [
        ({"base_url": "ftp://x", **CREDENTIALS}, "base_url"),
        (
            {"base_url": "http://x", "api_key": "sk_live_1", "webhook_secret": "whs_sandbox_1"},
            "API",
        ),
        ({"base_url": "http://x", "api_key": "sk_sandbox_1", "webhook_secret": "whsec_1"}, "web"),
    ],
)
def test_the_spec_refuses_settings_that_cannot_be_right(
    credentials: dict[str, str], match: str
) -> None:
    with pytest.raises(ValidationFailed, match=match):
        SPEC.factory(credentials)


async def test_the_raw_api(sandbox: Sandbox) -> None:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    body = {"amount": 1000, "currency": "EUR", "return_url": "https://shop.test/back"}
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        assert (await http.post("/v1/payments", json=body)).status_code == 401
        wrong = await http.post("/v1/payments", json=body, headers={"Authorization": "Bearer x"})
        assert wrong.json()["error"]["code"] == "authentication_failed"

        keyed = headers | {"Idempotency-Key": "authorise:raw"}
        first = await http.post("/v1/payments", json=body, headers=keyed)
        replay = await http.post("/v1/payments", json=body, headers=keyed)
        assert first.status_code == replay.status_code == 200
        assert "idempotent-replayed" not in first.headers
        assert replay.headers["idempotent-replayed"] == "true"
        assert replay.json() == first.json()
        other = await http.post("/v1/payments", json=body | {"amount": 1}, headers=keyed)
        assert (other.status_code, other.json()["error"]["code"]) == (409, "idempotency_key_reused")

        bad_json = await http.post("/v1/payments", content=b"{", headers=headers)
        assert (bad_json.status_code, bad_json.json()["error"]["code"]) == (400, "invalid_json")
        long_key = await http.post(
            "/v1/payments", json=body, headers=headers | {"Idempotency-Key": "k" * 256}
        )
        assert long_key.status_code == 400
        for wrong_amount in (0, 10.5, "10", True, None):
            answer = await http.post(
                "/v1/payments", json=body | {"amount": wrong_amount}, headers=headers
            )
            assert answer.status_code == 400, wrong_amount
        bad_url = await http.post(
            "/v1/payments", json=body | {"return_url": "javascript:alert(1)"}, headers=headers
        )
        assert bad_url.status_code == 400
        account = await http.get("/v1/account", headers=headers)
        assert account.json()["livemode"] is False
    payment = first.json()
    assert payment["status"] == "requires_payment_method"
    assert payment["livemode"] is False


async def test_keys_are_generated_once_and_kept(
    tmp_path: Path, sandbox_clock: FixedClock, sandbox_receiver: WebhookReceiver
) -> None:
    config = SandboxConfig(database_url=f"sqlite+aiosqlite:///{tmp_path / 'keys.db'}")
    first = build_sandbox_app(config, clock=sandbox_clock.now)
    await first.psp.start()
    account = first.psp.account
    await first.psp.stop()
    assert account.api_key.startswith("sk_sandbox_")
    assert account.webhook_secret.startswith("whs_sandbox_")
    again = build_sandbox_app(config, clock=sandbox_clock.now)
    await again.psp.start()
    try:
        assert again.psp.account == account
    finally:
        await again.psp.stop()
    with pytest.raises(ValueError, match="sk_sandbox_"):
        SandboxConfig(api_key="sk_live_123")


@contextlib.asynccontextmanager
async def _host_with_sandbox_mounted(
    tmp_path: Path, clock: FixedClock, receiver: WebhookReceiver
) -> AsyncIterator[str]:
    """A host app mounting the sandbox at /sandbox-psp and starting it from its own
    lifespan — the wiring Ampyre's main.py does."""
    sandbox = build_sandbox_app(
        SandboxConfig(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'mounted.db'}",
            api_key=API_KEY,
            webhook_secret=WEBHOOK_SECRET,
            webhook_url=receiver.hook_url,
        ),
        clock=clock.now,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await sandbox.psp.start()
        try:
            yield
        finally:
            await sandbox.psp.stop()

    served = await serve(Starlette(routes=[Mount("/sandbox-psp", app=sandbox)], lifespan=lifespan))
    try:
        yield f"{served.url}/sandbox-psp"
    finally:
        await served.stop()


async def test_mounted_at_a_path_inside_a_host(
    tmp_path: Path, sandbox_clock: FixedClock, sandbox_receiver: WebhookReceiver
) -> None:
    async with _host_with_sandbox_mounted(tmp_path, sandbox_clock, sandbox_receiver) as base_url:
        provider = SPEC.factory({"base_url": base_url, **CREDENTIALS})
        assert (await provider.check_connection()).ok
        payment = await provider.authorise(
            MinorAmount(700, "PLN"),
            provider_customer=None,
            method=None,
            return_url=sandbox_receiver.return_url,
            description="mounted",
            idempotency_key="authorise:m",
            metadata={},
        )
        assert payment.action_url is not None
        assert payment.action_url.startswith(f"{base_url}/checkout/")
        async with httpx.AsyncClient() as browser:
            page = await browser.get(payment.action_url)
        assert 'action="/sandbox-psp/checkout/' in page.text
        assert "7.00 PLN" in page.text
        response = await submit_card(payment.action_url, "4000 0027 6000 3184")
        assert response.headers["location"].startswith("/sandbox-psp/checkout/")
        assert (await provider.get_payment(payment.reference)).state is PaymentState.REQUIRES_ACTION
        back = await answer_challenge(payment.action_url, "1234")
        assert back.headers["location"].startswith(sandbox_receiver.return_url)
        assert (await provider.get_payment(payment.reference)).state is PaymentState.AUTHORIZED
        await eventually(lambda: bool(sandbox_receiver.of_type("payment.authorized")))
