"""/payments: one payment with its ledger entries and log; the providers' webhooks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from ampyre.api.auth import acting
from ampyre.api.dependencies import Services
from ampyre.api.schemas.common import error_responses
from ampyre.api.schemas.payments import PaymentOut, WebhookReceivedOut
from ampyre.domain.errors import ValidationFailed
from ampyre.services.access import Actor
from ampyre.services.access import Permission as P

router = APIRouter(prefix="/payments", tags=["payments"])

Reader = Annotated[Actor, acting(P.PAYMENTS_READ)]
MAX_WEBHOOK_BYTES = 1_000_000


@router.get(
    "/{payment_id}",
    summary="A payment, the money it moved and every step (requests, answers, webhooks)",
    responses=error_responses(404),
)
async def get_payment(
    payment_id: Annotated[str, Path(max_length=40)], services: Services, actor: Reader
) -> PaymentOut:
    return PaymentOut.from_statement(await services.payments.get(actor, payment_id))


@router.post(
    "/webhooks/{provider}",
    summary="A payment provider's webhook (no token: verified by its signature)",
    responses=error_responses(400, 404),
)
async def receive_webhook(
    provider: Annotated[str, Path(max_length=32, pattern=r"^[a-z0-9_-]+$")],
    request: Request,
    services: Services,
) -> WebhookReceivedOut:
    """The signature is checked on the raw body as received; a duplicate event is
    acknowledged and changes nothing, so the provider stops resending it."""
    body = await request.body()
    if len(body) > MAX_WEBHOOK_BYTES:
        raise ValidationFailed("a webhook body is at most 1 MB")
    outcome = await services.payments.do_handle_webhook(provider, body, dict(request.headers))
    return WebhookReceivedOut.from_outcome(outcome)
