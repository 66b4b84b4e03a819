"""A stand-in for api.stripe.com, built from the recorded responses in ``tests/data/stripe``.

The tests have no network access to Stripe. :class:`StripeReplay` is an ASGI app that
answers the endpoints the Stripe adapter uses the way Stripe's test mode does: it keeps
customers, payment methods, PaymentIntents, charges, refunds and SetupIntents, moves them
through Stripe's states (create → confirm → 3-D Secure → capture → refund), honours the
Idempotency-Key header (a repeated key replays the first answer, the same key with other
parameters is an ``idempotency_error``), and answers Stripe's documented test payment
methods (``pm_card_visa``, ``pm_card_chargeDeclined``, ``pm_card_threeDSecure2Required``...)
with the recorded card errors. Every object it returns is a copy of a recorded one with the
fields that depend on the state filled in, so the adapter parses the shapes Stripe sends.

It also plays the other side of the flows: :meth:`StripeReplay.complete_three_d_secure` is
the customer passing or failing the challenge, the confirm endpoints accept the publishable
key and the client secret as Stripe.js sends them, and every state change is recorded as an
Event that :meth:`StripeReplay.webhook` signs exactly as Stripe signs webhooks.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import itertools
import json
import re
import secrets
import string
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

DATA = Path(__file__).resolve().parents[2] / "data" / "stripe"
API_VERSION = "2026-10-28.endive"
ACCOUNT = "acct_1SAmPy7eOpErAt0r"
SECRET_KEY = (
    "sk_test_51SAmPy7eOpErAt0rR3pLaYs3cReTkEy0000000000000000000000000000000000000000000000"
)
PUBLISHABLE_KEY = "pk_test_51SAmPy7eOpErAt0rR3pLaYpUbLiShAbLeKeY000000000000000000000000000"
WEBHOOK_SECRET = "whsec_AmPy7eR3pLaYw3bH00kS1gN1nGs3cReT0000"

Json = dict[str, Any]


def recorded(name: str) -> Json:
    """A fresh copy of ``tests/data/stripe/<name>.json``."""
    data: Json = json.loads((DATA / f"{name}.json").read_text())
    return data


def signature_header(payload: bytes, secret: str, timestamp: int) -> str:
    """The Stripe-Signature header Stripe sends: ``t=<unix time>,v1=<hex HMAC-SHA256 of
    "<t>.<payload>" keyed with the endpoint's signing secret>``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


@dataclass(frozen=True, slots=True)
class TestCard:
    """How one of Stripe's test payment methods behaves (docs.stripe.com/testing)."""

    brand: str
    last4: str
    decline: str | None = None
    """The recorded card error every payment with it gets."""
    attachable: bool = True
    """Stripe refuses to attach (or set up) a card that declines."""
    three_d_secure: str = "none"
    """"required": every on-session payment and setup needs the challenge, off-session
    payments are declined (authentication_required); "on_setup": only until it was set up."""


TEST_CARDS: dict[str, TestCard] = {
    "pm_card_visa": TestCard("visa", "4242"),
    "pm_card_mastercard": TestCard("mastercard", "4444"),
    "pm_card_chargeDeclined": TestCard("visa", "0002", "error_card_declined", attachable=False),
    "pm_card_chargeDeclinedInsufficientFunds": TestCard(
        "visa", "9995", "error_insufficient_funds", attachable=False
    ),
    "pm_card_chargeDeclinedExpiredCard": TestCard(
        "visa", "0069", "error_expired_card", attachable=False
    ),
    "pm_card_chargeCustomerFail": TestCard("visa", "0341", "error_card_declined"),
    "pm_card_threeDSecure2Required": TestCard("visa", "3220", three_d_secure="required"),
    "pm_card_authenticationRequiredOnSetup": TestCard("visa", "3155", three_d_secure="on_setup"),
}

_CANCELABLE = frozenset(
    {
        "requires_payment_method",
        "requires_capture",
        "requires_confirmation",
        "requires_action",
        "processing",
    }
)


class StripeFailure(Exception):
    """An error answer: HTTP ``status`` with Stripe's ``{"error": {...}}`` body."""

    def __init__(self, status: int, body: Json) -> None:
        super().__init__(body["error"].get("message"))
        self.status = status
        self.body = body


