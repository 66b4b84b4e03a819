"""/tokens: API tokens (administrators only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from ampyre.api.auth import acting
from ampyre.api.dependencies import Services
from ampyre.api.schemas.common import error_responses
from ampyre.api.schemas.tokens import TokenCreate, TokenCreated, TokenOut
from ampyre.services.access import Actor
from ampyre.services.access import Permission as P

router = APIRouter(prefix="/tokens", tags=["tokens"])

Admin = Annotated[Actor, acting(P.API_TOKENS_MANAGE)]


@router.get("", summary="List API tokens (revoked ones too)")
async def list_tokens(services: Services, actor: Admin) -> list[TokenOut]:
    return [TokenOut.from_domain(t) for t in await services.tokens.list_tokens(actor)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create an API token",
    description="The secret is in the answer only: store it, it cannot be shown again.",
)
async def create_token(body: TokenCreate, services: Services, actor: Admin) -> TokenCreated:
    token, secret = await services.tokens.do_create_token(actor, body.name, body.role)
    return TokenCreated(token=TokenOut.from_domain(token), secret=secret)


@router.delete(
    "/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke an API token",
    description="Requests with the token fail from now on; revoking twice is harmless.",
    responses=error_responses(404),
)
async def revoke_token(token_id: Annotated[int, Path()], services: Services, actor: Admin) -> None:
    await services.tokens.do_revoke_token(actor, token_id)
