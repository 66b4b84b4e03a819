"""Stripe as an Ampyre payment provider, on the official ``stripe`` package (async calls).

One :class:`StripeProvider` is one Stripe account: its own ``stripe.StripeClient`` over
HTTPX, never the package's global ``stripe.api_key``. Every call that changes something
passes the caller's idempotency key as Stripe's Idempotency-Key, so the SDK's own retries
and Ampyre's retries after a timeout are the same request to Stripe.

How the port maps onto Stripe:

- **authorise** is a PaymentIntent with ``capture_method="manual"``, cards only. With a
  saved method it is confirmed at once with the customer present (``return_url`` given):
  an issuer that wants 3-D Secure gives REQUIRES_ACTION with ``action_url`` =
  ``next_action.redirect_to_url.url``, Stripe's challenge page, which sends the customer
  back to ``return_url``. Without a method Stripe has no page of its own for a bare
  PaymentIntent (a Checkout Session creates its PaymentIntent only when the customer pays,
  so its reference could not be the PaymentIntent id the port promises): the intent is left
  unconfirmed and ``action_url`` is ``return_url`` with Stripe's return parameters
  ``payment_intent`` and ``payment_intent_client_secret`` added — the ones Stripe adds when
  it sends a customer back. The page there confirms the intent with Stripe.js and the
  publishable key. A PaymentIntent whose attempt failed is DECLINED for Ampyre, so that page
  starts a new payment instead of retrying the same intent.
- **capture** uses ``amount_to_capture`` (partial capture; Stripe releases the rest),
  **void** cancels the intent.
- **charge** (merchant-initiated) is a PaymentIntent with ``off_session=True``,
  ``confirm=True`` and automatic capture on the saved method.
- **set_up_method** is a SetupIntent with ``usage="off_session"``; like authorise without a
  method, its ``action_url`` is ``return_url`` with ``setup_intent`` and
  ``setup_intent_client_secret`` added.
- A card declined by the issuer (Stripe's ``CardError``, HTTP 402) is not an error: the
  payment comes back DECLINED, from the PaymentIntent the error carries.
- Network errors, timeouts, 5xx, rate limits and idempotency conflicts (409) raise
  :class:`PaymentProviderUnavailable` (the outcome is unknown); a refused key or a request
  Stripe will not do raises :class:`PaymentProviderRejected`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Mapping
from dataclasses import replace
from typing import TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import stripe
from stripe.params import (
    CustomerCreateParams,
    PaymentIntentCreateParams,
    RefundCreateParams,
)

from ampyre.domain.errors import DomainError, ValidationFailed
from ampyre.domain.payments import MinorAmount, PaymentState
from ampyre.payments.stripe_mapping import (
    PROVIDER_NAME,
    JsonObject,
    event_from_object,
    payment_from_intent,
    refund_from_object,
    scrub,
    setup_from_intent,
)
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

SIGNATURE_HEADER = "Stripe-Signature"
WEBHOOK_TOLERANCE_S = 300
"""A signed webhook older than this is refused (Stripe's default; replays of old events)."""

SECRET_KEY_PREFIXES = ("sk_test_", "sk_live_", "rk_")
_TEST_KEY_PREFIXES = ("sk_test_", "rk_test_")
_METADATA_VALUE_LIMIT = 500
_PAYMENT_EXPANSIONS = ["latest_charge", "payment_method"]
"""Expanded on every PaymentIntent call: the charge has the refunds and the authorisation's
expiry, the method the card to show."""

_T = TypeVar("_T")


def _is_test_key(secret_key: str) -> bool:
    return secret_key.startswith(_TEST_KEY_PREFIXES)


def check_credentials(secret_key: str, webhook_secret: str, publishable_key: str | None) -> None:
    """``ValidationFailed`` when a key cannot be a Stripe key of the right kind, or the
    publishable key belongs to the other mode. The messages never quote a key."""
    if not secret_key.startswith(SECRET_KEY_PREFIXES):
        raise ValidationFailed(
            "a Stripe secret key starts with sk_test_ or sk_live_ (restricted keys: rk_)"
        )
    if not webhook_secret.startswith("whsec_"):
        raise ValidationFailed("a Stripe webhook signing secret starts with whsec_")
    if publishable_key is not None:
        if not publishable_key.startswith(("pk_test_", "pk_live_")):
            raise ValidationFailed("a Stripe publishable key starts with pk_test_ or pk_live_")
        if publishable_key.startswith("pk_test_") != _is_test_key(secret_key):
            raise ValidationFailed(
                "the publishable key and the secret key belong to different modes (test/live)"
            )


def _options(idempotency_key: str) -> stripe.RequestOptions:
    return {"idempotency_key": idempotency_key}


def _with_query(url: str, extra: Mapping[str, str]) -> str:
    """``url`` with ``extra`` added to its query string (existing parameters kept)."""
    parts = urlsplit(url)
    query = [*parse_qsl(parts.query, keep_blank_values=True), *extra.items()]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _card_page(return_url: str, kind: str, intent: JsonObject) -> str:
    """Where the customer enters a card for an unconfirmed ``kind`` ("payment_intent",
    "setup_intent"): ``return_url`` with Stripe's own return parameters."""
    extra = {kind: str(intent["id"])}
    secret = intent.get("client_secret")
    if isinstance(secret, str):
        extra[f"{kind}_client_secret"] = secret
    return _with_query(return_url, extra)


def _message(error: stripe.StripeError) -> str:
    text = error.user_message or type(error).__name__
    return " ".join(str(text).split())


def _translate(error: stripe.StripeError, operation: str) -> DomainError:
    """The port error for a Stripe error raised while doing ``operation``."""
    unknown_outcome = isinstance(
        error, stripe.APIConnectionError | stripe.APIError | stripe.RateLimitError
    ) or (error.http_status is not None and error.http_status >= 500)
    if unknown_outcome:
        return PaymentProviderUnavailable(
            f"Stripe did not answer ({operation}): {_message(error)}; the outcome is unknown"
        )
    return PaymentProviderRejected(f"Stripe refused to {operation}: {_message(error)}")


def _declined(error: stripe.CardError, operation: str) -> ProviderPayment:
    """The DECLINED payment of a card error: Stripe returns the PaymentIntent with it."""
    body = error.json_body if isinstance(error.json_body, Mapping) else {}
    details = body.get("error")
    intent = details.get("payment_intent") if isinstance(details, Mapping) else None
    if not isinstance(details, Mapping) or not isinstance(intent, Mapping):
        raise PaymentProviderRejected(
            f"Stripe declined the card ({operation}) without naming the payment: {_message(error)}"
        )
    payment = payment_from_intent(intent, declined=details)
    return replace(payment, raw=scrub(details))


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


class StripeProvider:
    """One Stripe account. ``api_base`` replaces https://api.stripe.com (tests point it at
    a replay server); ``timeout_s`` bounds each HTTP request, and the SDK retries a failed
    one ``max_network_retries`` times with the same idempotency key."""

    def __init__(
        self,
        *,
        secret_key: str,
        webhook_secret: str,
        publishable_key: str | None = None,
        api_base: str | None = None,
        timeout_s: float = 30.0,
        max_network_retries: int = 2,
    ) -> None:
        check_credentials(secret_key, webhook_secret, publishable_key)
        self._test_mode = _is_test_key(secret_key)
        self._webhook_secret = webhook_secret
        self.publishable_key = publishable_key
        self._http = stripe.HTTPXClient(timeout=timeout_s)
        client = stripe.StripeClient(
            secret_key,
            http_client=self._http,
            max_network_retries=max_network_retries,
            base_addresses={"api": api_base} if api_base else None,
        )
        self._v1 = client.v1

    def __repr__(self) -> str:
        return f"StripeProvider({'test' if self._test_mode else 'live'} mode)"

    @property
    def name(self) -> str:
        return PROVIDER_NAME

    @property
    def test_mode(self) -> bool:
        """Whether the secret key is a test-mode key (sk_test_/rk_test_)."""
        return self._test_mode

    async def aclose(self) -> None:
        """Close the HTTP connections (the provider is unusable afterwards)."""
        # stripe's HTTPXClient.close_async has no annotations; it closes its httpx client.
        await self._http.close_async()  # type: ignore[no-untyped-call]

    async def _request(self, operation: str, call: Awaitable[_T]) -> _T:
        try:
            return await call
        except stripe.StripeError as error:
            raise _translate(error, operation) from error

    async def ensure_customer(
        self, customer_id: str, *, email: str | None, name: str, idempotency_key: str
    ) -> str:
        """Create the Stripe customer (metadata ``ampyre_customer_id``). Ampyre keeps the
        reference; a repeated call with the same key returns the same customer."""
        params: CustomerCreateParams = {
            "name": name,
            "metadata": {"ampyre_customer_id": customer_id},
        }
        if email:
            params["email"] = email
        customer = await self._request(
            "create the customer",
            self._v1.customers.create_async(params, _options(idempotency_key)),
        )
        return customer.id

    async def set_up_method(
        self, provider_customer: str, *, return_url: str, idempotency_key: str
    ) -> ProviderSetup:
        intent = await self._request(
            "start saving a card",
            self._v1.setup_intents.create_async(
                {
                    "customer": provider_customer,
                    "usage": "off_session",
                    "allowed_payment_method_types": ["card"],
                    "expand": ["payment_method"],
                },
                _options(idempotency_key),
            ),
        )
        data = intent.to_dict()
        setup = setup_from_intent(data)
        if setup.state is PaymentState.REQUIRES_ACTION and setup.action_url is None:
            setup = replace(setup, action_url=_card_page(return_url, "setup_intent", data))
        return setup

    async def get_setup(self, reference: str) -> ProviderSetup:
        intent = await self._request(
            f"look up the card setup {reference}",
            self._v1.setup_intents.retrieve_async(reference, {"expand": ["payment_method"]}),
        )
        return setup_from_intent(intent.to_dict())

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
        params = self._payment_params(amount, description, metadata)
        params["capture_method"] = "manual"
        if provider_customer is not None:
            params["customer"] = provider_customer
        if method is not None:
            params["payment_method"] = method
            params["confirm"] = True
            params["return_url"] = return_url
        return await self._create_payment(
            "authorise the payment",
            params,
            idempotency_key,
            card_page=return_url if method is None else None,
        )

    async def capture(
        self, reference: str, amount: MinorAmount, *, idempotency_key: str
    ) -> ProviderPayment:
        if amount.value <= 0:
            raise ValidationFailed("capturing nothing is not a capture: void the payment")
        intent = await self._request(
            f"capture {amount} of {reference}",
            self._v1.payment_intents.capture_async(
                reference,
                {"amount_to_capture": amount.value, "expand": _PAYMENT_EXPANSIONS},
                _options(idempotency_key),
            ),
        )
        return payment_from_intent(intent.to_dict())

    async def void(self, reference: str, *, idempotency_key: str) -> ProviderPayment:
        intent = await self._request(
            f"void {reference}",
            self._v1.payment_intents.cancel_async(
                reference, {"expand": _PAYMENT_EXPANSIONS}, _options(idempotency_key)
            ),
        )
        return payment_from_intent(intent.to_dict())

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
        params = self._payment_params(amount, description, metadata)
        params["capture_method"] = "automatic"
        params["customer"] = provider_customer
        params["payment_method"] = method
        params["off_session"] = True
        params["confirm"] = True
        return await self._create_payment("charge the saved card", params, idempotency_key)

    async def refund(
        self, reference: str, amount: MinorAmount, *, reason: str, idempotency_key: str
    ) -> ProviderRefund:
        """Stripe's reason is always ``requested_by_customer``; Ampyre's own reason goes
        into the refund's metadata (``ampyre_reason``)."""
        if amount.value <= 0:
            raise ValidationFailed("a refund pays back more than nothing")
        params: RefundCreateParams = {
            "payment_intent": reference,
            "amount": amount.value,
            "reason": "requested_by_customer",
        }
        if reason:
            params["metadata"] = {"ampyre_reason": reason[:_METADATA_VALUE_LIMIT]}
        refund = await self._request(
            f"refund {amount} of {reference}",
            self._v1.refunds.create_async(params, _options(idempotency_key)),
        )
        return refund_from_object(refund.to_dict(), reference)

    async def get_payment(self, reference: str) -> ProviderPayment:
        intent = await self._request(
            f"look up {reference}",
            self._v1.payment_intents.retrieve_async(reference, {"expand": _PAYMENT_EXPANSIONS}),
        )
        return payment_from_intent(intent.to_dict())

    async def detach_method(self, method: str) -> None:
        """Detach the card from its customer; a card that is attached to no customer any
        more counts as removed."""
        try:
            await self._v1.payment_methods.detach_async(method)
        except stripe.InvalidRequestError as error:
            if error.code == "resource_missing":
                raise _translate(error, f"remove the card {method}") from error
            current = await self._request(
                f"look up the card {method}", self._v1.payment_methods.retrieve_async(method)
            )
            if current.customer is not None:
                raise _translate(error, f"remove the card {method}") from error
        except stripe.StripeError as error:
            raise _translate(error, f"remove the card {method}") from error

    def parse_webhook(self, raw_body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Verify the ``Stripe-Signature`` header over the raw body exactly as
        ``stripe.Webhook.construct_event`` does (HMAC-SHA256 of "timestamp.body" with the
        endpoint's signing secret; at most :data:`WEBHOOK_TOLERANCE_S` old), then normalise
        the event."""
        signature = _header(headers, SIGNATURE_HEADER)
        if not signature:
            raise InvalidWebhook(f"a Stripe webhook without a {SIGNATURE_HEADER} header")
        try:
            stripe.WebhookSignature.verify_header(
                raw_body, signature, self._webhook_secret, WEBHOOK_TOLERANCE_S
            )
        except stripe.SignatureVerificationError as error:
            raise InvalidWebhook(f"Stripe webhook refused: {_message(error)}") from error
        except (UnicodeDecodeError, ValueError) as error:
            raise InvalidWebhook(f"Stripe webhook refused: unreadable ({error})") from error
        try:
            event = json.loads(raw_body)
        except ValueError as error:
            raise InvalidWebhook(f"a Stripe webhook that is not JSON ({error})") from error
        if not (
            isinstance(event, dict)
            and event.get("object") == "event"
            and isinstance(event.get("id"), str)
            and isinstance(event.get("type"), str)
            and isinstance(event.get("created"), int)
        ):
            raise InvalidWebhook("a signed Stripe webhook that is not an event")
        try:
            return event_from_object(event)
        except (KeyError, TypeError, ValueError, DomainError) as error:
            raise InvalidWebhook(f"a Stripe {event['type']} event Ampyre cannot read") from error

    async def check_connection(self) -> ConnectionCheck:
        """List one PaymentIntent: a read that works with any key Ampyre can use (restricted
        keys included); the mode comes from the key."""
        mode = "test mode" if self._test_mode else "live mode"
        try:
            await self._v1.payment_intents.list_async({"limit": 1})
        except stripe.StripeError as error:
            problem = _translate(error, "list payments")
            return ConnectionCheck(
                ok=False, message=f"{problem.message} ({mode})", test_mode=self._test_mode
            )
        return ConnectionCheck(
            ok=True, message=f"Stripe accepted the secret key, {mode}", test_mode=self._test_mode
        )

    @staticmethod
    def _payment_params(
        amount: MinorAmount, description: str, metadata: Mapping[str, str]
    ) -> PaymentIntentCreateParams:
        params: PaymentIntentCreateParams = {
            "amount": amount.value,
            "currency": amount.currency.lower(),
            "allowed_payment_method_types": ["card"],
            "metadata": dict(metadata),
            "expand": _PAYMENT_EXPANSIONS,
        }
        if description:
            params["description"] = description
        return params

    async def _create_payment(
        self,
        operation: str,
        params: PaymentIntentCreateParams,
        idempotency_key: str,
        *,
        card_page: str | None = None,
    ) -> ProviderPayment:
        """Create (and with ``confirm`` confirm) a PaymentIntent. ``card_page`` is the
        return URL the customer enters a card at when the intent still needs one."""
        try:
            intent = await self._v1.payment_intents.create_async(params, _options(idempotency_key))
        except stripe.CardError as error:
            return _declined(error, operation)
        except stripe.StripeError as error:
            raise _translate(error, operation) from error
        data = intent.to_dict()
        payment = payment_from_intent(data)
        needs_card = payment.state is PaymentState.REQUIRES_ACTION and payment.action_url is None
        if card_page is not None and needs_card:
            payment = replace(payment, action_url=_card_page(card_page, "payment_intent", data))
        return payment


def _build(credentials: Mapping[str, str]) -> PaymentProvider:
    return StripeProvider(
        secret_key=credentials["secret_key"],
        webhook_secret=credentials["webhook_secret"],
        publishable_key=credentials.get("publishable_key") or None,
    )


SPEC = ProviderSpec(
    name=PROVIDER_NAME,
    label="Stripe",
    fields=(
        CredentialField(
            "secret_key",
            secret=True,
            description="Secret API key (sk_test_..., sk_live_...) or restricted key (rk_...)",
        ),
        CredentialField(
            "webhook_secret",
            secret=True,
            description="Signing secret of the webhook endpoint pointing at Ampyre (whsec_...)",
        ),
        CredentialField(
            "publishable_key",
            secret=False,
            description="Publishable key (pk_test_..., pk_live_...) for the card page",
        ),
    ),
    factory=_build,
)
