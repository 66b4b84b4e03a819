"""/payment-providers: connect payment provider accounts with their keys (stored encrypted,
shown only masked), test them, choose the active one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from ampyre.api.auth import acting
from ampyre.api.dependencies import Services
from ampyre.api.schemas.common import error_responses
from ampyre.api.schemas.payment_providers import (
    ConnectionCheckOut,
    ProviderAccountCreate,
    ProviderAccountOut,
    ProviderAccountPatch,
    ProviderSpecOut,
)
from ampyre.services.access import Actor
from ampyre.services.access import Permission as P

router = APIRouter(prefix="/payment-providers", tags=["payment providers"])

AccountParam = Annotated[str, Path(max_length=36, description="The provider account's id.")]
Configurer = Annotated[Actor, acting(P.PAYMENTS_CONFIGURE)]


@router.get("/specs", summary="The payment providers that can be connected, and their fields")
async def list_specs(services: Services, actor: Configurer) -> list[ProviderSpecOut]:
    return [ProviderSpecOut.from_choice(c) for c in services.payment_providers.list_specs(actor)]


@router.get("", summary="List connected provider accounts (secrets masked)")
async def list_accounts(services: Services, actor: Configurer) -> list[ProviderAccountOut]:
    found = await services.payment_providers.list_accounts(actor)
    return [ProviderAccountOut.from_view(v) for v in found]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Connect a provider account with its keys",
    responses=error_responses(409, 422),
)
async def configure(
    body: ProviderAccountCreate, services: Services, actor: Configurer
) -> ProviderAccountOut:
    """Every required field of the provider, and no other; the adapter checks the values
    (without calling the provider: use `/test` for that). Secrets are stored encrypted with
    the server's key (AMPYRE_SECRET_KEYS; 409 `secret_keys_missing` without one). A test-only
    provider is refused in a production configuration."""
    created = await services.payment_providers.do_configure(actor, body.to_new())
    return ProviderAccountOut.from_view(created)


@router.get(
    "/{account_id}",
    summary="Get a provider account (secrets masked)",
    responses=error_responses(404),
)
async def get_account(
    account_id: AccountParam, services: Services, actor: Configurer
) -> ProviderAccountOut:
    view = await services.payment_providers.get_account(actor, account_id)
    return ProviderAccountOut.from_view(view)


@router.patch(
    "/{account_id}",
    summary="Change a provider account's label or fields (secrets only when sent)",
    responses=error_responses(404, 409),
)
async def update_account(
    account_id: AccountParam, body: ProviderAccountPatch, services: Services, actor: Configurer
) -> ProviderAccountOut:
    changed = await services.payment_providers.do_update(actor, account_id, body.to_update())
    return ProviderAccountOut.from_view(changed)


@router.delete(
    "/{account_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Remove a provider account and its keys (not the active one)",
    responses=error_responses(404, 409),
)
async def remove_account(account_id: AccountParam, services: Services, actor: Configurer) -> None:
    await services.payment_providers.do_remove(actor, account_id)


@router.post(
    "/{account_id}/activate",
    summary="Make this the account new payments go to",
    responses=error_responses(404, 409),
)
async def activate(
    account_id: AccountParam, services: Services, actor: Configurer
) -> ProviderAccountOut:
    """The account active before is deactivated in the same step."""
    view = await services.payment_providers.do_activate(actor, account_id)
    return ProviderAccountOut.from_view(view)


@router.post(
    "/{account_id}/deactivate",
    summary="Send no more payments to this account",
    responses=error_responses(404),
)
async def deactivate(
    account_id: AccountParam, services: Services, actor: Configurer
) -> ProviderAccountOut:
    view = await services.payment_providers.do_deactivate(actor, account_id)
    return ProviderAccountOut.from_view(view)


@router.post(
    "/{account_id}/test",
    summary="Test the connection with the stored keys",
    responses=error_responses(404, 409),
)
async def test_connection(
    account_id: AccountParam, services: Services, actor: Configurer
) -> ConnectionCheckOut:
    """A read-only call to the provider. A failure is the answer (`ok` false and what went
    wrong), not an error status."""
    check = await services.payment_providers.do_test_connection(actor, account_id)
    return ConnectionCheckOut.from_check(check)
