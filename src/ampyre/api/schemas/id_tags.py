"""Id tag request and response models."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, Field

from ampyre.api.schemas.common import ApiModel, PatchModel, UtcTime, given, given_value
from ampyre.domain.id_tags import ID_TAG_MAX_LENGTH, IdTag, TagStatus
from ampyre.services.id_tags import NOTE_MAX_LENGTH, IdTagUpdate

_TAG_PATTERN = rf"^[\x21-\x7e]{{1,{ID_TAG_MAX_LENGTH}}}$"
_EXPIRES = Field(
    default=None,
    description="After this time the tag is answered Expired; with a time zone.",
    examples=["2030-01-01T00:00:00Z"],
)
_PARENT = Field(
    default=None,
    pattern=_TAG_PATTERN,
    description="Group id: cards with the same parent may stop each other's sessions.",
    examples=["FLEET-ACME"],
)
_NOTE = Field(default=None, max_length=NOTE_MAX_LENGTH, examples=["Ann's card"])


class IdTagCreate(ApiModel):
    id_tag: str = Field(
        pattern=_TAG_PATTERN,
        description="OCPP 1.6 IdToken: 1-20 printable ASCII characters.",
        examples=["04A2B3C4D5E6F7"],
    )
    status: TagStatus = TagStatus.ACTIVE
    expires_at: AwareDatetime | None = _EXPIRES
    parent_id_tag: str | None = _PARENT
    note: str | None = _NOTE

    def to_domain(self) -> IdTag:
        return IdTag(self.id_tag, self.status, self.expires_at, self.parent_id_tag, self.note)


class IdTagPatch(PatchModel):
    """Only the fields sent are changed; `null` clears expiry, parent or note."""

    not_nullable = ("status",)

    status: TagStatus | None = Field(default=None, description="`Blocked` to block the tag.")
    expires_at: AwareDatetime | None = _EXPIRES
    parent_id_tag: str | None = _PARENT
    note: str | None = _NOTE

    def to_update(self) -> IdTagUpdate:
        return IdTagUpdate(
            status=given_value(self, "status", self.status),
            expires_at=given(self, "expires_at", self.expires_at),
            parent_id_tag=given(self, "parent_id_tag", self.parent_id_tag),
            note=given(self, "note", self.note),
        )


class IdTagOut(BaseModel):
    id_tag: str
    status: TagStatus
    expires_at: UtcTime | None
    parent_id_tag: str | None
    note: str | None

    @classmethod
    def from_domain(cls, tag: IdTag) -> IdTagOut:
        return cls(
            id_tag=tag.id_tag,
            status=tag.status,
            expires_at=tag.expires_at,
            parent_id_tag=tag.parent_id_tag,
            note=tag.note,
        )
