"""A live sandbox PSP and a webhook receiver, each a real uvicorn server on loopback in this
process, helpers that fill in the sandbox's checkout pages without a browser, and the
fixtures (``sandbox``, ``sandbox_factory``, ``sandbox_clock``, ``sandbox_receiver``).

A test module imports the ``*_fixture`` functions it needs so that pytest finds them (as
``stripe_testkit.py`` does); this folder has no conftest.py.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from ampyre.domain.payments import MinorAmount
from ampyre.payments.sandbox import (
    DeliveryPolicy,
    SandboxApp,
    SandboxConfig,
    SandboxProvider,
    build_sandbox_app,
)
from ampyre.services.clock import FixedClock
from ampyre.services.payment_port import ProviderPayment

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
API_KEY = "sk_sandbox_test_0123456789"
WEBHOOK_SECRET = "whs_sandbox_test_0123456789"
EUR_50 = MinorAmount(5000, "EUR")
EXPIRY = "12/34"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Served:
    """An ASGI app served by uvicorn on 127.0.0.1 (its lifespan runs)."""

    url: str
    server: uvicorn.Server
    task: asyncio.Task[None]

    async def stop(self) -> None:
        self.server.should_exit = True
        await self.task


async def serve(app: ASGIApp, port: int | None = None) -> Served:
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", loop="asyncio")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("uvicorn stopped before it started")
        await asyncio.sleep(0.01)
    return Served(f"http://127.0.0.1:{port}", server, task)


async def eventually(check: Callable[[], bool], timeout_s: float = 10.0) -> None:
    """Wait until ``check()`` is true; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout_s} s")
        await asyncio.sleep(0.02)


@dataclass(frozen=True)
class Delivery:
    """One webhook request as the receiver got it: raw body and headers."""

    body: bytes
    headers: dict[str, str]

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class WebhookReceiver:
    """Ampyre's side, reduced to recording what arrives at ``/hook`` (answering 500 to the
    first ``fail_first`` requests) and a ``/return`` page for browsers coming back."""

    fail_first: int = 0
    deliveries: list[Delivery] = field(default_factory=list)
    refused: int = 0
    url: str = ""

    def app(self) -> Starlette:
        async def hook(request: Request) -> Response:
            if self.refused < self.fail_first:
                self.refused += 1
                return Response("try later", status_code=500)
            self.deliveries.append(Delivery(await request.body(), dict(request.headers)))
            return Response(status_code=204)

        async def back(request: Request) -> Response:
            return HTMLResponse("<h1 id='merchant'>Back at the merchant</h1>")

        return Starlette(routes=[Route("/hook", hook, methods=["POST"]), Route("/return", back)])

    @property
    def hook_url(self) -> str:
        return f"{self.url}/hook"

    @property
    def return_url(self) -> str:
        return f"{self.url}/return?order=42"

    def event_ids(self) -> list[str]:
        return [delivery.event["id"] for delivery in self.deliveries]

    def of_type(self, event_type: str) -> list[dict[str, Any]]:
        return [d.event for d in self.deliveries if d.event["type"] == event_type]


@dataclass
class Sandbox:
    """A running sandbox PSP, the adapter pointed at it, and its clock."""

    url: str
    app: SandboxApp
    provider: SandboxProvider
    clock: FixedClock
    receiver: WebhookReceiver
    served: Served

    async def checkout(self, payment: ProviderPayment) -> None:
        """Pay ``payment`` on its checkout page with the always-succeeding test card."""
        assert payment.action_url is not None
        response = await submit_card(payment.action_url, "4242 4242 4242 4242")
        assert response.status_code == 303, response.text

    async def authorised(self, amount: MinorAmount = EUR_50, key: str = "authorise:s1") -> str:
        """An AUTHORIZED payment's reference (paid on the checkout page)."""
        payment = await self.provider.authorise(
            amount,
            provider_customer=None,
            method=None,
            return_url=self.receiver.return_url,
            description="Charging session s1",
            idempotency_key=key,
            metadata={"session": "s1"},
        )
        await self.checkout(payment)
        return payment.reference


SandboxFactory = Callable[..., Awaitable[Sandbox]]
"""Starts a sandbox with SandboxConfig overrides (the ``sandbox_factory`` fixture)."""


async def submit_card(
    action_url: str, number: str, expiry: str = EXPIRY, cvc: str = "123"
) -> httpx.Response:
    """Post the card form of a checkout page (the browser's redirect is not followed)."""
    async with httpx.AsyncClient() as http:
        return await http.post(
            f"{action_url}/card", data={"number": number, "expiry": expiry, "cvc": cvc}
        )


async def answer_challenge(action_url: str, code: str, *, cancel: bool = False) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.post(
            f"{action_url}/challenge",
            data={"code": code, "action": "cancel" if cancel else "confirm"},
        )


async def start_sandbox(
    database: Path,
    clock: FixedClock,
    receiver: WebhookReceiver,
    *,
    provider_timeout_s: float = 10.0,
    **overrides: Any,
) -> Sandbox:
    """A sandbox on the SQLite file ``database`` posting webhooks to ``receiver``, with
    :class:`SandboxConfig` ``overrides``; stop it with ``sandbox.served.stop()``."""
    settings: dict[str, Any] = {
        "database_url": f"sqlite+aiosqlite:///{database}",
        "api_key": API_KEY,
        "webhook_secret": WEBHOOK_SECRET,
        "webhook_url": receiver.hook_url,
        "delivery": DeliveryPolicy(timeout_s=2.0, retry_base_s=0.05, retry_max_s=0.2),
    }
    app = build_sandbox_app(SandboxConfig(**(settings | overrides)), clock=clock.now)
    served = await serve(app)
    provider = SandboxProvider(
        served.url, API_KEY, WEBHOOK_SECRET, clock=clock.now, timeout_s=provider_timeout_s
    )
    return Sandbox(served.url, app, provider, clock, receiver, served)


@pytest.fixture(name="sandbox_clock")
def sandbox_clock_fixture() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture(name="sandbox_receiver")
async def sandbox_receiver_fixture() -> AsyncIterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    served = await serve(receiver.app())
    receiver.url = served.url
    yield receiver
    await served.stop()


@pytest.fixture(name="sandbox_factory")
async def sandbox_factory_fixture(
    tmp_path: Path, sandbox_clock: FixedClock, sandbox_receiver: WebhookReceiver
) -> AsyncIterator[SandboxFactory]:
    """Start sandboxes on ``tmp_path/sandbox-psp.db`` (a second one is the same sandbox
    after a restart) with SandboxConfig overrides; all are stopped after the test."""
    running: list[Sandbox] = []

    async def start(**overrides: Any) -> Sandbox:
        sandbox = await start_sandbox(
            tmp_path / "sandbox-psp.db", sandbox_clock, sandbox_receiver, **overrides
        )
        running.append(sandbox)
        return sandbox

    yield start
    for sandbox in running:
        if not sandbox.served.task.done():
            await sandbox.served.stop()


@pytest.fixture(name="sandbox")
async def sandbox_fixture(sandbox_factory: SandboxFactory) -> Sandbox:
    return await sandbox_factory()
