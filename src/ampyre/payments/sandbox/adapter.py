"""The sandbox PSP behind Ampyre's payment port: :class:`SandboxProvider` and :data:`SPEC`.

It calls the sandbox's JSON API over HTTP (:mod:`.server`) exactly as an adapter calls a
real provider: the API key as a Bearer token, the caller's idempotency key in the
``Idempotency-Key`` header, a timeout. No answer (timeout, connection refused, 5xx, 429) →
:class:`PaymentProviderUnavailable` (the outcome is unknown: ask again or retry with the
same key); any other 4xx → :class:`PaymentProviderRejected`. A declined card is an answer:
the payment comes back DECLINED with the reason.

How sandbox states map to Ampyre's is in :mod:`.mapping`.
"""

from __future__ import annotations

import functools
import json
import ssl
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from ampyre.domain.errors import ValidationFailed
from ampyre.domain.payments import MinorAmount, idempotency_key
from ampyre.payments.sandbox.config import API_KEY_PREFIX, WEBHOOK_SECRET_PREFIX
from ampyre.payments.sandbox.mapping import to_payment, to_setup
from ampyre.payments.sandbox.webhooks import SIGNATURE_HEADER, SignatureMismatch, verify
from ampyre.services.payment_port import (
    ConnectionCheck,
    CredentialField,
    InvalidWebhook,
    PaymentProvider,
    PaymentProviderRejected,
    PaymentProviderUnavailable,
    ProviderPayment,
    ProviderRefund,
    ProviderSetup,
    ProviderSpec,
    WebhookEvent,
)

