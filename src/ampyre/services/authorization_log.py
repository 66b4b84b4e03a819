"""Reading the authorisation log: every attempt to charge, with who, where and why.

The log is written by the authorisation pipeline (:mod:`ampyre.services.authorization`);
support staff search it to answer "why could I not charge?" and export it for audits.
"""

from __future__ import annotations

from dataclasses import dataclass

from ampyre.domain.authorization import AuthorizationAttempt
from ampyre.domain.errors import ValidationFailed
from ampyre.domain.plans import require_aware
from ampyre.services.access import Actor, Permission, check_permission
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.records import AuthorizationFilter, Page

EXPORT_LIMIT = 50_000
"""Most attempts one export may hold; a larger one is refused (narrow the filters)."""


@dataclass(frozen=True, slots=True)
class AuthorizationLogService:
    uow_factory: UnitOfWorkFactory

    async def search(
        self, actor: Actor, flt: AuthorizationFilter, page: Page
    ) -> list[AuthorizationAttempt]:
        """Attempts matching every field of ``flt``, newest first."""
        check_permission(actor, Permission.AUTHORIZATIONS_READ)
        _check_period(flt)
        async with self.uow_factory() as uow:
            return await uow.authorizations.search(flt, page)

    async def export(
        self, actor: Actor, flt: AuthorizationFilter, *, limit: int = EXPORT_LIMIT
    ) -> list[AuthorizationAttempt]:
        """Every attempt matching ``flt``, newest first, read in one statement so the
        export is consistent while new attempts arrive. More than ``limit`` matches are
        refused (``ValidationFailed``) rather than cut off silently."""
        check_permission(actor, Permission.AUTHORIZATIONS_READ)
        _check_period(flt)
        async with self.uow_factory() as uow:
            found = await uow.authorizations.search(flt, Page(limit=limit + 1))
        if len(found) > limit:
            raise ValidationFailed(
                f"more than {limit} authorisation attempts match: narrow the time range "
                "or the other filters",
                code="export_too_large",
            )
        return found


def _check_period(flt: AuthorizationFilter) -> None:
    for instant, label in ((flt.at_from, "the start"), (flt.at_to, "the end")):
        if instant is not None:
            require_aware(instant, f"{label} of the period")
    if flt.at_from is not None and flt.at_to is not None and flt.at_to < flt.at_from:
        raise ValidationFailed("the period ends before it starts")
