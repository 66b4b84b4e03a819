"""The sandbox PSP as an ASGI application: its JSON API and its checkout pages.

API (``Authorization: Bearer sk_sandbox_...``; JSON bodies; amounts in minor units)::

    GET  /v1/account                      the account (a connection test)
    POST /v1/customers                    {external_id, email?, name?} → customer (one per
                                          external_id)
    POST /v1/setups                       {customer, return_url} → setup with action_url
    GET  /v1/setups/{id}
    POST /v1/payments                     {amount, currency, capture_method?: manual |
                                          automatic, customer?, method?, off_session?,
                                          return_url?, description?, metadata?} → payment
    GET  /v1/payments/{id}
    POST /v1/payments/{id}/capture        {amount, currency?} (≤ authorised, once)
    POST /v1/payments/{id}/void
    POST /v1/payments/{id}/refunds        {amount, currency?, reason?} → refund
    POST /v1/methods/{id}/detach          → method

Every POST honours an ``Idempotency-Key`` header: the same key with the same request
returns the stored answer (header ``Idempotent-Replayed: true``) and does nothing again;
the same key with another request is refused with 409 ``idempotency_key_reused``.

Pages (no API key; the token in the address is the secret)::

    GET  /                                what this is, the test cards
    GET  /checkout/{token}                card form, 3-D Secure challenge, or the outcome
    POST /checkout/{token}/card           number, expiry, cvc
    POST /checkout/{token}/challenge      code, action=confirm | cancel

When the checkout is over the browser is redirected (303) to the payment's ``return_url``.

The application's own lifespan starts and stops the :class:`~.psp.SandboxPsp`. Starlette
does not run the lifespan of a mounted application: a host that mounts it (Ampyre at
``/sandbox-psp``) calls ``app.psp.start()`` and ``app.psp.stop()`` from its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ampyre.payments.sandbox import checkout, operations, pages, transitions
from ampyre.payments.sandbox.cards import CardRefused
from ampyre.payments.sandbox.config import SandboxConfig
from ampyre.payments.sandbox.errors import SandboxError
from ampyre.payments.sandbox.objects import JsonObject
from ampyre.payments.sandbox.psp import Clock, SandboxPsp
from ampyre.payments.sandbox.txn import Tx

Body = dict[str, Any]
MAX_IDEMPOTENCY_KEY = 255
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}


class SandboxApp(Starlette):
    """The sandbox's ASGI application; :attr:`psp` is its state (start/stop, account)."""

    psp: SandboxPsp


def build_sandbox_app(config: SandboxConfig, *, clock: Clock | None = None) -> SandboxApp:
    """The sandbox PSP on its own storage (``config.database_url``); ``clock`` returns
    aware UTC datetimes (default: the system clock)."""
    psp = SandboxPsp(config, clock=clock)
    api = _Api(psp)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await psp.start()
        try:
            yield
        finally:
            await psp.stop()

    routes = [
        Route("/", api.index, methods=["GET"]),
        Route("/v1/account", api.account, methods=["GET"]),
        Route("/v1/customers", api.post(operations.create_customer), methods=["POST"]),
        Route("/v1/setups", api.post(operations.create_setup), methods=["POST"]),
        Route("/v1/setups/{id}", api.get(transitions.setup_json), methods=["GET"]),
        Route("/v1/payments", api.post(operations.create_payment), methods=["POST"]),
        Route("/v1/payments/{id}", api.get(transitions.payment_json), methods=["GET"]),
        Route("/v1/payments/{id}/capture", api.post(operations.capture_payment), methods=["POST"]),
        Route(
            "/v1/payments/{id}/void",
            api.post(_without_body(operations.void_payment)),
            methods=["POST"],
        ),
        Route("/v1/payments/{id}/refunds", api.post(operations.refund_payment), methods=["POST"]),
        Route(
            "/v1/methods/{id}/detach",
            api.post(_without_body(operations.detach_method)),
            methods=["POST"],
        ),
        Route("/checkout/{token}", api.checkout_page, methods=["GET"]),
        Route("/checkout/{token}/card", api.submit_card, methods=["POST"]),
        Route("/checkout/{token}/challenge", api.submit_challenge, methods=["POST"]),
    ]
    app = SandboxApp(routes=routes, lifespan=lifespan)
    app.psp = psp
    return app


def _without_body(
    operation: Callable[[Tx, str], Awaitable[JsonObject]],
) -> Callable[[Tx, str, Body], Awaitable[JsonObject]]:
    async def call(tx: Tx, object_id: str, body: Body) -> JsonObject:
        return await operation(tx, object_id)

    return call