NAME = "sandbox"
DEFAULT_TIMEOUT_S = 10.0


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every call (building one per client costs milliseconds)."""
    return httpx.create_ssl_context()


class SandboxProvider:
    """One sandbox account: ``base_url`` where the sandbox is served (e.g.
    ``http://127.0.0.1:8180/sandbox-psp``), its API key and webhook secret. ``clock`` (aware
    UTC datetimes) is what webhook timestamps are checked against; ``transport`` replaces
    the network (tests)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        webhook_secret: str,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        clock: Callable[[], datetime] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._webhook_secret = webhook_secret
        self._timeout_s = timeout_s
        self._clock = clock or (lambda: datetime.now(UTC))
        self._transport = transport

    @property
    def name(self) -> str:
        return NAME

    async def _call(
        self, method: str, path: str, *, body: Mapping[str, Any] | None = None, key: str | None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self._api_key}", "User-Agent": "Ampyre"}
        if key is not None:
            headers["Idempotency-Key"] = key
        what = f"{method} {path}"
        try:
            async with httpx.AsyncClient(
                base_url=self._base_url,
                timeout=self._timeout_s,
                transport=self._transport,
                verify=_tls(),
                trust_env=False,  # straight to the sandbox, never through an env proxy
            ) as client:
                response = await client.request(method, path, json=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise PaymentProviderUnavailable(f"the sandbox PSP timed out on {what}") from exc
        except httpx.HTTPError as exc:
            raise PaymentProviderUnavailable(
                f"the sandbox PSP could not be reached for {what}: {type(exc).__name__}"
            ) from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise PaymentProviderUnavailable(
                f"the sandbox PSP answered {what} with HTTP {response.status_code}"
            )
        try:
            answer = response.json()
        except ValueError as exc:
            raise PaymentProviderUnavailable(
                f"the sandbox PSP's answer to {what} is not JSON"
            ) from exc
        if response.status_code >= 400:
            error = answer.get("error", {}) if isinstance(answer, dict) else {}
            raise PaymentProviderRejected(
                f"the sandbox PSP refused {what} (HTTP {response.status_code} "
                f"{error.get('code', '?')}): {error.get('message', '')}"
            )
        if not isinstance(answer, dict):
            raise PaymentProviderUnavailable(f"the sandbox PSP's answer to {what} is not an object")
        return answer

    def _payment(self, obj: Mapping[str, Any]) -> ProviderPayment:
        try:
            return to_payment(obj)
        except (KeyError, TypeError, ValueError) as exc:
            raise PaymentProviderUnavailable(
                f"unexpected payment from the sandbox PSP: {exc}"
            ) from exc

    def _setup(self, obj: Mapping[str, Any]) -> ProviderSetup:
        try:
            return to_setup(obj)
        except (KeyError, TypeError, ValueError) as exc:
            raise PaymentProviderUnavailable(
                f"unexpected setup from the sandbox PSP: {exc}"
            ) from exc

    async def ensure_customer(
        self, customer_id: str, *, email: str | None, name: str, idempotency_key: str
    ) -> str:
        body = {"external_id": customer_id, "email": email, "name": name}
        answer = await self._call("POST", "/v1/customers", body=body, key=idempotency_key)
        return str(answer["id"])

    async def set_up_method(
        self, provider_customer: str, *, return_url: str, idempotency_key: str
    ) -> ProviderSetup:
        body = {"customer": provider_customer, "return_url": return_url}
        return self._setup(await self._call("POST", "/v1/setups", body=body, key=idempotency_key))

    async def get_setup(self, reference: str) -> ProviderSetup:
        return self._setup(await self._call("GET", f"/v1/setups/{reference}", key=None))

    async def authorise(
        self,
        amount: MinorAmount,
        *,
        provider_customer: str | None,
        method: str | None,
        return_url: str,
        description: str,
        idempotency_key: str,
        metadata: Mapping[str, str],
    ) -> ProviderPayment:
        body = {
            "amount": amount.value,
            "currency": amount.currency,
            "capture_method": "manual",
            "customer": provider_customer,
            "method": method,
            "return_url": return_url,
            "description": description,
            "metadata": dict(metadata),
        }
        return self._payment(
            await self._call("POST", "/v1/payments", body=body, key=idempotency_key)
        )

    async def capture(
        self, reference: str, amount: MinorAmount, *, idempotency_key: str
    ) -> ProviderPayment:
        body = {"amount": amount.value, "currency": amount.currency}
        path = f"/v1/payments/{reference}/capture"
        return self._payment(await self._call("POST", path, body=body, key=idempotency_key))

    async def void(self, reference: str, *, idempotency_key: str) -> ProviderPayment:
        path = f"/v1/payments/{reference}/void"
        return self._payment(await self._call("POST", path, body={}, key=idempotency_key))

    async def charge(
        self,
        amount: MinorAmount,
        *,
        provider_customer: str,
        method: str,
        description: str,
        idempotency_key: str,
        metadata: Mapping[str, str],
    ) -> ProviderPayment:
        body = {
            "amount": amount.value,
            "currency": amount.currency,
            "capture_method": "automatic",
            "off_session": True,
            "customer": provider_customer,
            "method": method,
            "description": description,
            "metadata": dict(metadata),
        }
        return self._payment(
            await self._call("POST", "/v1/payments", body=body, key=idempotency_key)
        )

    async def refund(
        self, reference: str, amount: MinorAmount, *, reason: str, idempotency_key: str
    ) -> ProviderRefund:
        body = {"amount": amount.value, "currency": amount.currency, "reason": reason}
        path = f"/v1/payments/{reference}/refunds"
        answer = await self._call("POST", path, body=body, key=idempotency_key)
        try:
            return ProviderRefund(
                reference=str(answer["id"]),
                payment_reference=str(answer["payment"]),
                amount=MinorAmount(int(answer["amount"]), str(answer["currency"])),
                succeeded=answer["status"] == "succeeded",
                failure_message=None if answer["status"] == "succeeded" else answer["status"],
                raw=answer,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PaymentProviderUnavailable(
                f"unexpected refund from the sandbox PSP: {exc}"
            ) from exc

    async def get_payment(self, reference: str) -> ProviderPayment:
        return self._payment(await self._call("GET", f"/v1/payments/{reference}", key=None))

    async def detach_method(self, method: str) -> None:
        path = f"/v1/methods/{method}/detach"
        await self._call("POST", path, body={}, key=idempotency_key("detach", method))

    def parse_webhook(self, raw_body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        header = next(
            (value for name, value in headers.items() if name.lower() == SIGNATURE_HEADER.lower()),
            None,
        )
        try:
            verify(raw_body, header, self._webhook_secret, now=self._clock())
        except SignatureMismatch as exc:
            raise InvalidWebhook(f"sandbox webhook refused: {exc}") from exc
        try:
            event = json.loads(raw_body)
            obj = event["data"]["object"]
            kind = obj["object"]
            return WebhookEvent(
                provider=NAME,
                event_id=str(event["id"]),
                type=str(event["type"]),
                occurred_at=datetime.fromtimestamp(int(event["created"]), UTC),
                payment=to_payment(obj) if kind == "payment" else None,
                setup=to_setup(obj) if kind == "setup" else None,
                raw=event,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidWebhook(f"sandbox webhook cannot be read: {exc}") from exc

    async def check_connection(self) -> ConnectionCheck:
        try:
            account = await self._call("GET", "/v1/account", key=None)
        except PaymentProviderRejected as exc:
            return ConnectionCheck(ok=False, message=exc.message, test_mode=True)
        except PaymentProviderUnavailable as exc:
            return ConnectionCheck(ok=False, message=exc.message, test_mode=True)
        return ConnectionCheck(
            ok=True,
            message=f"sandbox account {account.get('id')} reachable at {self._base_url}, test mode",
            test_mode=True,
        )


def sandbox_spec(
    *, clock: Callable[[], datetime] | None = None, timeout_s: float = DEFAULT_TIMEOUT_S
) -> ProviderSpec:
    """The sandbox's :class:`ProviderSpec`, its providers checking webhook timestamps
    against ``clock`` (give Ampyre's clock when it is simulated; default: the system's)."""

    def from_credentials(credentials: Mapping[str, str]) -> PaymentProvider:
        base_url = credentials.get("base_url", "")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValidationFailed("base_url must be the sandbox's http(s) address")
        api_key = credentials.get("api_key", "")
        if not api_key.startswith(API_KEY_PREFIX):
            raise ValidationFailed(f"a sandbox API key starts with {API_KEY_PREFIX!r}")
        secret = credentials.get("webhook_secret", "")
        if not secret.startswith(WEBHOOK_SECRET_PREFIX):
            raise ValidationFailed(
                f"a sandbox webhook secret starts with {WEBHOOK_SECRET_PREFIX!r}"
            )
        return SandboxProvider(base_url, api_key, secret, timeout_s=timeout_s, clock=clock)

    return ProviderSpec(
        name=NAME,
        label="Sandbox (built in, test mode — no real money)",
        fields=(
            CredentialField(
                "base_url",
                secret=False,
                description="Where the sandbox is served, e.g. http://127.0.0.1:8180/sandbox-psp",
            ),
            CredentialField("api_key", secret=True, description="Secret API key, sk_sandbox_..."),
            CredentialField(
                "webhook_secret",
                secret=True,
                description="Signs the sandbox's webhooks, whs_sandbox_...",
            ),
        ),
        factory=from_credentials,
        test_only=True,
    )


SPEC = sandbox_spec()
"""The sandbox provider: test only, refused in a production configuration."""
