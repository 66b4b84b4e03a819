"""Id tags (RFID cards and other tokens) and the OCPP 1.6 authorisation decision.

OCPP 1.6 §7.15 IdTagInfo: status, optional expiry date and parent id tag. A parent id tag
groups cards: a transaction started with one card may be stopped with another card of the same
group (OCPP 1.6 §3.5.2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ampyre.domain.errors import ValidationFailed

ID_TAG_MAX_LENGTH = 20
"""OCPP 1.6 IdToken is a CiString20Type."""

_ID_TAG_PATTERN = re.compile(r"^[\x21-\x7e]{1,20}$")


class TagStatus(StrEnum):
    """What the operator set on a tag; expiry is a separate date."""

    ACTIVE = "Active"
    BLOCKED = "Blocked"


class AuthorizationStatus(StrEnum):
    """OCPP 1.6 §7.2 AuthorizationStatus."""

    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"
    CONCURRENT_TX = "ConcurrentTx"


@dataclass(slots=True)
class IdTag:
    id_tag: str
    status: TagStatus = TagStatus.ACTIVE
    expires_at: datetime | None = None
    parent_id_tag: str | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        validate_id_tag(self.id_tag)
        if self.parent_id_tag is not None:
            validate_id_tag(self.parent_id_tag)


@dataclass(frozen=True, slots=True)
class Authorization:
    """The answer to an authorisation request, with the reason kept for the log."""

    status: AuthorizationStatus
    reason: str
    expires_at: datetime | None = None
    parent_id_tag: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status is AuthorizationStatus.ACCEPTED


def validate_id_tag(value: str) -> str:
    """Raise ``ValidationFailed`` unless ``value`` is 1-20 printable ASCII characters."""
    if not _ID_TAG_PATTERN.match(value):
        raise ValidationFailed(f"id tag {value!r} must be 1-20 printable ASCII characters")
    return value


def decide_authorization(
    tag: IdTag | None, *, now: datetime, has_other_active_transaction: bool = False
) -> Authorization:
    """Authorise ``tag`` at ``now``.

    ``has_other_active_transaction`` is only relevant for Authorize / StartTransaction of a new
    session: a tag already charging elsewhere gets ``ConcurrentTx`` (OCPP 1.6 §7.2).
    """
    if tag is None:
        return Authorization(AuthorizationStatus.INVALID, "unknown id tag")
    if tag.status is TagStatus.BLOCKED:
        return Authorization(
            AuthorizationStatus.BLOCKED, "tag is blocked", tag.expires_at, tag.parent_id_tag
        )
    if tag.expires_at is not None and tag.expires_at <= now:
        return Authorization(
            AuthorizationStatus.EXPIRED, "tag has expired", tag.expires_at, tag.parent_id_tag
        )
    if has_other_active_transaction:
        return Authorization(
            AuthorizationStatus.CONCURRENT_TX,
            "tag is already in use in another transaction",
            tag.expires_at,
            tag.parent_id_tag,
        )
    return Authorization(AuthorizationStatus.ACCEPTED, "ok", tag.expires_at, tag.parent_id_tag)
