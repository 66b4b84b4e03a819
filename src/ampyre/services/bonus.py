"""Bonus points: earned after sessions, redeemed towards later ones, adjusted by staff.

Every contract has an append-only ledger (:class:`~ampyre.domain.tokens.BonusLedger`) whose
balance never goes below zero; the contract's plan has the rule
(:class:`~ampyre.domain.plans.BonusRule`) that says what a session earns and what a point is
worth. Earn and redeem entries name their session as "session:<transaction id>", so a
session earns at most once and redeems at most once, however often a step is retried.

- **Earning** happens in the rating service's unit of work, right after it writes the first
  CDRs (:func:`earn_bonus`): points and CDRs are committed together.
- **Redeeming** (:meth:`BonusService.do_redeem`) spends as many points as fit a rated
  session's total including VAT, never more than it costs.
- **Adjusting** (:meth:`BonusService.do_adjust`) corrects the balance up or down, with a
  reason and the name of who did it.

Writers lock the contract row first, so two requests cannot both spend the same points.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ampyre.domain.contracts import Contract
from ampyre.domain.emaid import Emaid
from ampyre.domain.errors import Conflict, NotFound
from ampyre.domain.plans import BonusRule, Plan
from ampyre.domain.rating.cdr import Cdr
from ampyre.domain.tokens import BonusEntry, BonusLedger, BonusMovement
from ampyre.domain.transactions import Transaction
from ampyre.services.access import Actor, Permission, check_permission
from ampyre.services.ports import Clock, UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)


def session_reference(transaction_id: int) -> str:
    """The reference of a session's earn and redeem entries."""
    return f"session:{transaction_id}"


@dataclass(frozen=True, slots=True)
class BonusStatement:
    """A contract's ledger with what its points are worth under the contract's plan.

    ``point_value`` and ``balance_value`` (in ``currency``, the plan's) are None when the
    plan has no bonus rule: its points cannot be redeemed then.
    """

    contract_id: str
    ledger: BonusLedger
    currency: str | None
    point_value: Decimal | None

    @property
    def balance(self) -> int:
        return self.ledger.balance

    @property
    def balance_value(self) -> Decimal | None:
        return None if self.point_value is None else self.balance * self.point_value


@dataclass(frozen=True, slots=True)
class Redemption:
    """Points spent towards a session: ``value`` (in ``currency``) comes off ``amount_due``,
    the session's total including VAT; ``balance`` is what the contract has left."""

    contract_id: str
    transaction_id: int
    entry: BonusEntry
    value: Decimal
    amount_due: Decimal
    currency: str
    balance: int

    @property
    def points(self) -> int:
        return -self.entry.points

    @property
    def remaining_due(self) -> Decimal:
        return self.amount_due - self.value


@dataclass(frozen=True, slots=True)
class BonusService:
    uow_factory: UnitOfWorkFactory
    clock: Clock

    async def ledger(self, actor: Actor, contract_id: str) -> BonusStatement:
        """The contract's entries in the order recorded, its balance and what it is worth.
        ``contract_id`` may be compact or hyphenated."""
        check_permission(actor, Permission.CUSTOMERS_READ)
        key = _compact(contract_id)
        async with self.uow_factory() as uow:
            contract = await _contract(uow, key)
            plan = await uow.plans.get(contract.plan_id)
            ledger = await uow.bonus.ledger(key)
        rule = None if plan is None else plan.bonus
        return BonusStatement(
            contract_id=key,
            ledger=ledger,
            currency=None if plan is None else plan.currency,
            point_value=None if rule is None else rule.point_value,
        )

    async def do_redeem(self, actor: Actor, contract_id: str, transaction_id: int) -> Redemption:
        """Spend as many points as fit the session's first CDR total including VAT
        (:meth:`BonusRule.redemption`), at most once per session.

        ``Conflict`` when the session is not one of this contract's, has no CDR yet, is
        priced in another currency than the plan's, has redeemed already, when the plan has
        no bonus rule, or when not even one point fits (no balance, or a total below one
        point's value).
        """
        check_permission(actor, Permission.CUSTOMERS_WRITE)
        key = _compact(contract_id)
        async with self.uow_factory() as uow:
            contract = await _contract(uow, key, for_update=True)
            terms = await _terms(uow, contract)
            cdr = await _session_cdr(uow, key, transaction_id)
            if cdr.currency != terms.currency:
                raise Conflict(
                    f"session {transaction_id} was priced in {cdr.currency}; the points of "
                    f"contract {key} are worth {terms.currency}",
                    code="currency_mismatch",
                )
            ledger = await uow.bonus.ledger(key)
            reference = session_reference(transaction_id)
            if _recorded(ledger, BonusMovement.REDEEM, reference):
                raise Conflict(
                    f"session {transaction_id} has already been paid with points",
                    code="already_recorded",
                )
            amount_due = cdr.total.incl_vat
            points, value = terms.rule.redemption(balance=ledger.balance, amount_due=amount_due)
            if points == 0:
                raise Conflict(
                    _nothing_to_redeem(ledger.balance, amount_due, terms), code="nothing_to_redeem"
                )
            after = ledger.redeem(
                points, value=value, at=self.clock.now(), reference=reference, actor=actor.name
            )
            entry = after.entries[-1]
            await uow.bonus.append(key, [entry])
            await uow.commit()
        return Redemption(
            contract_id=key,
            transaction_id=transaction_id,
            entry=entry,
            value=value,
            amount_due=amount_due,
            currency=terms.currency,
            balance=after.balance,
        )

    async def do_adjust(
        self, actor: Actor, contract_id: str, points: int, reason: str
    ) -> BonusStatement:
        """Add (or, negative, take away) ``points`` with ``reason``; the actor's name is
        recorded. ``Conflict`` when it would take the balance below zero."""
        check_permission(actor, Permission.CUSTOMERS_WRITE)
        key = _compact(contract_id)
        async with self.uow_factory() as uow:
            await _contract(uow, key, for_update=True)
            ledger = await uow.bonus.ledger(key)
            after = ledger.adjust(
                points, at=self.clock.now(), reason=reason.strip(), actor=actor.name
            )
            await uow.bonus.append(key, after.entries[len(ledger.entries) :])
            await uow.commit()
        return await self.ledger(actor, key)


