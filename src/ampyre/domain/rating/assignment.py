"""Which tariff prices a session: assignments and the order they are resolved in.

An assignment attaches a tariff to a scope: one station, a station group, a location, an
operator, a roaming partner, or the whole network (the default). An assignment with a
``plan_id`` is a special price of a contract plan and applies only to sessions under that
plan (seed 001: special prices per operator, roaming partner or group of charge points).

Resolution order (first match wins; documented in docs/tariffs.md and tested):

1. Special prices of the session's plan before any general price.
2. Within each of those two tiers, the most specific scope first:
   station → station group → location → operator → roaming partner → network.
3. Between several matching station groups, the lower ``priority`` number, then the
   group name (so the result never depends on storage order).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from ampyre.domain.errors import ValidationFailed


class AssignmentScope(StrEnum):
    STATION = "station"
    STATION_GROUP = "station_group"
    LOCATION = "location"
    OPERATOR = "operator"
    PARTNER = "partner"
    NETWORK = "network"


_SPECIFICITY = {scope: rank for rank, scope in enumerate(AssignmentScope)}
_TARGET_MAX = 64


@dataclass(frozen=True, slots=True)
class TariffAssignment:
    """``target`` names the station, group, location, operator or partner (None for the
    network). ``priority`` orders assignments of the same scope (lower first)."""

    tariff_id: str
    scope: AssignmentScope
    target: str | None = None
    plan_id: str | None = None
    priority: int = 100
    id: int | None = None

    def __post_init__(self) -> None:
        if self.scope is AssignmentScope.NETWORK:
            if self.target is not None:
                raise ValidationFailed("a network-wide assignment has no target")
        elif not self.target or len(self.target) > _TARGET_MAX:
            raise ValidationFailed(
                f"a {self.scope.value} assignment needs a target of 1-{_TARGET_MAX} characters"
            )
        if self.plan_id is not None and not self.plan_id:
            raise ValidationFailed("plan_id must not be empty")

    @property
    def key(self) -> tuple[AssignmentScope, str | None, str | None]:
        """What must be unique: one tariff per scope, target and plan."""
        return (self.scope, self.target, self.plan_id)


@dataclass(frozen=True, slots=True)
class PricingContext:
    """Where and under which plan a session runs."""

    station_id: str
    location_id: str | None = None
    station_groups: frozenset[str] = frozenset()
    operator_id: str | None = None
    partner_id: str | None = None
    plan_id: str | None = None

    def matches(self, assignment: TariffAssignment) -> bool:
        if assignment.plan_id is not None and assignment.plan_id != self.plan_id:
            return False
        scope, target = assignment.scope, assignment.target
        if scope is AssignmentScope.STATION:
            return target == self.station_id
        if scope is AssignmentScope.STATION_GROUP:
            return target in self.station_groups
        if scope is AssignmentScope.LOCATION:
            return target is not None and target == self.location_id
        if scope is AssignmentScope.OPERATOR:
            return target is not None and target == self.operator_id
        if scope is AssignmentScope.PARTNER:
            return target is not None and target == self.partner_id
        return True


def resolve_assignment(
    assignments: Iterable[TariffAssignment], context: PricingContext
) -> TariffAssignment | None:
    """The assignment whose tariff prices a session in ``context`` (None: no tariff)."""
    candidates = [a for a in assignments if context.matches(a)]
    if not candidates:
        return None
    return min(
        candidates,
        key=lambda a: (a.plan_id is None, _SPECIFICITY[a.scope], a.priority, a.target or ""),
    )
