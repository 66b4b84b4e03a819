"""Charging token request and response models, and the CSV import report."""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, Field

from ampyre.api.schemas.common import ApiModel, UtcTime
from ampyre.domain.tokens import PRINTED_NUMBER_MAX, Token, TokenKind, TokenStatus
from ampyre.formats.token_csv import CellError

_CONTRACT_ID = Field(
    min_length=1,
    max_length=40,
    description="The contract's eMAID, compact or hyphenated; its check digit is optional "
    "(checked when given).",
    examples=["PL-AMP-C00000001-1"],
)


class TokenCreate(ApiModel):
    kind: TokenKind
    contract_id: str = _CONTRACT_ID
    uid: str | None = Field(
        default=None,
        min_length=1,
        max_length=20,
        description="RFID: the card's chip id as stations report it (required). Vehicle: the "
        "car's MAC address, stored as `VID:` + 12 hex digits (required). App: leave out to "
        "have one generated.",
        examples=["04A2B3C4D5E6F7"],
    )
    printed_number: str | None = Field(
        default=None,
        min_length=1,
        max_length=PRINTED_NUMBER_MAX,
        description="The number printed on the card (RFID only).",
    )
    expires_at: AwareDatetime | None = Field(
        default=None, description="After this time the token is refused as expired."
    )
    card_fee: bool | None = Field(
        default=None,
        description="Bill the plan's card fee for this card (RFID only). Left out: yes when "
        "the contract's plan has a card fee.",
    )


class ReasonModel(ApiModel):
    reason: str | None = Field(
        default=None, max_length=500, description="Why, for the operator's log."
    )


class TokenOut(BaseModel):
    uid: str
    kind: TokenKind
    contract_id: str = Field(description="The contract's eMAID, compact.")
    status: TokenStatus
    issued_at: UtcTime
    expires_at: UtcTime | None
    printed_number: str | None
    card_fee: bool

    @classmethod
    def from_domain(cls, token: Token) -> TokenOut:
        return cls(
            uid=token.uid,
            kind=token.kind,
            contract_id=token.contract_id.compact,
            status=token.status,
            issued_at=token.issued_at,
            expires_at=token.expires_at,
            printed_number=token.printed_number,
            card_fee=token.card_fee,
        )


class ImportedOut(BaseModel):
    rows: int = Field(description="Data rows in the file.")
    imported: int = Field(description="Tokens issued (0 for a dry run).")
    dry_run: bool


def row_error_details(errors: tuple[CellError, ...]) -> list[dict[str, Any]]:
    """The ``error.details`` of a rejected import: ``line`` (the header is line 1),
    ``column`` (null: the row as a whole) and ``message``."""
    return [{"line": e.line, "column": e.column, "message": e.message} for e in errors]