async def earn_bonus(
    uow: UnitOfWork, sessions: Sequence[tuple[Transaction, Cdr]], at: datetime
) -> int:
    """Record the points rated sessions earn, in the caller's unit of work; returns how many
    entries were written.

    Each item is a transaction and its first CDR (sequence 1). A session earns when it ran
    under a contract and a plan with a bonus rule, by that rule: its energy in kWh and its
    total including VAT. Sessions that earned already, earn 0 points, are priced in another
    currency than the plan's (logged) or whose plan is gone are skipped, so a re-run or a
    race with another rater changes nothing and never fails the batch.
    """
    eligible = [
        (t.contract_id, t.plan_id, t, c)
        for t, c in sessions
        if t.contract_id and t.plan_id and c.sequence == 1 and not c.is_credit
    ]
    plans = {plan_id: await uow.plans.get(plan_id) for plan_id in sorted({e[1] for e in eligible})}
    by_contract: dict[str, list[tuple[Transaction, Cdr, Plan]]] = defaultdict(list)
    for contract_id, plan_id, t, c in eligible:
        plan = plans[plan_id]
        if plan is None or plan.bonus is None:
            continue
        if c.currency != plan.currency:
            log.warning(
                "session %s earns no bonus points: priced in %s, plan %s counts in %s",
                t.id,
                c.currency,
                plan.id,
                plan.currency,
            )
            continue
        by_contract[contract_id].append((t, c, plan))
    written = 0
    for contract_id in sorted(by_contract):
        ledger = await uow.bonus.ledger(contract_id)
        after = ledger
        for t, c, plan in by_contract[contract_id]:
            reference = session_reference(t.id)
            if not _recorded(after, BonusMovement.EARN, reference):
                after = after.earn(
                    plan,
                    energy_kwh=c.energy_kwh,
                    amount=c.total.incl_vat,
                    currency=c.currency,
                    at=at,
                    reference=reference,
                )
        written += await _append_new(uow, contract_id, after.entries[len(ledger.entries) :])
    return written


async def _append_new(uow: UnitOfWork, contract_id: str, entries: Sequence[BonusEntry]) -> int:
    """Append ``entries``; when another writer recorded some of them meanwhile, append the
    others one by one. Returns how many were written."""
    try:
        await uow.bonus.append(contract_id, entries)
        return len(entries)
    except Conflict as exc:
        if exc.code != "already_recorded":
            raise
    written = 0
    for entry in entries:
        try:
            await uow.bonus.append(contract_id, [entry])
            written += 1
        except Conflict as exc:
            if exc.code != "already_recorded":
                raise
    return written


@dataclass(frozen=True, slots=True)
class _Terms:
    """A plan's bonus rule and the currency its points are worth."""

    rule: BonusRule
    currency: str


def _compact(contract_id: str) -> str:
    return Emaid.parse(contract_id).compact


async def _contract(uow: UnitOfWork, key: str, *, for_update: bool = False) -> Contract:
    contract = await uow.contracts.get(key, for_update=for_update)
    if contract is None:
        raise NotFound(f"contract {key} does not exist")
    return contract


async def _terms(uow: UnitOfWork, contract: Contract) -> _Terms:
    plan = await uow.plans.get(contract.plan_id)
    if plan is None or plan.bonus is None:
        raise Conflict(
            f"plan {contract.plan_id} of contract {contract.id.compact} has no bonus points "
            "rule: its points cannot be redeemed",
            code="no_bonus_rule",
        )
    return _Terms(plan.bonus, plan.currency)


async def _session_cdr(uow: UnitOfWork, key: str, transaction_id: int) -> Cdr:
    """The first CDR of a session of contract ``key``."""
    transaction = await uow.transactions.get(transaction_id)
    if transaction is None:
        raise NotFound(f"transaction {transaction_id} does not exist")
    if transaction.contract_id != key:
        raise Conflict(
            f"session {transaction_id} was not charged under contract {key}",
            code="session_not_under_contract",
        )
    first = next(
        (c for c in await uow.cdrs.for_transaction(transaction_id) if c.sequence == 1), None
    )
    if first is None:
        raise Conflict(
            f"session {transaction_id} has no CDR yet: points are redeemed towards a priced "
            "session",
            code="session_not_rated",
        )
    return first


def _recorded(ledger: BonusLedger, movement: BonusMovement, reference: str) -> bool:
    return any(e.movement is movement and e.reference == reference for e in ledger.entries)


def _nothing_to_redeem(balance: int, amount_due: Decimal, terms: _Terms) -> str:
    if balance == 0:
        return "the contract has no bonus points to redeem"
    return (
        f"the session's total of {amount_due} {terms.currency} is less than one point's value "
        f"of {terms.rule.point_value} {terms.currency}: nothing can be redeemed"
    )
