"""Payments through the configured provider: authorise, capture, void, charge, refund,
webhooks — each exactly once (DOMAIN.md §3).

Every provider call follows the same steps:

1. in one database transaction, lock the payment, log the request with its idempotency key
   (derived from the operation and the payment, so a retry is the same call) and commit;
2. call the provider outside any database transaction;
3. in a new database transaction, lock the payment again, apply what the provider answered
   (:meth:`~ampyre.domain.payments.Payment.observe`: only forward moves), write the ledger
   entries of the move (keyed, so a move is recorded once) and log the answer.

Two concurrent captures of one session send the same idempotency key, so the provider
captures once; whichever applies the answer second finds nothing left to move. A webhook is
stored under (provider, event id) in the same database transaction as its effect: a
duplicate is recognised and changes nothing; one that arrives late reports an earlier state
and changes nothing either.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ampyre.domain.errors import Conflict, NotFound, ValidationFailed
from ampyre.domain.ledger import LedgerEntry, payment_movements
from ampyre.domain.payments import (
    MinorAmount,
    Payment,
    PaymentPurpose,
    PaymentState,
    idempotency_key,
)
from ampyre.services.access import Actor, Permission, check_permission
from ampyre.services.payment_port import (
    PaymentProvider,
    PaymentProviderUnavailable,
    ProviderPayment,
    WebhookEvent,
)
from ampyre.services.payment_store import LogStage, PaymentLogEntry
from ampyre.services.ports import Clock, UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)


class ProviderDirectory(Protocol):
    """Where the payment service finds providers (the operator's configured accounts)."""

    async def active_provider(self) -> PaymentProvider:
        """The provider new payments go to; ``Conflict`` when none is configured."""
        ...

    async def provider_named(self, name: str) -> PaymentProvider:
        """The configured provider ``name`` (for payments made with it and its webhooks);
        ``NotFound`` when it is not configured."""
        ...


@dataclass(frozen=True, slots=True)
class WebhookOutcome:
    event_id: str
    duplicate: bool
    payment_id: str | None
    moved: bool
    """Whether the event moved the payment (False for a late or repeated report)."""


@dataclass(frozen=True, slots=True)
class PaymentStatement:
    """A payment with its ledger entries and every step in the payment log, oldest first."""

    payment: Payment
    ledger: tuple[LedgerEntry, ...]
    log: tuple[PaymentLogEntry, ...]


@dataclass(frozen=True, slots=True)
class PaymentService:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    providers: ProviderDirectory

    async def get(self, actor: Actor, payment_id: str) -> PaymentStatement:
        """For operators locating a failure: where the payment stands, the money it moved,
        and each request, answer and webhook."""
        check_permission(actor, Permission.PAYMENTS_READ)
        async with self.uow_factory() as uow:
            payment = await uow.payments.get(payment_id)
            if payment is None:
                raise NotFound(f"payment {payment_id} does not exist")
            entries = await uow.ledger.of_payment(payment_id)
            steps = await uow.payment_log.of_payment(payment_id)
        return PaymentStatement(payment, tuple(entries), tuple(steps))

    async def do_authorise(
        self,
        customer_id: str,
        amount: MinorAmount,
        *,
        purpose: PaymentPurpose,
        return_url: str,
        description: str,
        transaction_id: int | None = None,
        method: str | None = None,
        provider_customer: str | None = None,
    ) -> Payment:
        """Reserve ``amount`` (manual capture). Without a saved ``method`` the payment
        comes back REQUIRES_ACTION with the page where the customer enters a card."""
        provider = await self.providers.active_provider()
        payment = _new_payment(customer_id, provider.name, purpose, amount, transaction_id)
        key = idempotency_key("authorise", payment.id)
        async with self.uow_factory() as uow:
            await uow.payments.add(payment)
            await self._log_request(uow, payment, "authorise", key, f"authorise {amount}")
            await uow.commit()
        return await self._call(
            payment.id,
            "authorise",
            key,
            lambda: provider.authorise(
                amount,
                provider_customer=provider_customer,
                method=method,
                return_url=return_url,
                description=description,
                idempotency_key=key,
                metadata={"payment_id": payment.id, "customer_id": customer_id},
            ),
        )

    async def do_capture(self, payment_id: str, amount: MinorAmount) -> Payment:
        """Take ``amount`` of an authorised payment (0: void instead). Capturing a payment
        that is captured already returns it unchanged (a retry, or a concurrent capture)."""
        if amount.value == 0:
            return await self.do_void(payment_id)
        async with self.uow_factory() as uow:
            payment = await self._locked(uow, payment_id)
            if payment.state is not PaymentState.AUTHORIZED:
                if payment.captured.value > 0:
                    return payment
                raise Conflict(
                    f"payment {payment_id} is {payment.state.value}: only an authorised "
                    "payment can be captured",
                    code="not_capturable",
                )
            if amount > payment.authorized:
                raise ValidationFailed(
                    f"cannot capture {amount}: {payment.authorized} was authorised"
                )
            key = idempotency_key("capture", payment_id)
            await self._log_request(uow, payment, "capture", key, f"capture {amount}")
            await uow.commit()
        reference = _reference(payment)
        provider = await self.providers.provider_named(payment.provider)
        return await self._call(
            payment_id,
            "capture",
            key,
            lambda: provider.capture(reference, amount, idempotency_key=key),
        )

    async def do_void(self, payment_id: str) -> Payment:
        """Release an authorisation in full (a session that cost nothing)."""
        async with self.uow_factory() as uow:
            payment = await self._locked(uow, payment_id)
            if payment.state is PaymentState.VOIDED:
                return payment
            if payment.state is not PaymentState.AUTHORIZED:
                raise Conflict(
                    f"payment {payment_id} is {payment.state.value}: only an authorised "
                    "payment can be voided",
                    code="not_voidable",
                )
            key = idempotency_key("void", payment_id)
            await self._log_request(uow, payment, "void", key, "void")
            await uow.commit()
        reference = _reference(payment)
        provider = await self.providers.provider_named(payment.provider)
        return await self._call(
            payment_id, "void", key, lambda: provider.void(reference, idempotency_key=key)
        )

    async def do_refund(
        self, payment_id: str, amount: MinorAmount, *, reason: str, refund_id: str
    ) -> Payment:
        """Pay back ``amount`` of a captured payment; ``refund_id`` names this refund (its
        idempotency key), so a retried refund pays back once."""
        async with self.uow_factory() as uow:
            payment = await self._locked(uow, payment_id)
            if amount > payment.refundable:
                raise ValidationFailed(
                    f"at most {payment.refundable} of payment {payment_id} can be refunded"
                )
            key = idempotency_key("refund", payment_id, refund_id)
            await self._log_request(uow, payment, "refund", key, f"refund {amount}: {reason}")
            await uow.commit()
        provider = await self.providers.provider_named(payment.provider)
        refund = await provider.refund(
            _reference(payment), amount, reason=reason, idempotency_key=key
        )
        if not refund.succeeded:
            await self._log(
                payment,
                LogStage.ERROR,
                "refund",
                f"refund refused: {refund.failure_message}",
                key,
                refund.raw,
            )
            raise Conflict(
                f"the provider refused the refund: {refund.failure_message}",
                code="refund_failed",
            )
        return await self.do_sync(payment_id)

    async def do_sync(self, payment_id: str) -> Payment:
        """Ask the provider how the payment stands and apply it (after a timeout, or to
        reconcile)."""
        async with self.uow_factory() as uow:
            payment = await self._locked(uow, payment_id)
        provider = await self.providers.provider_named(payment.provider)
        reference = _reference(payment)
        return await self._call(
            payment_id, "retrieve", None, lambda: provider.get_payment(reference)
        )

    async def do_handle_webhook(
        self, provider_name: str, raw_body: bytes, headers: Mapping[str, str]
    ) -> WebhookOutcome:
        """Verify and apply one webhook (``InvalidWebhook`` when it does not verify)."""
        provider = await self.providers.provider_named(provider_name)
        event = provider.parse_webhook(raw_body, headers)
        now = self.clock.now()
        async with self.uow_factory() as uow:
            if not await uow.webhooks.add(provider_name, event.event_id, event.type, now):
                return WebhookOutcome(event.event_id, True, None, False)
            outcome = await self._apply_event(uow, provider_name, event)
            await uow.commit()
        return outcome

    async def _apply_event(
        self, uow: UnitOfWork, provider_name: str, event: WebhookEvent
    ) -> WebhookOutcome:
        report = event.payment
        payment = (
            await uow.payments.by_reference(provider_name, report.reference, for_update=True)
            if report is not None
            else None
        )
        if report is None or payment is None:
            await uow.payment_log.add(
                PaymentLogEntry(
                    None,
                    provider_name,
                    LogStage.WEBHOOK,
                    event.type,
                    self.clock.now(),
                    f"event {event.event_id} about nothing Ampyre tracks",
                    payload=event.raw,
                )
            )
            return WebhookOutcome(event.event_id, False, None, False)
        moved = await self._apply(uow, payment, report, LogStage.WEBHOOK, event.type, None)
        return WebhookOutcome(event.event_id, False, payment.id, moved is not None)

    async def _call(
        self,
        payment_id: str,
        operation: str,
        key: str | None,
        call: Callable[[], Awaitable[ProviderPayment]],
    ) -> Payment:
        try:
            answer = await call()
        except PaymentProviderUnavailable as exc:
            async with self.uow_factory() as uow:
                payment = await self._locked(uow, payment_id)
                await uow.payment_log.add(
                    _entry(
                        payment,
                        self.clock.now(),
                        LogStage.ERROR,
                        operation,
                        f"no answer: {exc.message}",
                        key,
                    )
                )
                await uow.commit()
            raise
        async with self.uow_factory() as uow:
            payment = await self._locked(uow, payment_id)
            moved = await self._apply(uow, payment, answer, LogStage.RESPONSE, operation, key)
            await uow.commit()
        return moved or payment

    async def _apply(
        self,
        uow: UnitOfWork,
        payment: Payment,
        report: ProviderPayment,
        stage: LogStage,
        operation: str,
        key: str | None,
    ) -> Payment | None:
        """Apply ``report`` to the locked ``payment``: the move, its ledger entries, the
        log line. Returns the moved payment, or None when the report moved nothing."""
        moved = payment.observe(report)
        now = self.clock.now()
        if moved is not None:
            await uow.payments.update(moved)
            await uow.ledger.add(payment_movements(payment, moved, now))
        summary = (
            f"{payment.state.value} → {moved.state.value}"
            if moved is not None
            else f"reported {report.state.value}; nothing to change ({payment.state.value})"
        )
        if report.failure_code:
            summary += f" ({report.failure_code}: {report.failure_message})"
        await uow.payment_log.add(_entry(payment, now, stage, operation, summary, key, report.raw))
        return moved

    async def _locked(self, uow: UnitOfWork, payment_id: str) -> Payment:
        payment = await uow.payments.get(payment_id, for_update=True)
        if payment is None:
            raise NotFound(f"payment {payment_id} does not exist")
        return payment

    async def _log_request(
        self, uow: UnitOfWork, payment: Payment, operation: str, key: str, summary: str
    ) -> None:
        await uow.payment_log.add(
            _entry(payment, self.clock.now(), LogStage.REQUEST, operation, summary, key)
        )

    async def _log(
        self,
        payment: Payment,
        stage: LogStage,
        operation: str,
        summary: str,
        key: str | None,
        payload: Mapping[str, Any],
    ) -> None:
        async with self.uow_factory() as uow:
            await uow.payment_log.add(
                _entry(payment, self.clock.now(), stage, operation, summary, key, payload)
            )
            await uow.commit()


def _new_payment(
    customer_id: str,
    provider: str,
    purpose: PaymentPurpose,
    amount: MinorAmount,
    transaction_id: int | None,
) -> Payment:
    nothing = MinorAmount(0, amount.currency)
    return Payment(
        id=f"pay_{uuid.uuid4().hex}",
        customer_id=customer_id,
        provider=provider,
        purpose=purpose,
        state=PaymentState.REQUIRES_ACTION,
        authorized=amount,
        captured=nothing,
        refunded=nothing,
        transaction_id=transaction_id,
    )


def _reference(payment: Payment) -> str:
    if payment.reference is None:
        raise Conflict(
            f"payment {payment.id} has no provider reference yet", code="payment_not_created"
        )
    return payment.reference


def _entry(
    payment: Payment,
    at: datetime,
    stage: LogStage,
    operation: str,
    summary: str,
    key: str | None,
    payload: Mapping[str, Any] | None = None,
) -> PaymentLogEntry:
    return PaymentLogEntry(
        payment_id=payment.id,
        provider=payment.provider,
        stage=stage,
        operation=operation,
        at=at,
        summary=summary,
        idempotency_key=key,
        payload=payload or {},
    )
