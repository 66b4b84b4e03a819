"""Operator tags: the operator's own cards (staff, service, test) that belong to no contract.

Add, look up, change, delete. Cards of customers are charging tokens of contracts
(:mod:`ampyre.services.charging_tokens`); a uid is one or the other, never both. What a tag
may do at a station is decided by the authorisation pipeline
(:mod:`ampyre.services.authorization`); these use cases only maintain the list (OCPP 1.6
§7.15 IdTagInfo: status, expiry, parent).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from ampyre.domain.errors import Conflict, NotFound, ValidationFailed
from ampyre.domain.id_tags import IdTag, TagStatus
from ampyre.services.access import Actor, Permission, check_permission
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.records import Page
from ampyre.services.updates import KEEP, Keep, merged

NOTE_MAX_LENGTH = 500


def validate_tag(tag: IdTag) -> IdTag:
    """Rules beyond the domain's own: an aware expiry, no self-parent, a short note."""
    if tag.expires_at is not None and tag.expires_at.utcoffset() is None:
        raise ValidationFailed("an expiry date needs a time zone (e.g. 2030-01-01T00:00:00Z)")
    if tag.parent_id_tag == tag.id_tag:
        raise ValidationFailed("an id tag cannot be its own parent")
    if tag.note is not None and len(tag.note) > NOTE_MAX_LENGTH:
        raise ValidationFailed(f"a note is at most {NOTE_MAX_LENGTH} characters")
    return tag


@dataclass(frozen=True, slots=True)
class IdTagUpdate:
    """Fields to change; ``KEEP`` leaves a field as stored, None clears it."""

    status: TagStatus | Keep = KEEP
    expires_at: datetime | Keep | None = KEEP
    parent_id_tag: str | Keep | None = KEEP
    note: str | Keep | None = KEEP


@dataclass(frozen=True, slots=True)
class IdTagService:
    uow_factory: UnitOfWorkFactory

    async def do_add_tag(self, actor: Actor, tag: IdTag) -> IdTag:
        """Add a tag; ``Conflict`` if it exists. The parent need not be a known tag: in
        OCPP 1.6 it is a group id shared by the cards of one account."""
        check_permission(actor, Permission.ID_TAGS_WRITE)
        validate_tag(tag)
        async with self.uow_factory() as uow:
            if await uow.id_tags.get(tag.id_tag) is not None:
                raise Conflict(f"id tag {tag.id_tag} already exists")
            token = await uow.tokens.get(tag.id_tag)
            if token is not None:
                raise Conflict(
                    f"{tag.id_tag} is a charging token of contract {token.contract_id.compact}"
                )
            await uow.id_tags.add(tag)
            await uow.commit()
        return tag

    async def get_tag(self, actor: Actor, id_tag: str) -> IdTag:
        check_permission(actor, Permission.ID_TAGS_READ)
        async with self.uow_factory() as uow:
            tag = await uow.id_tags.get(id_tag)
        if tag is None:
            raise NotFound(f"id tag {id_tag} does not exist")
        return tag

    async def list_tags(
        self, actor: Actor, page: Page, *, search: str | None = None
    ) -> list[IdTag]:
        """Tags in id order; ``search`` keeps those whose id contains the text."""
        check_permission(actor, Permission.ID_TAGS_READ)
        async with self.uow_factory() as uow:
            return await uow.id_tags.list(page, search=search or None)

    async def do_update_tag(self, actor: Actor, id_tag: str, update: IdTagUpdate) -> IdTag:
        """Block or unblock, change expiry, parent or note; the change applies to the next
        authorisation (stations with a local cache may still hold the old answer)."""
        check_permission(actor, Permission.ID_TAGS_WRITE)
        async with self.uow_factory() as uow:
            current = await uow.id_tags.get(id_tag)
            if current is None:
                raise NotFound(f"id tag {id_tag} does not exist")
            changed = validate_tag(
                replace(
                    current,
                    status=merged(update.status, current.status),
                    expires_at=merged(update.expires_at, current.expires_at),
                    parent_id_tag=merged(update.parent_id_tag, current.parent_id_tag),
                    note=merged(update.note, current.note),
                )
            )
            await uow.id_tags.update(changed)
            await uow.commit()
        return changed

    async def do_delete_tag(self, actor: Actor, id_tag: str) -> None:
        """Delete a tag; its past transactions keep the tag text. A deleted tag is answered
        Invalid from then on."""
        check_permission(actor, Permission.ID_TAGS_WRITE)
        async with self.uow_factory() as uow:
            if await uow.id_tags.get(id_tag) is None:
                raise NotFound(f"id tag {id_tag} does not exist")
            await uow.id_tags.delete(id_tag)
            await uow.commit()
