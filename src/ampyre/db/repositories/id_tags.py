"""Id tags ⇄ ``id_tags`` rows."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ampyre.db.repositories.base import AnyRow, insert_unique, paged, require_one_row
from ampyre.db.tables import id_tags
from ampyre.domain.id_tags import IdTag, TagStatus
from ampyre.services.records import Page


class SqlIdTagRepository:
    """``IdTagRepository`` over one connection; never commits."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, id_tag: str) -> IdTag | None:
        row = (
            await self._conn.execute(sa.select(id_tags).where(id_tags.c.id_tag == id_tag))
        ).one_or_none()
        return None if row is None else _id_tag(row)

    async def list(self, page: Page, *, search: str | None = None) -> list[IdTag]:
        """Ordered by tag; ``search`` matches a substring of the tag or the note, ignoring
        case (``%`` and ``_`` match themselves).
        """
        statement = sa.select(id_tags).order_by(id_tags.c.id_tag)
        if search:
            statement = statement.where(
                sa.or_(
                    id_tags.c.id_tag.icontains(search, autoescape=True),
                    id_tags.c.note.icontains(search, autoescape=True),
                )
            )
        return [_id_tag(row) for row in await self._conn.execute(paged(statement, page))]

    async def add(self, tag: IdTag) -> None:
        """Raises ``Conflict`` when the tag exists."""
        await insert_unique(
            self._conn,
            sa.insert(id_tags).values(id_tag=tag.id_tag, **_columns(tag)),
            exists=lambda: self._exists(tag.id_tag),
            what=f"id tag {tag.id_tag!r}",
        )

    async def update(self, tag: IdTag) -> None:
        """Raises ``NotFound`` when there is no such tag."""
        result = await self._conn.execute(
            sa.update(id_tags).where(id_tags.c.id_tag == tag.id_tag).values(**_columns(tag))
        )
        require_one_row(result, f"id tag {tag.id_tag!r}")

    async def delete(self, id_tag: str) -> None:
        await self._conn.execute(sa.delete(id_tags).where(id_tags.c.id_tag == id_tag))

    async def _exists(self, id_tag: str) -> bool:
        return await self.get(id_tag) is not None


def _columns(tag: IdTag) -> dict[str, Any]:
    return {
        "status": tag.status.value,
        "expires_at": tag.expires_at,
        "parent_id_tag": tag.parent_id_tag,
        "note": tag.note,
    }


def _id_tag(row: AnyRow) -> IdTag:
    return IdTag(
        id_tag=row.id_tag,
        status=TagStatus(row.status),
        expires_at=row.expires_at,
        parent_id_tag=row.parent_id_tag,
        note=row.note,
    )
