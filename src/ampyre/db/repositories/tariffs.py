"""Tariffs, versions and assignments ⇄ ``tariffs``, ``tariff_versions``, ``tariff_assignments``.

A version is stored as its tariff document (``formats.tariff_document``): amounts as text,
so nothing is lost on either database.
"""

from __future__ import annotations

import builtins
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ampyre.db.repositories.base import AnyRow, insert_unique, paged, require_one_row
from ampyre.db.tables import cdrs, tariff_assignments, tariff_versions, tariffs
from ampyre.domain.errors import Conflict
from ampyre.domain.rating.assignment import AssignmentScope, TariffAssignment
from ampyre.domain.rating.tariff import TariffVersion
from ampyre.formats.tariff_document import tariff_from_document, tariff_to_document
from ampyre.services.records import Page, StoredTariff


class SqlTariffRepository:
    """``TariffRepository`` over one connection; never commits."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, tariff_id: str) -> StoredTariff | None:
        return (await self.get_many([tariff_id])).get(tariff_id)

    async def get_many(self, tariff_ids: Sequence[str]) -> dict[str, StoredTariff]:
        if not tariff_ids:
            return {}
        rows = (
            await self._conn.execute(sa.select(tariffs).where(tariffs.c.id.in_(tariff_ids)))
        ).all()
        return await self._with_versions(rows)

    async def list(self, page: Page) -> list[StoredTariff]:
        rows = (
            await self._conn.execute(paged(sa.select(tariffs).order_by(tariffs.c.id), page))
        ).all()
        found = await self._with_versions(rows)
        return [found[row.id] for row in rows]

    async def add(self, tariff: StoredTariff) -> None:
        await insert_unique(
            self._conn,
            sa.insert(tariffs).values(id=tariff.id, name=tariff.name, currency=tariff.currency),
            exists=lambda: self._exists(tariff.id),
            what=f"tariff {tariff.id!r}",
        )
        for version in tariff.versions:
            await self.add_version(tariff.id, version)

    async def add_version(self, tariff_id: str, version: TariffVersion) -> None:
        await insert_unique(
            self._conn,
            sa.insert(tariff_versions).values(
                tariff_id=tariff_id,
                number=version.number,
                valid_from=version.valid_from,
                valid_until=version.valid_until,
                document=tariff_to_document(version.tariff),
            ),
            exists=lambda: self._version_exists(tariff_id, version.number),
            what=f"version {version.number} of tariff {tariff_id!r}",
        )

    async def end_version(self, tariff_id: str, number: int, valid_until: datetime) -> None:
        result = await self._conn.execute(
            sa.update(tariff_versions)
            .where(tariff_versions.c.tariff_id == tariff_id)
            .where(tariff_versions.c.number == number)
            .values(valid_until=valid_until)
        )
        require_one_row(result, f"version {number} of tariff {tariff_id!r}")

    async def rename(self, tariff_id: str, name: str) -> None:
        result = await self._conn.execute(
            sa.update(tariffs).where(tariffs.c.id == tariff_id).values(name=name)
        )
        require_one_row(result, f"tariff {tariff_id!r}")

    async def delete(self, tariff_id: str) -> None:
        await self._conn.execute(
            sa.delete(tariff_versions).where(tariff_versions.c.tariff_id == tariff_id)
        )
        await self._conn.execute(sa.delete(tariffs).where(tariffs.c.id == tariff_id))

    async def used_by_cdrs(self, tariff_id: str) -> bool:
        row = await self._conn.execute(
            sa.select(cdrs.c.id).where(cdrs.c.tariff_id == tariff_id).limit(1)
        )
        return row.first() is not None

    async def assignments(self) -> builtins.list[TariffAssignment]:
        rows = await self._conn.execute(
            sa.select(tariff_assignments).order_by(tariff_assignments.c.id)
        )
        return [_assignment(row) for row in rows]

    async def add_assignment(self, assignment: TariffAssignment) -> int:
        values = {
            "tariff_id": assignment.tariff_id,
            "scope": assignment.scope.value,
            "target": assignment.target or "",
            "plan_id": assignment.plan_id or "",
            "priority": assignment.priority,
        }
        try:
            result = await insert_unique(
                self._conn,
                sa.insert(tariff_assignments).values(**values).returning(tariff_assignments.c.id),
                exists=lambda: self._assignment_exists(assignment),
                what="an assignment for this scope, target and plan",
            )
        except Conflict as exc:
            where = " ".join(p for p in (assignment.scope.value, assignment.target) if p)
            raise Conflict(
                f"{where} already has a tariff"
                + (f" for plan {assignment.plan_id}" if assignment.plan_id else "")
                + ": remove that assignment first",
                code="already_assigned",
            ) from exc
        new_id: int = result.scalar_one()
        return new_id

    async def delete_assignment(self, assignment_id: int) -> bool:
        result = await self._conn.execute(
            sa.delete(tariff_assignments).where(tariff_assignments.c.id == assignment_id)
        )
        return bool(result.rowcount)

    async def _with_versions(self, rows: Sequence[AnyRow]) -> dict[str, StoredTariff]:
        if not rows:
            return {}
        version_rows = await self._conn.execute(
            sa.select(tariff_versions)
            .where(tariff_versions.c.tariff_id.in_([row.id for row in rows]))
            .order_by(tariff_versions.c.tariff_id, tariff_versions.c.number)
        )
        versions: dict[str, list[TariffVersion]] = defaultdict(list)
        for v in version_rows:
            versions[v.tariff_id].append(
                TariffVersion(
                    number=v.number,
                    tariff=tariff_from_document(v.document),
                    valid_from=v.valid_from,
                    valid_until=v.valid_until,
                )
            )
        return {
            row.id: StoredTariff(
                id=row.id,
                name=row.name,
                currency=row.currency,
                versions=tuple(versions[row.id]),
                created_at=row.created_at,
            )
            for row in rows
        }

    async def _exists(self, tariff_id: str) -> bool:
        row = await self._conn.execute(sa.select(tariffs.c.id).where(tariffs.c.id == tariff_id))
        return row.first() is not None

    async def _version_exists(self, tariff_id: str, number: int) -> bool:
        row = await self._conn.execute(
            sa.select(tariff_versions.c.number)
            .where(tariff_versions.c.tariff_id == tariff_id)
            .where(tariff_versions.c.number == number)
        )
        return row.first() is not None

    async def _assignment_exists(self, assignment: TariffAssignment) -> bool:
        row = await self._conn.execute(
            sa.select(tariff_assignments.c.id)
            .where(tariff_assignments.c.scope == assignment.scope.value)
            .where(tariff_assignments.c.target == (assignment.target or ""))
            .where(tariff_assignments.c.plan_id == (assignment.plan_id or ""))
        )
        return row.first() is not None


def _assignment(row: AnyRow) -> TariffAssignment:
    return TariffAssignment(
        id=row.id,
        tariff_id=row.tariff_id,
        scope=AssignmentScope(row.scope),
        target=row.target or None,
        plan_id=row.plan_id or None,
        priority=row.priority,
    )
