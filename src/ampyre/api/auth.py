"""Bearer-token authentication: ``Authorization: Bearer ampyre_...`` → the calling ``Actor``.

A missing, malformed, unknown or revoked token is a 401; a known token whose role lacks the
permission is a 403. The permission is checked here as well as in the use case so that a
caller without access gets 403 before any request validation runs; the use case's own check
is the one that guarantees the rule.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ampyre.api.dependencies import Services
from ampyre.services.access import Actor, Permission, Unauthenticated, check_permission

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="ApiToken",
    description="An API token created with `ampyre tokens create` or `POST /tokens`.",
)


async def current_actor(
    services: Services,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Actor:
    if credentials is None:
        raise Unauthenticated("send an API token as 'Authorization: Bearer <token>'")
    return await services.tokens.check_token(credentials.credentials)


def permitted(permission: Permission) -> Callable[..., Awaitable[Actor]]:
    """A dependency giving the authenticated actor, or 403 without ``permission``."""

    async def actor_with_permission(
        actor: Annotated[Actor, Depends(current_actor)],
    ) -> Actor:
        check_permission(actor, permission)
        return actor

    return actor_with_permission


def acting(permission: Permission) -> Any:
    """``Annotated[Actor, acting(Permission.X)]``: the caller, who must hold ``X``."""
    return Depends(permitted(permission))
