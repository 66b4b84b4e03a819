"""API token request and response models (the secret appears once, at creation)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ampyre.api.schemas.common import ApiModel, UtcTime
from ampyre.services.api_tokens import NAME_MAX_LENGTH
from ampyre.services.records import ApiToken, Role


class TokenCreate(ApiModel):
    name: str = Field(min_length=1, max_length=NAME_MAX_LENGTH, examples=["billing export"])
    role: Role = Field(description="What the token may do.", examples=["readonly"])


class TokenOut(BaseModel):
    id: int
    name: str
    role: Role
    created_at: UtcTime
    revoked_at: UtcTime | None
    last_used_at: UtcTime | None

    @classmethod
    def from_domain(cls, token: ApiToken) -> TokenOut:
        if token.id is None:
            raise ValueError("only a stored token (with an id) can be shown")
        return cls(
            id=token.id,
            name=token.name,
            role=token.role,
            created_at=token.created_at,
            revoked_at=token.revoked_at,
            last_used_at=token.last_used_at,
        )


class TokenCreated(BaseModel):
    token: TokenOut
    secret: str = Field(
        description="Send as `Authorization: Bearer <secret>`. Shown only now.",
        examples=["ampyre_2v4Qm2n0m0b3yQ3JH8gqk8q2v3m4n5b6v7c8x9z0a1s"],
    )