def _invalid(message: str, *, code: str | None = None, param: str | None = None) -> StripeFailure:
    error: Json = {"message": message, "type": "invalid_request_error"}
    if code:
        error["code"] = code
        error["doc_url"] = f"https://docs.stripe.com/error-codes/{code.replace('_', '-')}"
    if param:
        error["param"] = param
    return StripeFailure(400, {"error": error})


def _missing(kind: str, ident: str, param: str) -> StripeFailure:
    failure = _invalid(f"No such {kind}: '{ident}'", code="resource_missing", param=param)
    failure.status = 404
    return failure


def _decode(pairs: list[tuple[str, str]]) -> Json:
    """Stripe's form encoding back into objects: ``metadata[a]=1`` → {"metadata": {"a": "1"}},
    ``expand[0]=x`` → {"expand": ["x"]}."""
    root: Json = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    decoded: Json = _lists(root)
    return decoded


def _lists(node: Any) -> Any:
    if isinstance(node, dict):
        converted = {key: _lists(value) for key, value in node.items()}
        if converted and all(key.isdigit() for key in converted):
            return [converted[key] for key in sorted(converted, key=int)]
        return converted
    return node


def _bool(value: Any) -> bool:
    return value in (True, "true")


@dataclass(slots=True)
class SeenRequest:
    """One request the adapter made (tests check what it sent)."""

    method: str
    path: str
    params: Json
    idempotency_key: str | None
    api_key: str


@dataclass(slots=True)
class _Stored:
    fingerprint: tuple[str, str, str]
    status: int
    body: Json


