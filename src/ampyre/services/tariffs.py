"""Operator use cases for tariffs: create, version, assign, resolve, look up.

A tariff is a named series of versions. A stored version is never edited (a session may
have been priced with it): a price change is a new version valid from a later instant, and
the open-ended version before it is closed at that instant in the same transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from ampyre.domain.errors import Conflict, NotFound, ValidationFailed
from ampyre.domain.rating.assignment import (
    PricingContext,
    TariffAssignment,
    resolve_assignment,
)
from ampyre.domain.rating.tariff import Tariff, TariffVersion, check_versions, version_in_force
from ampyre.services.access import Actor, Permission, check_permission
from ampyre.services.ports import Clock, UnitOfWorkFactory
from ampyre.services.records import Page, StationPricingFacts, StoredTariff

TARIFF_ID = re.compile(r"^[A-Za-z0-9._-]{1,36}$")
"""OCPI 2.2.1 Tariff.id is a CiString(36); Ampyre keeps it URL-safe too."""
NAME_MAX = 255


@dataclass(frozen=True, slots=True)
class ResolvedTariff:
    """The tariff version that prices a session, and the assignment that chose it."""

    tariff_id: str
    tariff_name: str
    version: TariffVersion
    assignment: TariffAssignment


@dataclass(frozen=True, slots=True)
class TariffService:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    operator_id: str | None = None
    """This network's own operator id (OCPI party), for operator-scoped special prices."""

    async def do_create_tariff(
        self,
        actor: Actor,
        tariff_id: str,
        name: str,
        tariff: Tariff,
        *,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
    ) -> StoredTariff:
        """Create a tariff with its first version; ``Conflict`` when the id is taken."""
        check_permission(actor, Permission.TARIFFS_WRITE)
        _check_id(tariff_id)
        stored = StoredTariff(
            id=tariff_id,
            name=_check_name(name),
            currency=tariff.currency,
            versions=(TariffVersion(1, tariff, valid_from, valid_until),),
        )
        async with self.uow_factory() as uow:
            await uow.tariffs.add(stored)
            await uow.commit()
            created = await uow.tariffs.get(tariff_id)
        if created is None:  # pragma: no cover - just committed
            raise NotFound(f"tariff {tariff_id} vanished")
        return created

    async def do_add_version(
        self, actor: Actor, tariff_id: str, tariff: Tariff, *, valid_from: datetime | None
    ) -> StoredTariff:
        """Add a new version from ``valid_from`` (now when omitted).

        An open-ended latest version that starts earlier is closed at ``valid_from``;
        any other overlap is refused. A version cannot start in the past: sessions already
        priced must keep their price.
        """
        check_permission(actor, Permission.TARIFFS_WRITE)
        now = self.clock.now()
        start = valid_from or now
        if start.tzinfo is None:
            raise ValidationFailed("valid_from needs a time zone")
        if start < now:
            raise ValidationFailed("a new version cannot start in the past")
        async with self.uow_factory() as uow:
            current = await uow.tariffs.get(tariff_id)
            if current is None:
                raise NotFound(f"tariff {tariff_id} does not exist")
            if tariff.currency != current.currency:
                raise ValidationFailed(
                    f"tariff {tariff_id} is in {current.currency}; a version cannot change "
                    "the currency (create a new tariff)"
                )
            versions = list(current.versions)
            last = versions[-1]
            if last.valid_until is None and (last.valid_from is None or last.valid_from < start):
                closed = TariffVersion(last.number, last.tariff, last.valid_from, start)
                versions[-1] = closed
                await uow.tariffs.end_version(tariff_id, last.number, start)
            new = TariffVersion(last.number + 1, tariff, start, None)
            check_versions([*versions, new])
            await uow.tariffs.add_version(tariff_id, new)
            await uow.commit()
            updated = await uow.tariffs.get(tariff_id)
        if updated is None:  # pragma: no cover - just committed
            raise NotFound(f"tariff {tariff_id} vanished")
        return updated

    async def do_rename(self, actor: Actor, tariff_id: str, name: str) -> StoredTariff:
        check_permission(actor, Permission.TARIFFS_WRITE)
        async with self.uow_factory() as uow:
            await uow.tariffs.rename(tariff_id, _check_name(name))
            await uow.commit()
            renamed = await uow.tariffs.get(tariff_id)
        if renamed is None:  # pragma: no cover
            raise NotFound(f"tariff {tariff_id} does not exist")
        return renamed

    async def do_delete_tariff(self, actor: Actor, tariff_id: str) -> None:
        """Delete a tariff nobody is assigned to and no CDR was priced with."""
        check_permission(actor, Permission.TARIFFS_WRITE)
        async with self.uow_factory() as uow:
            if await uow.tariffs.get(tariff_id) is None:
                raise NotFound(f"tariff {tariff_id} does not exist")
            if any(a.tariff_id == tariff_id for a in await uow.tariffs.assignments()):
                raise Conflict(
                    f"tariff {tariff_id} is assigned; remove its assignments first",
                    code="tariff_in_use",
                )
            if await uow.tariffs.used_by_cdrs(tariff_id):
                raise Conflict(
                    f"tariff {tariff_id} priced sessions; it is kept for their records "
                    "(end its last version instead)",
                    code="tariff_in_use",
                )
            await uow.tariffs.delete(tariff_id)
            await uow.commit()

    async def get_tariff(self, actor: Actor | None, tariff_id: str) -> StoredTariff:
        """``actor`` None: a public read (price display needs no login)."""
        if actor is not None:
            check_permission(actor, Permission.TARIFFS_READ)
        async with self.uow_factory() as uow:
            found = await uow.tariffs.get(tariff_id)
        if found is None:
            raise NotFound(f"tariff {tariff_id} does not exist")
        return found

    async def list_tariffs(self, actor: Actor, page: Page) -> list[StoredTariff]:
        check_permission(actor, Permission.TARIFFS_READ)
        async with self.uow_factory() as uow:
            return await uow.tariffs.list(page)

    async def do_assign(self, actor: Actor, assignment: TariffAssignment) -> TariffAssignment:
        """Attach a tariff to a scope; ``Conflict`` if that scope already has one."""
        check_permission(actor, Permission.TARIFFS_WRITE)
        async with self.uow_factory() as uow:
            if await uow.tariffs.get(assignment.tariff_id) is None:
                raise NotFound(f"tariff {assignment.tariff_id} does not exist")
            new_id = await uow.tariffs.add_assignment(assignment)
            await uow.commit()
        return TariffAssignment(
            tariff_id=assignment.tariff_id,
            scope=assignment.scope,
            target=assignment.target,
            plan_id=assignment.plan_id,
            priority=assignment.priority,
            id=new_id,
        )

    async def do_unassign(self, actor: Actor, assignment_id: int) -> None:
        check_permission(actor, Permission.TARIFFS_WRITE)
        async with self.uow_factory() as uow:
            if not await uow.tariffs.delete_assignment(assignment_id):
                raise NotFound(f"assignment {assignment_id} does not exist")
            await uow.commit()

    async def list_assignments(self, actor: Actor) -> list[TariffAssignment]:
        check_permission(actor, Permission.TARIFFS_READ)
        async with self.uow_factory() as uow:
            return await uow.tariffs.assignments()

    async def resolve(
        self,
        actor: Actor | None,
        station_id: str,
        *,
        at: datetime | None = None,
        plan_id: str | None = None,
        partner_id: str | None = None,
    ) -> ResolvedTariff:
        """The tariff version that would price a session starting at ``at`` (default now).

        ``actor`` None is the public price display (no plan, no partner: the ad hoc price).
        ``NotFound`` when the station is unknown or no tariff applies.
        """
        if actor is not None:
            check_permission(actor, Permission.TARIFFS_READ)
        async with self.uow_factory() as uow:
            facts = (await uow.usage.station_facts([station_id])).get(station_id)
            if facts is None:
                raise NotFound(f"station {station_id} does not exist")
            context = pricing_context(
                station_id,
                facts,
                operator_id=self.operator_id,
                partner_id=partner_id,
                plan_id=plan_id,
            )
            assignment = resolve_assignment(await uow.tariffs.assignments(), context)
            if assignment is None:
                raise NotFound(f"no tariff applies at station {station_id}")
            tariff = await uow.tariffs.get(assignment.tariff_id)
        instant = at or self.clock.now()
        version = None if tariff is None else version_in_force(list(tariff.versions), instant)
        if tariff is None or version is None:
            raise NotFound(
                f"tariff {assignment.tariff_id} assigned to station {station_id} has no "
                f"version in force at {instant.isoformat()}"
            )
        return ResolvedTariff(tariff.id, tariff.name, version, assignment)


def pricing_context(
    station_id: str,
    facts: StationPricingFacts | None,
    *,
    operator_id: str | None,
    plan_id: str | None = None,
    partner_id: str | None = None,
) -> PricingContext:
    """Where a session runs, for tariff resolution; ``facts`` None: a station Ampyre does
    not know (it then resolves only operator, partner and network assignments)."""
    return PricingContext(
        station_id=station_id,
        location_id=facts.location_id if facts else None,
        station_groups=facts.groups if facts else frozenset(),
        operator_id=operator_id,
        partner_id=partner_id,
        plan_id=plan_id,
    )


def _check_id(tariff_id: str) -> None:
    if not TARIFF_ID.match(tariff_id):
        raise ValidationFailed("a tariff id is 1-36 characters: letters, digits, '.', '_' or '-'")


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise ValidationFailed(f"a tariff name is 1-{NAME_MAX} characters")
    return name