def fingerprint(method: str, path: str, body: Body) -> str:
    """What makes two requests "the same request" for an idempotency key."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


class _Api:
    def __init__(self, psp: SandboxPsp) -> None:
        self.psp = psp

    def _base_url(self, request: Request) -> str:
        root = request.scope.get("root_path", "")
        return f"{request.url.scheme}://{request.url.netloc}{root}"

    def _refusal(self, request: Request) -> JSONResponse | None:
        """Why the API will not answer this request (not started, no or wrong key)."""
        if not self.psp.started:
            return _error(503, "not_started", "the sandbox PSP is not started")
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        expected = self.psp.account.api_key
        if scheme.lower() != "bearer" or not hmac.compare_digest(key.encode(), expected.encode()):
            return _error(401, "authentication_failed", "missing or wrong API key (Bearer sk_...)")
        return None

    async def _late(self) -> None:
        if self.psp.answer_delay_s > 0:
            await asyncio.sleep(self.psp.answer_delay_s)

    async def account(self, request: Request) -> Response:
        if (refusal := self._refusal(request)) is not None:
            return refusal
        return JSONResponse(await self.psp.run(operations.get_account))

    def get(
        self, operation: Callable[[Tx, str], Awaitable[JsonObject]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            if (refusal := self._refusal(request)) is not None:
                return refusal
            object_id = request.path_params["id"]
            try:
                view = await self.psp.run(
                    lambda tx: operation(tx, object_id), base_url=self._base_url(request)
                )
            except SandboxError as exc:
                return JSONResponse(exc.body(), status_code=exc.status)
            await self._late()
            return JSONResponse(view)

        return handle

    def post(
        self, operation: Callable[..., Awaitable[JsonObject]]
    ) -> Callable[[Request], Awaitable[Response]]:
        """A mutating endpoint: ``operation(tx, body)`` or ``operation(tx, id, body)``."""

        async def handle(request: Request) -> Response:
            if (refusal := self._refusal(request)) is not None:
                return refusal
            raw = await request.body()
            try:
                body = json.loads(raw) if raw.strip() else {}
            except ValueError:
                return _error(400, "invalid_json", "the body is not JSON")
            if not isinstance(body, dict):
                return _error(400, "invalid_json", "the body is a JSON object")
            args = [request.path_params["id"]] if "id" in request.path_params else []

            async def run(tx: Tx) -> JsonObject:
                return await operation(tx, *args, body)

            key = request.headers.get("idempotency-key")
            base_url = self._base_url(request)
            replayed = False
            try:
                if key is None:
                    answer = json.dumps(await self.psp.run(run, base_url=base_url))
                elif not 0 < len(key) <= MAX_IDEMPOTENCY_KEY:
                    return _error(400, "parameter_invalid", "Idempotency-Key is 1-255 characters")
                else:
                    print_ = fingerprint(request.method, request.url.path, body)
                    answer, replayed = await self.psp.run_idempotent(
                        key, print_, run, base_url=base_url
                    )
            except SandboxError as exc:
                return JSONResponse(exc.body(), status_code=exc.status)
            await self._late()
            headers = {"Idempotent-Replayed": "true"} if replayed else {}
            return Response(answer, media_type="application/json", headers=headers)

        return handle

    # --- pages ---------------------------------------------------------------------------

    def _page(self, html: str, status: int = 200) -> HTMLResponse:
        return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)

    def _page_path(self, request: Request, token: str, suffix: str = "") -> str:
        return f"{request.scope.get('root_path', '')}/checkout/{token}{suffix}"

    async def index(self, request: Request) -> Response:
        return self._page(pages.index_page())

    async def _find(self, request: Request) -> checkout.Checkout | HTMLResponse:
        if (unavailable := self._unavailable()) is not None:
            return unavailable
        token = request.path_params["token"]
        try:
            return await self.psp.run(
                lambda tx: checkout.find(tx, token), base_url=self._base_url(request)
            )
        except SandboxError:
            return self._page(
                pages.message_page("Not found", "This checkout page does not exist."), 404
            )

    async def checkout_page(self, request: Request, error: str | None = None) -> Response:
        found = await self._find(request)
        if isinstance(found, HTMLResponse):
            return found
        if found.needs_card:
            html = pages.card_page(
                found,
                action=self._page_path(request, found.token, "/card"),
                expiry_hint=checkout.card_expiry_hint(self.psp.now()),
                error=error,
            )
            return self._page(html, 400 if error else 200)
        if found.needs_challenge:
            action = self._page_path(request, found.token, "/challenge")
            return self._page(pages.challenge_page(found, action=action))
        return self._page(pages.finished_page(found))

    def _unavailable(self) -> HTMLResponse | None:
        if self.psp.started:
            return None
        return self._page(pages.message_page("Unavailable", "Not started."), 503)

    async def submit_card(self, request: Request) -> Response:
        if (unavailable := self._unavailable()) is not None:
            return unavailable
        form = await _form(request)
        token = request.path_params["token"]
        try:
            done = await self.psp.run(
                lambda tx: checkout.enter_card(
                    tx, token, form.get("number", ""), form.get("expiry", ""), form.get("cvc", "")
                ),
                base_url=self._base_url(request),
            )
        except CardRefused as exc:
            return await self.checkout_page(request, error=str(exc))
        except SandboxError:
            return await self.checkout_page(request)
        return self._after(request, done)

    async def submit_challenge(self, request: Request) -> Response:
        if (unavailable := self._unavailable()) is not None:
            return unavailable
        form = await _form(request)
        token = request.path_params["token"]
        cancel = form.get("action") == "cancel"
        try:
            done = await self.psp.run(
                lambda tx: checkout.answer_challenge(
                    tx, token, form.get("code", ""), cancel=cancel
                ),
                base_url=self._base_url(request),
            )
        except SandboxError:
            return await self.checkout_page(request)
        return self._after(request, done)

    def _after(self, request: Request, done: checkout.Checkout) -> Response:
        """Where the browser goes next: the challenge, or back to the merchant."""
        back = done.return_url()
        target = self._page_path(request, done.token) if done.needs_challenge else back
        return RedirectResponse(target, status_code=303, headers=PAGE_HEADERS)


async def _form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (the pages' forms send nothing else)."""
    raw = await request.body()
    return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
