"""Refund ("cashback") requests: asked for, judged by the rules, approved or rejected by
support, and paid back through the session's payment (issue 5; domain.refunds).

A request the rules approve is paid back by :meth:`RefundService.do_pay_due`, which a worker
runs every few seconds, so it is paid well within ``AUTO_REFUND_WITHIN`` of the request.
Paying back follows the payment service's rules: the request's id is the refund's
idempotency key, so a retried payer pays back once. A payer claims the requests it takes
for ``CLAIM_FOR`` (committed before the provider is called, since no database transaction
stays open across a provider call); a crashed payer's requests are taken again after that.
"""

from __future__ import annotations

import builtins
import logging
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from ampyre.domain.errors import Conflict, DomainError, NotFound, ValidationFailed
from ampyre.domain.payments import MinorAmount, Payment
from ampyre.domain.refunds import (
    AUTO_REFUND_WITHIN,
    REASON_MAX,
    RefundRules,
    RefundStatus,
    SessionOutcome,
)
from ampyre.domain.transactions import Transaction
from ampyre.services.access import Actor, Permission, check_permission
from ampyre.services.payment_port import PaymentProviderUnavailable
from ampyre.services.payment_store import RefundRequest
from ampyre.services.payments import PaymentService
from ampyre.services.ports import Clock, UnitOfWork, UnitOfWorkFactory
from ampyre.services.records import Page

log = logging.getLogger(__name__)

CLAIM_FOR = timedelta(minutes=2)
"""How long a payer has a request to itself while the provider pays it back."""
PROVIDER_REASON_MAX = 500
"""Providers keep the reason as metadata (Stripe: at most 500 characters)."""
NO_ERROR = "NoError"
_HISTORY_PAGE = 200
_HISTORY_PAGES = 10
"""At most this many pages of a connector's status history are read per request."""
_OPEN = frozenset({RefundStatus.PENDING_APPROVAL, RefundStatus.APPROVED})
_DECIDABLE = frozenset({RefundStatus.PENDING_APPROVAL, RefundStatus.FAILED})


