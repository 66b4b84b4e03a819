"""API bearer tokens: create (the secret is shown once), check, list, revoke.

A token secret is ``ampyre_`` followed by 32 random bytes in URL-safe base64 (256 bits), so a
plain SHA-256 of it is a safe thing to store and look up (no salt or slow hash is needed for
secrets of that entropy, unlike human passwords).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace

from ampyre.domain.errors import NotFound, ValidationFailed
from ampyre.services.access import Actor, Permission, Unauthenticated, check_permission
from ampyre.services.ports import Clock, UnitOfWorkFactory
from ampyre.services.records import ApiToken, Role

TOKEN_PREFIX = "ampyre_"  # noqa: S105 - a public marker, not a secret
NAME_MAX_LENGTH = 100
_SECRET_MAX_LENGTH = 200


def new_token_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(secret: str) -> str:
    """SHA-256 hex of the secret: what the database keeps."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ApiTokenService:
    uow_factory: UnitOfWorkFactory
    clock: Clock

    async def do_create_token(
        self, actor: Actor | None, name: str, role: Role | str
    ) -> tuple[ApiToken, str]:
        """A new token and its secret (returned only here: it cannot be recovered).

        ``actor`` None is the command-line bootstrap (``ampyre tokens create``), run by
        someone who already controls the server; everyone else needs API_TOKENS_MANAGE.
        ``role`` may be given by its value (``"admin"``), as on the command line.
        """
        if actor is not None:
            check_permission(actor, Permission.API_TOKENS_MANAGE)
        name = name.strip()
        if not 1 <= len(name) <= NAME_MAX_LENGTH:
            raise ValidationFailed(f"a token name must be 1-{NAME_MAX_LENGTH} characters")
        try:
            token_role = Role(role)
        except ValueError as exc:
            roles = ", ".join(r.value for r in Role)
            raise ValidationFailed(f"unknown role {role!r}; roles are {roles}") from exc
        secret = new_token_secret()
        token = ApiToken(
            id=None,
            name=name,
            role=token_role,
            token_hash=token_hash(secret),
            created_at=self.clock.now(),
        )
        async with self.uow_factory() as uow:
            token_id = await uow.api_tokens.add(token)
            await uow.commit()
        return replace(token, id=token_id), secret

    async def check_token(self, secret: str) -> Actor:
        """The actor a bearer secret stands for; ``Unauthenticated`` when it is unknown,
        malformed or revoked (one message for all, so a caller learns nothing)."""
        if not secret.startswith(TOKEN_PREFIX) or len(secret) > _SECRET_MAX_LENGTH:
            raise Unauthenticated("invalid or revoked API token")
        async with self.uow_factory() as uow:
            token = await uow.api_tokens.get_by_hash(token_hash(secret))
        if token is None or token.revoked_at is not None:
            raise Unauthenticated("invalid or revoked API token")
        return Actor(name=f"token:{token.name}", role=token.role)

    async def list_tokens(self, actor: Actor) -> list[ApiToken]:
        check_permission(actor, Permission.API_TOKENS_MANAGE)
        async with self.uow_factory() as uow:
            return await uow.api_tokens.list()

    async def do_revoke_token(self, actor: Actor, token_id: int) -> ApiToken:
        """Revoke a token for good; revoking it again changes nothing."""
        check_permission(actor, Permission.API_TOKENS_MANAGE)
        now = self.clock.now()
        async with self.uow_factory() as uow:
            token = next((t for t in await uow.api_tokens.list() if t.id == token_id), None)
            if token is None:
                raise NotFound(f"API token {token_id} does not exist")
            if token.revoked_at is not None:
                return token
            await uow.api_tokens.revoke(token_id, now)
            await uow.commit()
        return replace(token, revoked_at=now)