@dataclass
class StripeReplay:
    """The replay server's state; an ASGI app (``await replay(scope, receive, send)``)."""

    secret_key: str = SECRET_KEY
    publishable_key: str = PUBLISHABLE_KEY
    webhook_secret: str = WEBHOOK_SECRET
    clock: Callable[[], float] = time.time
    delay_s: float = 0.0
    """Answer only this long after doing the work (simulates a response lost to a timeout)."""
    failures: int = 0
    """Answer this many requests with a 500 api_error without doing anything."""
    requests: list[SeenRequest] = field(default_factory=list)
    events: list[Json] = field(default_factory=list)
    customers: dict[str, Json] = field(default_factory=dict)
    methods: dict[str, Json] = field(default_factory=dict)
    intents: dict[str, Json] = field(default_factory=dict)
    charges: dict[str, Json] = field(default_factory=dict)
    refunds: dict[str, Json] = field(default_factory=dict)
    setups: dict[str, Json] = field(default_factory=dict)
    _cards: dict[str, TestCard] = field(default_factory=dict)
    _set_up: set[str] = field(default_factory=set)
    _spent: set[str] = field(default_factory=set)
    _stored: dict[str, _Stored] = field(default_factory=dict)
    _sequence: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # --- ASGI ---------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        status, body, headers = await self._answer(request)
        response = Response(
            json.dumps(body, indent=2),
            status_code=status,
            media_type="application/json",
            headers=headers,
        )
        await response(scope, receive, send)

    async def _answer(self, request: Request) -> tuple[int, Json, dict[str, str]]:
        method = request.method
        path = request.url.path
        if method == "POST":
            params = _decode(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        else:
            params = _decode(list(request.query_params.multi_items()))
        key = request.headers.get("idempotency-key")
        authorization = request.headers.get("authorization", "")
        api_key = authorization.removeprefix("Bearer ").strip()
        self.requests.append(SeenRequest(method, path, params, key, api_key))
        headers = {
            "Request-Id": self.new_id("req", 14),
            "Stripe-Version": request.headers.get("stripe-version", API_VERSION),
        }
        if key:
            headers["Idempotency-Key"] = key
        fingerprint = (method, path, json.dumps(params, sort_keys=True))
        try:
            self._authenticate(api_key, path, params)
            if key and key in self._stored:
                stored = self._stored[key]
                if stored.fingerprint != fingerprint:
                    raise StripeFailure(400, recorded("error_idempotency_key_reused"))
                headers["Idempotent-Replayed"] = "true"
                return await self._delayed(stored.status, stored.body, headers)
            if self.failures > 0:
                self.failures -= 1
                return 500, recorded("error_api"), headers
            status, body = 200, self._route(method, path, params, key)
        except StripeFailure as failure:
            status, body = failure.status, failure.body
        if key and method == "POST":
            self._stored[key] = _Stored(fingerprint, status, copy.deepcopy(body))
        return await self._delayed(status, body, headers)

    async def _delayed(
        self, status: int, body: Json, headers: dict[str, str]
    ) -> tuple[int, Json, dict[str, str]]:
        if self.delay_s > 0:
            await asyncio.sleep(self.delay_s)
        return status, body, headers

    def _authenticate(self, api_key: str, path: str, params: Json) -> None:
        if api_key == self.secret_key:
            return
        if api_key == self.publishable_key and path.endswith("/confirm"):
            return  # Stripe.js: the client secret is checked with the object
        if api_key.startswith("pk_"):
            body = {
                "error": {
                    "message": "This API call cannot be made with a publishable API key. "
                    "Please use a secret API key.",
                    "type": "invalid_request_error",
                }
            }
            raise StripeFailure(401, body)
        masked = api_key[:8] + "*" * max(0, len(api_key) - 12) + api_key[-4:]
        body = recorded("error_invalid_api_key")
        body["error"]["message"] = f"Invalid API Key provided: {masked}"
        raise StripeFailure(401, body)

    def _route(self, method: str, path: str, params: Json, key: str | None) -> Json:
        for verb, pattern, handler in self._routes():
            match = re.fullmatch(pattern, path)
            if verb == method and match:
                result: Json = handler(params, *match.groups())
                return result
        body = {
            "error": {
                "message": f"Unrecognized request URL ({method}: {path}). Please see "
                "https://docs.stripe.com/ or we can help at https://support.stripe.com/.",
                "type": "invalid_request_error",
            }
        }
        raise StripeFailure(404, body)

    def _routes(self) -> list[tuple[str, str, Callable[..., Json]]]:
        ident = r"([A-Za-z0-9_]+)"
        return [
            ("GET", r"/v1/payment_intents", self._list_intents),
            ("POST", r"/v1/payment_intents", self._create_intent),
            ("GET", rf"/v1/payment_intents/{ident}", self._retrieve_intent),
            ("POST", rf"/v1/payment_intents/{ident}/confirm", self._confirm_intent),
            ("POST", rf"/v1/payment_intents/{ident}/capture", self._capture),
            ("POST", rf"/v1/payment_intents/{ident}/cancel", self._cancel),
            ("POST", r"/v1/refunds", self._refund),
            ("POST", r"/v1/customers", self._create_customer),
            ("POST", r"/v1/setup_intents", self._create_setup),
            ("GET", rf"/v1/setup_intents/{ident}", self._retrieve_setup),
            ("POST", rf"/v1/setup_intents/{ident}/confirm", self._confirm_setup),
            ("GET", rf"/v1/payment_methods/{ident}", self._retrieve_method),
            ("POST", rf"/v1/payment_methods/{ident}/attach", self._attach),
            ("POST", rf"/v1/payment_methods/{ident}/detach", self._detach),
        ]

    # --- helpers ------------------------------------------------------------------------

    def new_id(self, prefix: str, length: int = 24) -> str:
        alphabet = string.ascii_letters + string.digits
        serial = f"{next(self._sequence):04d}"
        tail = "".join(secrets.choice(alphabet) for _ in range(length - len(serial) - 2))
        return f"{prefix}_3S{serial}{tail}"

    def now(self) -> int:
        return int(self.clock())

    def _emit(self, kind: str, obj: Json, key: str | None = None) -> None:
        self.events.append(
            {
                "id": self.new_id("evt"),
                "object": "event",
                "api_version": API_VERSION,
                "created": self.now(),
                "data": {"object": copy.deepcopy(obj)},
                "livemode": False,
                "pending_webhooks": 1,
                "request": {"id": self.new_id("req", 14), "idempotency_key": key},
                "type": kind,
            }
        )

    def _intent(self, ident: str) -> Json:
        if ident not in self.intents:
            raise _missing("payment_intent", ident, "intent")
        return self.intents[ident]

    def _setup(self, ident: str) -> Json:
        if ident not in self.setups:
            raise _missing("setup_intent", ident, "intent")
        return self.setups[ident]

    def _render_intent(self, intent: Json, params: Json) -> Json:
        rendered = copy.deepcopy(intent)
        expand = params.get("expand") or []
        charge = rendered.get("latest_charge")
        if "latest_charge" in expand and isinstance(charge, str):
            rendered["latest_charge"] = copy.deepcopy(self.charges[charge])
        method = rendered.get("payment_method")
        if "payment_method" in expand and isinstance(method, str):
            rendered["payment_method"] = copy.deepcopy(self.methods[method])
        return rendered

    def _render_setup(self, setup: Json, params: Json) -> Json:
        rendered = copy.deepcopy(setup)
        method = rendered.get("payment_method")
        if "payment_method" in (params.get("expand") or []) and isinstance(method, str):
            rendered["payment_method"] = copy.deepcopy(self.methods[method])
        return rendered

    def _check_client_secret(self, obj: Json, params: Json, api_key_is_public: bool) -> None:
        if api_key_is_public and params.get("client_secret") != obj["client_secret"]:
            raise _invalid(
                "The client_secret provided does not match the client_secret associated "
                f"with the {obj['object'].replace('_', ' ').title().replace(' ', '')}.",
                param="client_secret",
            )

    def _new_method(self, token: str, customer: str | None) -> Json:
        card = TEST_CARDS[token]
        method = recorded("payment_method_card")
        method["id"] = self.new_id("pm")
        method["created"] = self.now()
        method["customer"] = customer
        method["card"].update(
            brand=card.brand,
            display_brand=card.brand,
            last4=card.last4,
            fingerprint=hashlib.sha256(token.encode()).hexdigest()[:16],
            networks={"available": [card.brand], "preferred": None},
        )
        self.methods[method["id"]] = method
        self._cards[method["id"]] = card
        return method

    def _method_for(self, ident: str, customer: str | None) -> Json:
        """The PaymentMethod a payment names: a test token makes a new one."""
        if ident in TEST_CARDS:
            return self._new_method(ident, None)
        if ident not in self.methods:
            raise _missing("PaymentMethod", ident, "payment_method")
        method = self.methods[ident]
        if ident in self._spent:
            raise _invalid(
                "The provided PaymentMethod was previously used with a PaymentIntent without "
                "Customer attachment, shared with a connected account without Customer "
                "attachment, or was detached from a Customer. It may not be used again. To "
                "use a PaymentMethod multiple times, you must attach it to a Customer first.",
                param="payment_method",
            )
        if method["customer"] is not None and method["customer"] != customer:
            raise _invalid(
                "The provided PaymentMethod belongs to a different Customer than the one "
                "specified on this PaymentIntent.",
                param="payment_method",
            )
        return method

    def _card_error(self, name: str, method: Json, charge: str | None) -> Json:
        error: Json = recorded(name)["error"]
        error.pop("payment_intent", None)
        error["payment_method"] = copy.deepcopy(method)
        error["charge"] = charge
        error["request_log_url"] = (
            f"https://dashboard.stripe.com/{ACCOUNT}/test/workbench/logs?object="
            + self.new_id("req", 14)
        )
        return error

    def _new_charge(self, intent: Json, method: Json) -> Json:
        charge: Json = recorded("payment_intent_requires_capture")["latest_charge"]
        card = charge["payment_method_details"]["card"]
        automatic = intent["capture_method"] != "manual"
        charge.update(
            id=self.new_id("ch"),
            amount=intent["amount"],
            amount_captured=intent["amount"] if automatic else 0,
            amount_refunded=0,
            captured=automatic,
            created=self.now(),
            currency=intent["currency"],
            customer=intent["customer"],
            description=intent["description"],
            metadata=copy.deepcopy(intent["metadata"]),
            payment_intent=intent["id"],
            payment_method=method["id"],
            refunded=False,
            balance_transaction=self.new_id("txn") if automatic else None,
        )
        card.update(
            amount_authorized=intent["amount"],
            brand=method["card"]["brand"],
            last4=method["card"]["last4"],
            fingerprint=method["card"]["fingerprint"],
            capture_before=None if automatic else self.now() + 7 * 86400,
            overcapture={"maximum_amount_capturable": intent["amount"], "status": "unavailable"},
        )
        self.charges[charge["id"]] = charge
        return charge

    # --- PaymentIntents -----------------------------------------------------------------

    def _list_intents(self, params: Json) -> Json:
        listing = recorded("payment_intent_list")
        limit = int(params.get("limit", 10))
        newest = sorted(self.intents.values(), key=lambda intent: -intent["created"])
        listing["data"] = [copy.deepcopy(intent) for intent in newest[:limit]]
        listing["has_more"] = len(newest) > limit
        return listing

    def _create_intent(self, params: Json) -> Json:
        amount = int(params.get("amount", 0))
        if amount < 50:
            raise _invalid(
                "Amount must be at least €0.50 eur", code="amount_too_small", param="amount"
            )
        customer = params.get("customer")
        if customer is not None and customer not in self.customers:
            raise _missing("customer", customer, "customer")
        intent = recorded("payment_intent_requires_payment_method")
        ident = self.new_id("pi")
        intent.update(
            id=ident,
            client_secret=f"{ident}_secret_{self.new_id('s', 27)[2:]}",
            allowed_payment_method_types=params.get("allowed_payment_method_types", ["card"]),
            amount=amount,
            capture_method=params.get("capture_method", "automatic_async"),
            created=self.now(),
            currency=params["currency"],
            customer=customer,
            description=params.get("description"),
            metadata=params.get("metadata", {}),
            latest_charge=None,
            payment_method=None,
            status="requires_payment_method",
        )
        self.intents[ident] = intent
        self._emit("payment_intent.created", intent)
        if params.get("payment_method"):
            method = self._method_for(params["payment_method"], customer)
            intent["payment_method"] = method["id"]
            intent["status"] = "requires_confirmation"
        if _bool(params.get("confirm")):
            return self._confirm(intent, params, public=False)
        return self._render_intent(intent, params)

    def _retrieve_intent(self, params: Json, ident: str) -> Json:
        return self._render_intent(self._intent(ident), params)

    def _confirm_intent(self, params: Json, ident: str) -> Json:
        intent = self._intent(ident)
        public = self.requests[-1].api_key == self.publishable_key
        self._check_client_secret(intent, params, public)
        if params.get("payment_method"):
            method = self._method_for(params["payment_method"], intent["customer"])
            intent["payment_method"] = method["id"]
        return self._confirm(intent, params, public=public)

    def _confirm(self, intent: Json, params: Json, *, public: bool) -> Json:
        if intent["status"] not in ("requires_payment_method", "requires_confirmation"):
            raise _invalid(
                "You cannot confirm this PaymentIntent because it has a status of "
                f"{intent['status']}.",
                code="payment_intent_unexpected_state",
            )
        if intent["payment_method"] is None:
            raise _invalid(
                "You cannot confirm this PaymentIntent because it's missing a payment method.",
                code="payment_intent_unexpected_state",
            )
        method = self.methods[intent["payment_method"]]
        card = self._cards[method["id"]]
        off_session = _bool(params.get("off_session"))
        intent["last_payment_error"] = None
        if card.decline:
            self._decline(intent, method, card.decline, with_charge=True)
        challenge = card.three_d_secure == "required" or (
            card.three_d_secure == "on_setup" and method["id"] not in self._set_up
        )
        if challenge and off_session:
            self._decline(intent, method, "error_authentication_required", with_charge=False)
        if challenge:
            return_url = params.get("return_url") or "https://stripe.com"
            secret = intent["client_secret"]
            intent["status"] = "requires_action"
            intent["next_action"] = {
                "redirect_to_url": {
                    "return_url": return_url,
                    "url": "https://hooks.stripe.com/3d_secure_2/hosted?"
                    f"merchant={ACCOUNT}&payment_intent={intent['id']}"
                    f"&payment_intent_client_secret={secret}"
                    f"&publishable_key={self.publishable_key}"
                    f"&source={self.new_id('payatt')}",
                },
                "type": "redirect_to_url",
            }
            self._emit("payment_intent.requires_action", intent)
            return self._render_intent(intent, params)
        self._authorise(intent, method)
        return self._render_intent(intent, params)

    def _authorise(self, intent: Json, method: Json) -> None:
        charge = self._new_charge(intent, method)
        intent["latest_charge"] = charge["id"]
        intent["next_action"] = None
        if intent["capture_method"] == "manual":
            intent.update(status="requires_capture", amount_capturable=intent["amount"])
            self._emit("payment_intent.amount_capturable_updated", intent)
        else:
            intent.update(status="succeeded", amount_received=intent["amount"])
            self._emit("payment_intent.succeeded", intent)
        if method["customer"] is None:
            self._spent.add(method["id"])

    def _decline(self, intent: Json, method: Json, error_name: str, *, with_charge: bool) -> None:
        charge_id = None
        error = self._card_error(error_name, method, None)
        if with_charge:
            charge = self._new_charge(intent, method)
            charge.update(
                status="failed",
                paid=False,
                captured=False,
                amount_captured=0,
                failure_code=error["code"],
                failure_message=error["message"],
                outcome={
                    **charge["outcome"],
                    "network_status": "declined_by_network",
                    "reason": error.get("decline_code"),
                    "seller_message": "The bank did not return any further details with "
                    "this decline.",
                    "type": "issuer_declined",
                },
            )
            charge["payment_method_details"]["card"]["capture_before"] = None
            charge_id = charge["id"]
            error["charge"] = charge_id
        last_error = {key: value for key, value in error.items() if key != "request_log_url"}
        intent.update(
            status="requires_payment_method",
            payment_method=None,
            latest_charge=charge_id,
            last_payment_error=last_error,
            next_action=None,
        )
        self._emit("payment_intent.payment_failed", intent)
        if method["customer"] is None:
            self._spent.add(method["id"])
        raise StripeFailure(402, {"error": {**error, "payment_intent": copy.deepcopy(intent)}})

    def complete_three_d_secure(self, ident: str, *, succeed: bool) -> None:
        """The customer passes (or fails) the 3-D Secure challenge of a PaymentIntent or a
        SetupIntent that is ``requires_action``."""
        if ident.startswith("seti_"):
            self._complete_setup_challenge(self._setup(ident), succeed)
            return
        intent = self._intent(ident)
        assert intent["status"] == "requires_action", intent["status"]
        method = self.methods[intent["payment_method"]]
        if succeed:
            self._authorise(intent, method)
            return
        intent.update(
            status="requires_payment_method",
            payment_method=None,
            next_action=None,
            last_payment_error=self._authentication_failure("payment_intent", method),
        )
        self._emit("payment_intent.payment_failed", intent)

    def _authentication_failure(self, kind: str, method: Json) -> Json:
        return {
            "code": f"{kind}_authentication_failure",
            "doc_url": f"https://docs.stripe.com/error-codes/{kind.replace('_', '-')}"
            "-authentication-failure",
            "message": "We are unable to authenticate your payment method. Please choose a "
            "different payment method and try again.",
            "payment_method": copy.deepcopy(method),
            "payment_method_type": "card",
            "type": "invalid_request_error",
        }

    def _capture(self, params: Json, ident: str) -> Json:
        intent = self._intent(ident)
        if intent["status"] != "requires_capture":
            failure = StripeFailure(400, recorded("error_payment_intent_unexpected_state"))
            failure.body["error"]["message"] = (
                "This PaymentIntent could not be captured because it has a status of "
                f"{intent['status']}. Only a PaymentIntent with one of the following "
                "statuses may be captured: requires_capture."
            )
            raise failure
        capturable = intent["amount_capturable"]
        amount = int(params.get("amount_to_capture", capturable))
        if amount > capturable:
            failure = StripeFailure(400, recorded("error_amount_to_capture_too_large"))
            failure.body["error"]["message"] = (
                f"The amount to capture ({amount}) must be less than or equal to the "
                f"PaymentIntent's amount_capturable ({capturable})."
            )
            raise failure
        charge = self.charges[intent["latest_charge"]]
        charge.update(
            captured=True,
            amount_captured=amount,
            amount_refunded=charge["amount"] - amount,
            balance_transaction=self.new_id("txn"),
        )
        intent.update(status="succeeded", amount_received=amount, amount_capturable=0)
        self._emit("payment_intent.succeeded", intent)
        return self._render_intent(intent, params)

    def _cancel(self, params: Json, ident: str) -> Json:
        intent = self._intent(ident)
        if intent["status"] not in _CANCELABLE:
            failure = StripeFailure(400, recorded("error_payment_intent_unexpected_state"))
            failure.body["error"]["message"] = (
                "You cannot cancel this PaymentIntent because it has a status of "
                f"{intent['status']}. Only a PaymentIntent with one of the following statuses "
                "may be canceled: requires_payment_method, requires_capture, "
                "requires_confirmation, requires_action, processing."
            )
            raise failure
        charge = self.charges.get(intent["latest_charge"] or "")
        if charge is not None and charge["status"] == "succeeded" and not charge["captured"]:
            charge.update(amount_refunded=charge["amount"], refunded=True)
        intent.update(
            status="canceled",
            canceled_at=self.now(),
            cancellation_reason=params.get("cancellation_reason"),
            amount_capturable=0,
            next_action=None,
        )
        self._emit("payment_intent.canceled", intent)
        return self._render_intent(intent, params)

    def expire(self, ident: str) -> None:
        """Stripe cancels an uncaptured PaymentIntent when its authorisation lapses."""
        self._cancel({"cancellation_reason": "automatic"}, ident)

    # --- refunds ------------------------------------------------------------------------

    def _refund(self, params: Json) -> Json:
        intent = self._intent(params.get("payment_intent", ""))
        charge = self.charges.get(intent["latest_charge"] or "")
        if intent["status"] != "succeeded" or charge is None:
            raise _invalid(
                f"This PaymentIntent ({intent['id']}) does not have a successful charge to refund.",
                param="payment_intent",
            )
        released = charge["amount"] - charge["amount_captured"]
        remaining = charge["amount_captured"] - (charge["amount_refunded"] - released)
        if remaining <= 0:
            raise _invalid(
                f"Charge {charge['id']} has already been refunded.",
                code="charge_already_refunded",
            )
        amount = int(params.get("amount") or remaining)
        if amount > remaining:
            failure = StripeFailure(400, recorded("error_refund_amount_too_large"))
            symbol = "€" if charge["currency"] == "eur" else charge["currency"].upper() + " "
            failure.body["error"]["message"] = (
                f"Refund amount ({symbol}{amount / 100:.2f}) is greater than unrefunded "
                f"amount on charge ({symbol}{remaining / 100:.2f})"
            )
            raise failure
        refund = recorded("refund")
        refund.update(
            id=self.new_id("re"),
            amount=amount,
            balance_transaction=self.new_id("txn"),
            charge=charge["id"],
            created=self.now(),
            currency=charge["currency"],
            metadata=params.get("metadata", {}),
            payment_intent=intent["id"],
            reason=params.get("reason"),
        )
        self.refunds[refund["id"]] = refund
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        self._emit("refund.created", refund)
        self._emit("charge.refunded", charge)
        return copy.deepcopy(refund)

    # --- customers and payment methods --------------------------------------------------

    def _create_customer(self, params: Json) -> Json:
        customer = recorded("customer")
        customer.update(
            id=self.new_id("cus", 14),
            created=self.now(),
            email=params.get("email"),
            name=params.get("name"),
            metadata=params.get("metadata", {}),
        )
        self.customers[customer["id"]] = customer
        return copy.deepcopy(customer)

    def _retrieve_method(self, params: Json, ident: str) -> Json:
        if ident not in self.methods:
            raise _missing("PaymentMethod", ident, "payment_method")
        return copy.deepcopy(self.methods[ident])

    def _attach(self, params: Json, ident: str) -> Json:
        customer = params.get("customer")
        if customer not in self.customers:
            raise _missing("customer", str(customer), "customer")
        if ident in TEST_CARDS:
            card = TEST_CARDS[ident]
            if not card.attachable:
                method = self._new_method(ident, None)
                raise StripeFailure(
                    402, {"error": self._card_error(card.decline or "", method, None)}
                )
            return copy.deepcopy(self._new_method(ident, customer))
        method = self._method_for(ident, customer)
        method["customer"] = customer
        return copy.deepcopy(method)

    def _detach(self, params: Json, ident: str) -> Json:
        if ident not in self.methods:
            raise _missing("PaymentMethod", ident, "payment_method")
        method = self.methods[ident]
        if method["customer"] is None:
            raise _invalid(
                "The payment method you provided is not attached to a customer so detachment "
                "is impossible."
            )
        method["customer"] = None
        self._spent.add(ident)
        self._emit("payment_method.detached", method)
        return copy.deepcopy(method)

    # --- SetupIntents -------------------------------------------------------------------

    def _create_setup(self, params: Json) -> Json:
        customer = params.get("customer")
        if customer is not None and customer not in self.customers:
            raise _missing("customer", customer, "customer")
        setup = recorded("setup_intent_requires_payment_method")
        ident = self.new_id("seti")
        setup.update(
            id=ident,
            client_secret=f"{ident}_secret_{self.new_id('s', 27)[2:]}",
            created=self.now(),
            customer=customer,
            usage=params.get("usage", "off_session"),
            allowed_payment_method_types=params.get("allowed_payment_method_types", ["card"]),
        )
        self.setups[ident] = setup
        self._emit("setup_intent.created", setup)
        return self._render_setup(setup, params)

    def _retrieve_setup(self, params: Json, ident: str) -> Json:
        return self._render_setup(self._setup(ident), params)

    def _confirm_setup(self, params: Json, ident: str) -> Json:
        setup = self._setup(ident)
        public = self.requests[-1].api_key == self.publishable_key
        self._check_client_secret(setup, params, public)
        if setup["status"] not in ("requires_payment_method", "requires_confirmation"):
            raise _invalid(
                "You cannot confirm this SetupIntent because it has a status of "
                f"{setup['status']}.",
                code="setup_intent_unexpected_state",
            )
        token = params.get("payment_method", "")
        if token not in TEST_CARDS:
            raise _missing("PaymentMethod", token, "payment_method")
        card = TEST_CARDS[token]
        method = self._new_method(token, None)
        setup["payment_method"] = method["id"]
        setup["last_setup_error"] = None
        if not card.attachable:
            error = self._card_error(card.decline or "", method, None)
            setup.update(status="requires_payment_method", payment_method=None)
            setup["last_setup_error"] = {
                key: value for key, value in error.items() if key != "request_log_url"
            }
            self._emit("setup_intent.setup_failed", setup)
            raise StripeFailure(402, {"error": {**error, "setup_intent": copy.deepcopy(setup)}})
        if card.three_d_secure in ("required", "on_setup"):
            secret = setup["client_secret"]
            setup["status"] = "requires_action"
            setup["next_action"] = {
                "redirect_to_url": {
                    "return_url": params.get("return_url") or "https://stripe.com",
                    "url": "https://hooks.stripe.com/3d_secure_2/hosted?"
                    f"merchant={ACCOUNT}&setup_intent={ident}"
                    f"&setup_intent_client_secret={secret}"
                    f"&publishable_key={self.publishable_key}"
                    f"&source={self.new_id('setatt')}",
                },
                "type": "redirect_to_url",
            }
            self._emit("setup_intent.requires_action", setup)
            return self._render_setup(setup, params)
        self._finish_setup(setup, method)
        return self._render_setup(setup, params)

    def _finish_setup(self, setup: Json, method: Json) -> None:
        method["customer"] = setup["customer"]
        self._set_up.add(method["id"])
        setup.update(
            status="succeeded",
            payment_method=method["id"],
            next_action=None,
            latest_attempt=self.new_id("setatt"),
        )
        self._emit("setup_intent.succeeded", setup)

    def _complete_setup_challenge(self, setup: Json, succeed: bool) -> None:
        assert setup["status"] == "requires_action", setup["status"]
        method = self.methods[setup["payment_method"]]
        if succeed:
            self._finish_setup(setup, method)
            return
        setup.update(
            status="requires_payment_method",
            payment_method=None,
            next_action=None,
            last_setup_error=self._authentication_failure("setup_intent", method),
        )
        self._emit("setup_intent.setup_failed", setup)

    # --- webhooks -----------------------------------------------------------------------

    def latest_event(self, reference: str) -> Json:
        """The newest event about ``reference`` (a PaymentIntent or SetupIntent id, or the
        PaymentIntent of a charge/refund)."""
        for event in reversed(self.events):
            obj = event["data"]["object"]
            if reference in (obj.get("id"), obj.get("payment_intent")):
                return event
        raise LookupError(f"no event about {reference}")

    def webhook(
        self, event: Json, *, age_s: float = 0, secret: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """``event`` as Stripe posts it: the JSON body and its headers, signed now (or
        ``age_s`` seconds ago) with the endpoint's secret."""
        body = json.dumps(event, indent=2).encode()
        timestamp = int(self.clock() - age_s)
        header = signature_header(body, secret or self.webhook_secret, timestamp)
        return body, {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": header,
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        }


@asynccontextmanager
async def serving(replay: StripeReplay) -> AsyncIterator[str]:
    """Serve ``replay`` over HTTP on a free local port; yields its base URL."""
    config = uvicorn.Config(
        replay, host="127.0.0.1", port=0, log_level="warning", lifespan="off", loop="asyncio"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