@dataclass(frozen=True, slots=True)
class RefundService:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    payments: PaymentService
    rules: RefundRules

    async def do_request(
        self, actor: Actor, transaction_id: int, amount: Decimal | None, reason: str
    ) -> RefundRequest:
        """A driver's request (made by support on their behalf) to get ``amount`` of the
        session's payment back (None: all that is still refundable). The rules approve it
        at once, or it waits for support. ``ValidationFailed`` when it is more than was
        captured less what was refunded or is asked for in other open requests; ``Conflict``
        (``not_refundable``) when the session was not paid."""
        check_permission(actor, Permission.CUSTOMERS_WRITE)
        reason = reason.strip()
        if not reason or len(reason) > REASON_MAX:
            raise ValidationFailed(f"a refund reason has 1 to {REASON_MAX} characters")
        now = self.clock.now()
        async with self.uow_factory() as uow:
            transaction = await uow.transactions.get(transaction_id)
            if transaction is None:
                raise NotFound(f"transaction {transaction_id} does not exist")
            if transaction.active:
                raise Conflict(
                    f"transaction {transaction_id} is still running", code="not_refundable"
                )
            payment = await self._session_payment(uow, transaction_id)
            open_requests = [
                r for r in await uow.refunds.of_transaction(transaction_id) if r.status in _OPEN
            ]
            asked = sum(r.amount.value for r in open_requests)
            refundable = MinorAmount(max(payment.refundable.value - asked, 0), payment.currency)
            requested = refundable if amount is None else MinorAmount.of(amount, payment.currency)
            outcome = SessionOutcome(
                energy_kwh=await _energy_kwh(uow, transaction),
                stop_reason=transaction.stop_reason,
                connector_faulted=await _connector_faulted(uow, transaction),
                requested=requested,
                refundable=refundable,
            )
            decision = self.rules.judge(outcome)
            request = RefundRequest(
                id=f"rfd_{uuid.uuid4().hex}",
                transaction_id=transaction_id,
                payment_id=payment.id,
                customer_id=payment.customer_id,
                amount=requested,
                reason=reason,
                status=(
                    RefundStatus.APPROVED if decision.automatic else RefundStatus.PENDING_APPROVAL
                ),
                automatic=decision.automatic,
                decision_reason=decision.reason,
                requested_at=now,
                requested_by=actor.name,
                due_by=now + AUTO_REFUND_WITHIN if decision.automatic else None,
                decided_at=now if decision.automatic else None,
            )
            await uow.refunds.add(request)
            await uow.commit()
        return request

    async def do_approve(self, actor: Actor, refund_id: str) -> RefundRequest:
        """Support approves a waiting (or failed) request: it is paid back within
        ``AUTO_REFUND_WITHIN`` from now."""
        check_permission(actor, Permission.REFUNDS_APPROVE)
        now = self.clock.now()
        async with self.uow_factory() as uow:
            request = await self._decidable(uow, refund_id)
            approved = replace(
                request,
                status=RefundStatus.APPROVED,
                decided_by=actor.name,
                decided_at=now,
                due_by=now + AUTO_REFUND_WITHIN,
                claimed_until=None,
                failure_message=None,
            )
            await uow.refunds.update(approved)
            await uow.commit()
        return approved

    async def do_reject(self, actor: Actor, refund_id: str, reason: str) -> RefundRequest:
        """Support rejects a waiting (or failed) request, saying why (the driver is told)."""
        check_permission(actor, Permission.REFUNDS_APPROVE)
        reason = reason.strip()
        if not reason or len(reason) > REASON_MAX:
            raise ValidationFailed(f"a rejection reason has 1 to {REASON_MAX} characters")
        now = self.clock.now()
        async with self.uow_factory() as uow:
            request = await self._decidable(uow, refund_id)
            rejected = replace(
                request,
                status=RefundStatus.REJECTED,
                decided_by=actor.name,
                decided_at=now,
                decision_reason=reason,
                due_by=None,
            )
            await uow.refunds.update(rejected)
            await uow.commit()
        return rejected

    async def list(
        self, actor: Actor, status: RefundStatus | None = None, page: Page | None = None
    ) -> builtins.list[RefundRequest]:
        """Newest first; e.g. ``PENDING_APPROVAL`` is support's queue."""
        check_permission(actor, Permission.PAYMENTS_READ)
        async with self.uow_factory() as uow:
            return await uow.refunds.list(status, page or Page())

    async def do_pay_due(self, limit: int = 100) -> int:
        """Pay back up to ``limit`` approved requests, the one due first first; returns how
        many were paid. One the provider refuses becomes FAILED with its message; one that
        gets no answer stays APPROVED and is tried again on the next run."""
        now = self.clock.now()
        async with self.uow_factory() as uow:
            due = await uow.refunds.due(now, limit)
            for request in due:
                await uow.refunds.update(replace(request, claimed_until=now + CLAIM_FOR))
            await uow.commit()
        paid = 0
        for request in due:
            paid += await self._pay(request)
        return paid

    async def _pay(self, request: RefundRequest) -> int:
        try:
            await self.payments.do_refund(
                request.payment_id,
                request.amount,
                reason=request.reason[:PROVIDER_REASON_MAX],
                refund_id=request.id,
            )
        except PaymentProviderUnavailable as exc:
            log.warning("refund %s got no answer; trying again later", request.id)
            await self._settle(request.id, RefundStatus.APPROVED, None, exc.message)
            return 0
        except DomainError as exc:
            log.warning("refund %s failed: %s", request.id, exc.message)
            await self._settle(request.id, RefundStatus.FAILED, None, exc.message)
            return 0
        await self._settle(request.id, RefundStatus.PAID, self.clock.now(), None)
        return 1

    async def _settle(
        self, refund_id: str, status: RefundStatus, paid_at: datetime | None, failure: str | None
    ) -> None:
        async with self.uow_factory() as uow:
            request = await uow.refunds.get(refund_id, for_update=True)
            if request is None or request.status is not RefundStatus.APPROVED:
                return
            await uow.refunds.update(
                replace(
                    request,
                    status=status,
                    paid_at=paid_at,
                    claimed_until=None,
                    failure_message=failure,
                )
            )
            await uow.commit()

    async def _session_payment(self, uow: UnitOfWork, transaction_id: int) -> Payment:
        found = await uow.payments.for_transaction(transaction_id)
        # Lock the payment: concurrent requests for one session are judged one after another.
        payment = None if found is None else await uow.payments.get(found.id, for_update=True)
        if payment is None or payment.captured.value == 0:
            raise Conflict(
                f"transaction {transaction_id} has no captured payment to refund",
                code="not_refundable",
            )
        return payment

    async def _decidable(self, uow: UnitOfWork, refund_id: str) -> RefundRequest:
        request = await uow.refunds.get(refund_id, for_update=True)
        if request is None:
            raise NotFound(f"refund request {refund_id} does not exist")
        if request.status not in _DECIDABLE:
            raise Conflict(
                f"refund request {refund_id} is {request.status.value}: only a pending or "
                "failed request can be approved or rejected",
                code="refund_not_pending",
            )
        return request


async def _energy_kwh(uow: UnitOfWork, transaction: Transaction) -> Decimal:
    """The energy of the session's latest CDR (what the driver was charged for), else the
    transaction's meter readings."""
    cdrs = [c for c in await uow.cdrs.for_transaction(transaction.id) if not c.is_credit]
    if cdrs:
        return cdrs[-1].energy_kwh
    return Decimal(transaction.energy_wh) / 1000


async def _connector_faulted(uow: UnitOfWork, transaction: Transaction) -> bool:
    """Whether the connector (or the whole station, connector 0) reported an error code
    other than NoError while the session ran."""
    start = transaction.start_received_at
    end = transaction.stop_received_at or transaction.stopped_at
    for connector_id in (transaction.connector_id, 0):
        for number in range(_HISTORY_PAGES):
            page = Page(_HISTORY_PAGE, number * _HISTORY_PAGE)
            changes = await uow.connectors.status_history(
                transaction.station_id, connector_id, page
            )
            for change in changes:  # newest first
                if end is not None and change.received_at > end:
                    continue
                if change.received_at < start:
                    break
                if change.error_code != NO_ERROR or change.status == "Faulted":
                    return True
            else:
                if len(changes) == _HISTORY_PAGE:
                    continue
            break
    return False
