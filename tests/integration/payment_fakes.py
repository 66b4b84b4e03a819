"""A scripted payment provider for the payment service tests (a fake of the port; the real
adapters are tested against the same contract in tests/integration/payments/).

It behaves like a provider's test mode where it matters to the service: idempotency keys
(the same key returns the first answer), captures at most once, and on request the next
call "times out" after the provider has done the work, as a lost answer would."""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from ampyre.domain.payments import MinorAmount, PaymentState
from ampyre.services.payment_port import (
    ConnectionCheck,
    InvalidWebhook,
    PaymentProvider,
    PaymentProviderUnavailable,
    ProviderPayment,
    ProviderRefund,
    ProviderSetup,
    WebhookEvent,
)


@dataclass
class FakeProvider:
    """Set ``lose_next_answer`` to make the next call do its work and then raise
    ``PaymentProviderUnavailable`` (the answer was lost on the way back)."""

    name: str = "fake"
    lose_next_answer: bool = False

    def __post_init__(self) -> None:
        self.payments: dict[str, ProviderPayment] = {}
        self.answers: dict[str, ProviderPayment] = {}
        self.captures = 0
        self._ids = itertools.count(1)

    async def ensure_customer(
        self, customer_id: str, *, email: str | None, name: str, idempotency_key: str
    ) -> str:
        return f"cus_{customer_id}"

    async def set_up_method(
        self, provider_customer: str, *, return_url: str, idempotency_key: str
    ) -> ProviderSetup:
        return ProviderSetup(f"seti_{next(self._ids)}", PaymentState.AUTHORIZED, method="pm_1")

    async def get_setup(self, reference: str) -> ProviderSetup:
        return ProviderSetup(reference, PaymentState.AUTHORIZED, method="pm_1")

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
        def work() -> ProviderPayment:
            nothing = MinorAmount(0, amount.currency)
            payment = ProviderPayment(
                reference=f"fp_{next(self._ids)}",
                state=PaymentState.AUTHORIZED if method else PaymentState.REQUIRES_ACTION,
                authorized=amount,
                captured=nothing,
                refunded=nothing,
                action_url=None if method else f"https://fake.test/pay?{return_url}",
                method=method,
            )
            self.payments[payment.reference] = payment
            return payment

        return self._idempotent(idempotency_key, work)

    async def capture(
        self, reference: str, amount: MinorAmount, *, idempotency_key: str
    ) -> ProviderPayment:
        def work() -> ProviderPayment:
            current = self.payments[reference]
            assert current.state is PaymentState.AUTHORIZED, "captured twice"
            self.captures += 1
            partial = amount.value < current.authorized.value
            state = PaymentState.PARTIALLY_CAPTURED if partial else PaymentState.CAPTURED
            return self._store(replace(current, state=state, captured=amount))

        return self._idempotent(idempotency_key, work)

    async def void(self, reference: str, *, idempotency_key: str) -> ProviderPayment:
        return self._idempotent(
            idempotency_key,
            lambda: self._store(replace(self.payments[reference], state=PaymentState.VOIDED)),
        )

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
        def work() -> ProviderPayment:
            return self._store(
                ProviderPayment(
                    f"fp_{next(self._ids)}",
                    PaymentState.CAPTURED,
                    amount,
                    amount,
                    MinorAmount(0, amount.currency),
                    method=method,
                )
            )

        return self._idempotent(idempotency_key, work)

    async def refund(
        self, reference: str, amount: MinorAmount, *, reason: str, idempotency_key: str
    ) -> ProviderRefund:
        def work() -> ProviderPayment:
            current = self.payments[reference]
            refunded = current.refunded + amount
            full = refunded.value == current.captured.value
            state = PaymentState.REFUNDED if full else PaymentState.PARTIALLY_REFUNDED
            return self._store(replace(current, state=state, refunded=refunded))

        self._idempotent(idempotency_key, work)
        return ProviderRefund(f"re_{idempotency_key}", reference, amount, succeeded=True)

    async def get_payment(self, reference: str) -> ProviderPayment:
        return self.payments[reference]

    async def detach_method(self, method: str) -> None:
        return None

    def parse_webhook(self, raw_body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """The body is {"id", "type", "payment": reference, "state", "captured",
        "refunded"}; the header "fake-signature: ok" stands for a valid signature."""
        if headers.get("fake-signature") != "ok":
            raise InvalidWebhook("bad signature")
        body = json.loads(raw_body)
        current = self.payments[body["payment"]]
        reported = replace(
            current,
            state=PaymentState(body["state"]),
            captured=MinorAmount(body.get("captured", 0), current.authorized.currency),
            refunded=MinorAmount(body.get("refunded", 0), current.authorized.currency),
        )
        return WebhookEvent(self.name, body["id"], body["type"], datetime.now(UTC), reported)

    async def check_connection(self) -> ConnectionCheck:
        return ConnectionCheck(True, "fake provider", test_mode=True)

    def _store(self, payment: ProviderPayment) -> ProviderPayment:
        self.payments[payment.reference] = payment
        return payment

    def _idempotent(self, key: str, work: object) -> ProviderPayment:
        if key not in self.answers:
            assert callable(work)
            self.answers[key] = work()
        answer = self.answers[key]
        if self.lose_next_answer:
            self.lose_next_answer = False
            raise PaymentProviderUnavailable("the answer was lost (timeout)")
        return answer


@dataclass
class OneProvider:
    """A ``ProviderDirectory`` with one provider."""

    provider: PaymentProvider

    async def active_provider(self) -> PaymentProvider:
        return self.provider

    async def provider_named(self, name: str) -> PaymentProvider:
        return self.provider
