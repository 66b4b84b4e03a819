"""Authorisation log response models."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ampyre.api.schemas.common import UtcTime
from ampyre.domain.authorization import AuthorizationAttempt, AuthorizationTrigger
from ampyre.domain.id_tags import AuthorizationStatus
from ampyre.domain.tokens import TokenKind


class AuthorizationOut(BaseModel):
    id: int
    at: UtcTime = Field(description="When the request was made.")
    trigger: AuthorizationTrigger = Field(description="What asked for the authorisation.")
    uid: str = Field(description="The idTag presented.")
    status: AuthorizationStatus = Field(description="The answer (OCPP 1.6 idTagInfo.status).")
    reason: str = Field(description="Why, for a person to read.")
    station_id: str | None
    connector_id: int | None
    token_kind: TokenKind | None = Field(description="Null: an operator tag or an unknown uid.")
    contract_id: str | None = Field(description="The token's contract (compact eMAID).")
    customer_id: str | None
    tariff_id: str | None = Field(description="The tariff that would price the session.")
    transaction_id: int | None

    @classmethod
    def from_domain(cls, attempt: AuthorizationAttempt) -> AuthorizationOut:
        if attempt.id is None:
            raise ValueError("only a stored authorisation attempt can be shown")
        return cls(
            id=attempt.id,
            at=attempt.at,
            trigger=attempt.trigger,
            uid=attempt.uid,
            status=attempt.status,
            reason=attempt.reason,
            station_id=attempt.station_id,
            connector_id=attempt.connector_id,
            token_kind=attempt.token_kind,
            contract_id=attempt.contract_id,
            customer_id=attempt.customer_id,
            tariff_id=attempt.tariff_id,
            transaction_id=attempt.transaction_id,
        )
