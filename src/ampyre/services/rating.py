"""Rating sessions: CDRs for completed transactions, live cost for running ones, credits.

Sessions under a contract are rated with its plan's special prices and earn the plan's
bonus points in the same database transaction that stores their CDR.

The same engine prices everything (:func:`ampyre.domain.rating.engine.rate_session`); this
module only gathers its inputs: the session's meter data, the station's location (time
zone) and groups, and the tariff resolved for them (see
:mod:`ampyre.domain.rating.assignment`). The tariff version in force at the session start
prices the whole session.

A transaction with no applicable tariff still gets a CDR: free, with no tariff id, so an
operator can see which sessions their tariffs did not cover.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ampyre.domain.errors import Conflict, NotFound
from ampyre.domain.locations import Location
from ampyre.domain.money import Price
from ampyre.domain.rating.assignment import (
    TariffAssignment,
    resolve_assignment,
)
from ampyre.domain.rating.cdr import Cdr, SessionFacts
from ampyre.domain.rating.engine import rate_session
from ampyre.domain.rating.pricing import PricedSession
from ampyre.domain.rating.tariff import Tariff, TariffVersion, version_in_force
from ampyre.domain.stations import Connector
from ampyre.domain.transactions import Transaction
from ampyre.services.access import Actor, Permission, check_permission
from ampyre.services.bonus import earn_bonus
from ampyre.services.ports import Clock, UnitOfWork, UnitOfWorkFactory
from ampyre.services.records import CdrFilter, Page, StoredTariff
from ampyre.services.tariffs import pricing_context

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LiveCost:
    """The running cost of a session as of ``as_of`` (its latest meter reading or now)."""

    transaction_id: int
    active: bool
    as_of: datetime
    tariff_id: str | None
    tariff_version: int | None
    priced: PricedSession

    @property
    def total(self) -> Price:
        return self.priced.total.rounded(self.priced.currency)


@dataclass(frozen=True, slots=True)
class CdrContext:
    """A CDR with what an OCPI export also needs: where it happened and at what price.

    ``tariff`` is the version that priced it (None for a free CDR); ``credited`` is the CDR
    a credit CDR cancels.
    """

    cdr: Cdr
    location: Location | None
    connector: Connector | None
    tariff: TariffVersion | None
    credited: Cdr | None


@dataclass(frozen=True, slots=True)
class _Rated:
    priced: PricedSession
    facts: SessionFacts
    tariff_id: str | None
    tariff_version: int | None


@dataclass(frozen=True, slots=True)
class RatingService:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    operator_id: str | None = None
    default_currency: str = "EUR"
    """Currency of a free CDR when no tariff applies."""
    default_time_zone: str = "UTC"
    """Time zone of stations without a location."""

    async def do_rate_transaction(self, transaction_id: int) -> Cdr:
        """The transaction's first CDR, created now if it has none (idempotent).

        ``Conflict`` while the transaction is still running.
        """
        async with self.uow_factory() as uow:
            existing = await uow.cdrs.for_transaction(transaction_id)
            if existing:
                return existing[0]
            transaction = await uow.transactions.get(transaction_id)
            if transaction is None:
                raise NotFound(f"transaction {transaction_id} does not exist")
            if transaction.active:
                raise Conflict(
                    f"transaction {transaction_id} is still running", code="transaction_active"
                )
            rated = self._one(await self._rate(uow, [transaction]), transaction.id)
            cdr = _cdr(rated, sequence=1)
            try:
                await uow.cdrs.add(cdr)
            except Conflict:
                await uow.rollback()
                return (await uow.cdrs.for_transaction(transaction_id))[0]
            await earn_bonus(uow, [(transaction, cdr)], self.clock.now())
            await uow.usage.done_rating([transaction_id])
            await uow.commit()
            return (await uow.cdrs.for_transaction(transaction_id))[0]

    async def do_rate_pending(self, limit: int = 500) -> int:
        """Rate up to ``limit`` completed transactions that have no CDR; returns how many
        CDRs were written. Safe to run concurrently (a duplicate is skipped)."""
        async with self.uow_factory() as uow:
            pending = await uow.usage.waiting_for_rating(limit)
            if not pending:
                return 0
            rated = await self._rate(uow, pending)
            cdrs = [_cdr(r, sequence=1) for r in rated]
            written = await uow.cdrs.add_many(cdrs)
            by_id = {t.id: t for t in pending}
            await earn_bonus(
                uow,
                [(by_id[c.session.transaction_id], c) for c in cdrs],
                self.clock.now(),
            )
            await uow.usage.done_rating([r.facts.transaction_id for r in rated])
            await uow.commit()
        return written

    async def live_cost(self, actor: Actor, transaction_id: int) -> LiveCost:
        """Cost so far of a running session (or the final cost of a completed one).

        A running session is priced up to its latest meter reading (``as_of``), so the cost
        moves with every MeterValues the station sends and never runs ahead of the data.
        """
        check_permission(actor, Permission.TRANSACTIONS_READ)
        async with self.uow_factory() as uow:
            transaction = await uow.transactions.get(transaction_id)
            if transaction is None:
                raise NotFound(f"transaction {transaction_id} does not exist")
            rated = self._one(await self._rate(uow, [transaction]), transaction.id)
        return LiveCost(
            transaction_id=transaction_id,
            active=transaction.active,
            as_of=rated.facts.ended_at,
            tariff_id=rated.tariff_id,
            tariff_version=rated.tariff_version,
            priced=rated.priced,
        )

    async def do_credit(
        self, actor: Actor, cdr_id: int, *, reason: str, rerate: bool
    ) -> tuple[Cdr, Cdr | None]:
        """Cancel a CDR with a credit CDR; with ``rerate`` also price the session again
        (with the tariffs as assigned now) into a new CDR. One transaction for both."""
        check_permission(actor, Permission.CDRS_WRITE)
        async with self.uow_factory() as uow:
            original = await uow.cdrs.get(cdr_id)
            if original is None:
                raise NotFound(f"CDR {cdr_id} does not exist")
            history = await uow.cdrs.for_transaction(original.session.transaction_id)
            if any(c.credit_reference_id == cdr_id for c in history):
                raise Conflict(f"CDR {cdr_id} was already credited", code="already_credited")
            sequence = max(c.sequence for c in history) + 1
            credit = original.credit(sequence=sequence, reason=reason)
            credit_id = await uow.cdrs.add(credit)
            new_id: int | None = None
            if rerate:
                transaction = await uow.transactions.get(original.session.transaction_id)
                if transaction is None:  # pragma: no cover - CDRs reference transactions
                    raise NotFound("the CDR's transaction does not exist")
                rated = self._one(await self._rate(uow, [transaction]), transaction.id)
                new_id = await uow.cdrs.add(_cdr(rated, sequence=sequence + 1))
            await uow.commit()
            stored_credit = await uow.cdrs.get(credit_id)
            stored_new = None if new_id is None else await uow.cdrs.get(new_id)
        if stored_credit is None:  # pragma: no cover - just committed
            raise NotFound("credit CDR vanished")
        return stored_credit, stored_new

    async def get_cdr(self, actor: Actor, cdr_id: int) -> Cdr:
        check_permission(actor, Permission.CDRS_READ)
        async with self.uow_factory() as uow:
            found = await uow.cdrs.get(cdr_id)
        if found is None:
            raise NotFound(f"CDR {cdr_id} does not exist")
        return found

    async def cdr_context(self, actor: Actor, cdr_id: int) -> CdrContext:
        check_permission(actor, Permission.CDRS_READ)
        async with self.uow_factory() as uow:
            cdr = await uow.cdrs.get(cdr_id)
            if cdr is None:
                raise NotFound(f"CDR {cdr_id} does not exist")
            facts = cdr.session
            location = await uow.locations.get(facts.location_id) if facts.location_id else None
            connector = await uow.connectors.get(facts.station_id, facts.connector_id)
            stored = await uow.tariffs.get(cdr.tariff_id) if cdr.tariff_id else None
            credited = (
                await uow.cdrs.get(cdr.credit_reference_id)
                if cdr.credit_reference_id is not None
                else None
            )
        version = (
            next((v for v in stored.versions if v.number == cdr.tariff_version), None)
            if stored
            else None
        )
        return CdrContext(cdr, location, connector, version, credited)

    async def list_cdrs(self, actor: Actor, flt: CdrFilter, page: Page) -> list[Cdr]:
        check_permission(actor, Permission.CDRS_READ)
        async with self.uow_factory() as uow:
            return await uow.cdrs.list(flt, page)

    async def _rate(
        self,
        uow: UnitOfWork,
        transactions: Sequence[Transaction],
        *,
        until: datetime | None = None,
    ) -> list[_Rated]:
        """Price transactions in one pass: a few queries for the whole batch.

        Tariffs are resolved first (once per station and plan: a session under a contract
        gets its plan's special prices), so power and current readings are only read when
        one of the batch's tariffs has a restriction on them.
        """
        facts = await uow.usage.station_facts([t.station_id for t in transactions])
        assignments = await uow.tariffs.assignments()
        tariffs = await uow.tariffs.get_many(sorted({a.tariff_id for a in assignments}))
        resolved: dict[tuple[str, str | None], TariffAssignment | None] = {}
        chosen: list[tuple[Tariff, str | None, int | None]] = []
        for t in transactions:
            key = (t.station_id, t.plan_id)
            if key not in resolved:
                resolved[key] = resolve_assignment(
                    assignments,
                    pricing_context(
                        t.station_id,
                        facts.get(t.station_id),
                        operator_id=self.operator_id,
                        plan_id=t.plan_id,
                    ),
                )
            chosen.append(self._tariff_for(resolved[key], tariffs, t.started_at))
        usages = await uow.usage.usage(
            transactions,
            until=until,
            with_power=any(tariff.needs_power for tariff, _, _ in chosen),
            with_current=any(tariff.needs_current for tariff, _, _ in chosen),
        )
        rated: list[_Rated] = []
        for t, (tariff, tariff_id, version_number) in zip(transactions, chosen, strict=True):
            station = facts.get(t.station_id)
            zone_name = (station.time_zone if station else None) or self.default_time_zone
            usage = usages[t.id]
            try:
                priced = rate_session(tariff, usage, _zone(zone_name))
            except Exception:
                # One session's data must not stop the others (it stays queued and is
                # tried again with every batch until its data or the tariff is fixed).
                log.exception("transaction %s could not be rated", t.id)
                continue
            rated.append(
                _Rated(
                    priced=priced,
                    facts=SessionFacts(
                        transaction_id=t.id,
                        station_id=t.station_id,
                        connector_id=t.connector_id,
                        id_tag=t.id_tag,
                        location_id=station.location_id if station else None,
                        time_zone=zone_name,
                        started_at=usage.started_at,
                        ended_at=usage.ended_at,
                    ),
                    tariff_id=tariff_id,
                    tariff_version=version_number,
                )
            )
        return rated

    @staticmethod
    def _one(rated: list[_Rated], transaction_id: int) -> _Rated:
        if not rated:
            raise Conflict(
                f"transaction {transaction_id} could not be rated (its data is in the log)",
                code="rating_failed",
            )
        return rated[0]

    def _tariff_for(
        self,
        assignment: TariffAssignment | None,
        tariffs: dict[str, StoredTariff],
        started_at: datetime,
    ) -> tuple[Tariff, str | None, int | None]:
        stored = tariffs.get(assignment.tariff_id) if assignment else None
        version = version_in_force(list(stored.versions), started_at) if stored else None
        if stored is None or version is None:
            return _free(self.default_currency), None, None
        return version.tariff, stored.id, version.number


def _cdr(rated: _Rated, *, sequence: int) -> Cdr:
    return Cdr.from_priced(
        rated.facts,
        rated.priced,
        tariff_id=rated.tariff_id,
        tariff_version=rated.tariff_version,
        sequence=sequence,
    )


@lru_cache(maxsize=16)
def _free(currency: str) -> Tariff:
    return Tariff(currency=currency, elements=())


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown time zone %r; rating in UTC", name)
        return ZoneInfo("UTC")
