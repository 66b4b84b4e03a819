"""Contracts: a customer's subscription to a plan, its states and their history (DOMAIN.md §5).

A contract is identified by an eMAID (:mod:`ampyre.domain.emaid`); a customer may hold any
number of them. Its state follows explicit transitions::

    pending ──► active ◄──► suspended
       │          │             │
       └──────────┴─────► ended ◄┘        (ended is final)

Every change is a :class:`ContractEvent` (when, from, to, why, who) appended to the
contract's history; the current state is the last event's target (``pending`` before any).
Because the history is kept, the state at any past instant can be answered too
(:meth:`Contract.state_at`), which is what proration and dispute handling need.

A contract is *valid* (may authorise charging) at an instant when it is active then and the
instant lies in ``[starts_at, ends_at)``. Activating before ``starts_at`` is allowed (signed in
advance); the contract becomes valid at its start.

Subscription fees (DOMAIN.md §4) are prorated by days: fee × active days ÷ days in month,
where a local calendar day (in the customer's time zone) is an active day when the contract is
valid at the end of that day. So the day a contract becomes valid counts, the day it ends or
is suspended does not (unless it is valid again before midnight), and when one contract ends
and the next starts on the same day, that day is paid once, by the new one.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal, localcontext
from enum import StrEnum

from ampyre.domain.emaid import Emaid
from ampyre.domain.errors import Conflict, ValidationFailed
from ampyre.domain.money import ZERO
from ampyre.domain.plans import require_aware

REASON_MAX = 500
ACTOR_MAX = 200
ID_MAX = 64
PRORATION_DIGITS = 28
"""Significant digits of a prorated fee whose quotient does not terminate (e.g. ÷ 31);
whole months and quotients that terminate are exact. Rounded once, on the invoice."""


class ContractState(StrEnum):
    PENDING = "pending"
    """Created (e.g. signed online), not yet in force."""
    ACTIVE = "active"
    """In force: its tokens may charge while the contract is within its dates."""
    SUSPENDED = "suspended"
    """Temporarily not in force (e.g. unpaid invoices); may become active again."""
    ENDED = "ended"
    """Over for good; a new contract is needed."""


ALLOWED_TRANSITIONS: Mapping[ContractState, frozenset[ContractState]] = {
    ContractState.PENDING: frozenset({ContractState.ACTIVE, ContractState.ENDED}),
    ContractState.ACTIVE: frozenset({ContractState.SUSPENDED, ContractState.ENDED}),
    ContractState.SUSPENDED: frozenset({ContractState.ACTIVE, ContractState.ENDED}),
    ContractState.ENDED: frozenset(),
}

_NEEDS_REASON = frozenset({ContractState.SUSPENDED, ContractState.ENDED})


@dataclass(frozen=True, slots=True)
class ContractEvent:
    """One state change. ``actor`` names who made it ("user:42", "system:dunning", "api:..."),
    ``reason`` why; suspending and ending need a reason."""

    at: datetime
    from_state: ContractState
    to_state: ContractState
    reason: str
    actor: str

    def __post_init__(self) -> None:
        require_aware(self.at, "a contract event's time")
        if self.to_state not in ALLOWED_TRANSITIONS[self.from_state]:
            allowed = ", ".join(sorted(ALLOWED_TRANSITIONS[self.from_state])) or "nothing"
            raise Conflict(
                f"a {self.from_state.value} contract can become {allowed}, "
                f"not {self.to_state.value}",
                code="invalid_transition",
            )
        if not self.actor.strip() or len(self.actor) > ACTOR_MAX:
            raise ValidationFailed(f"a contract change needs an actor of 1-{ACTOR_MAX} characters")
        if len(self.reason) > REASON_MAX:
            raise ValidationFailed(f"a reason has at most {REASON_MAX} characters")
        if self.to_state in _NEEDS_REASON and not self.reason.strip():
            raise ValidationFailed(f"a contract becomes {self.to_state.value} only with a reason")


@dataclass(frozen=True, slots=True)
class Contract:
    """A subscription of ``customer_id`` to ``plan_id`` from ``starts_at`` (inclusive) to
    ``ends_at`` (exclusive; None: open-ended). Immutable: every change returns a new contract
    whose history ends with the change's event."""

    id: Emaid
    customer_id: str
    plan_id: str
    starts_at: datetime
    ends_at: datetime | None = None
    history: tuple[ContractEvent, ...] = ()

    def __post_init__(self) -> None:
        for label, value in (("customer id", self.customer_id), ("plan id", self.plan_id)):
            if not value.strip() or len(value) > ID_MAX:
                raise ValidationFailed(f"a contract's {label} must be 1-{ID_MAX} characters")
        require_aware(self.starts_at, "a contract's start")
        if self.ends_at is not None:
            require_aware(self.ends_at, "a contract's end")
            if self.ends_at < self.starts_at:
                raise ValidationFailed("a contract cannot end before it starts")
        state, previous = ContractState.PENDING, None
        for event in self.history:
            if event.from_state is not state:
                raise ValidationFailed(
                    f"contract history is broken: a change from {event.from_state.value} "
                    f"follows one to {state.value}"
                )
            if previous is not None and event.at < previous:
                raise ValidationFailed("contract history must be in time order")
            state, previous = event.to_state, event.at

    @property
    def state(self) -> ContractState:
        return self.history[-1].to_state if self.history else ContractState.PENDING

    @property
    def last_event(self) -> ContractEvent | None:
        return self.history[-1] if self.history else None

    def state_at(self, instant: datetime) -> ContractState:
        """The state the contract was in at ``instant`` (an event takes effect at its time)."""
        require_aware(instant, "the instant")
        state = ContractState.PENDING
        for event in self.history:
            if event.at > instant:
                break
            state = event.to_state
        return state

    def is_valid_at(self, instant: datetime) -> bool:
        """Whether the contract is in force at ``instant``: active and within its dates."""
        return (
            self.state_at(instant) is ContractState.ACTIVE
            and self.starts_at <= instant
            and (self.ends_at is None or instant < self.ends_at)
        )

    def has_ended(self, instant: datetime) -> bool:
        """Whether the contract is over at ``instant``: ended by then, or past its end date
        (for good, unlike a suspension). A pending contract has not ended."""
        return self.state_at(instant) is ContractState.ENDED or (
            self.ends_at is not None and instant >= self.ends_at
        )

    def transition(
        self, to: ContractState, *, at: datetime, actor: str, reason: str = ""
    ) -> Contract:
        """The contract after a change to ``to`` at ``at``; ``Conflict`` if not allowed.

        Changes are recorded in time order: ``at`` may not precede the last event. Ending
        moves ``ends_at`` to ``at`` when that is earlier (never before ``starts_at``: a
        contract cancelled before its start is never in force).
        """
        require_aware(at, "a contract change's time")
        last = self.last_event
        if last is not None and at < last.at:
            raise ValidationFailed(
                f"contract {self.id} last changed at {last.at.isoformat()}; "
                f"a change at {at.isoformat()} would rewrite its history"
            )
        try:
            event = ContractEvent(at, self.state, to, reason.strip(), actor.strip())
        except Conflict as exc:
            raise Conflict(f"contract {self.id}: {exc.message}", code=exc.code) from exc
        if to is ContractState.ACTIVE and self.ends_at is not None and at >= self.ends_at:
            raise Conflict(
                f"contract {self.id} ended at {self.ends_at.isoformat()}; it cannot be activated",
                code="contract_over",
            )
        ends_at = self.ends_at
        if to is ContractState.ENDED and (ends_at is None or at < ends_at):
            ends_at = max(at, self.starts_at)
        return replace(self, ends_at=ends_at, history=(*self.history, event))

    def activate(self, *, at: datetime, actor: str, reason: str = "") -> Contract:
        """Put a pending contract in force, or a suspended one back in force."""
        return self.transition(ContractState.ACTIVE, at=at, actor=actor, reason=reason)

    def suspend(self, *, at: datetime, actor: str, reason: str) -> Contract:
        return self.transition(ContractState.SUSPENDED, at=at, actor=actor, reason=reason)

    def end(self, *, at: datetime, actor: str, reason: str) -> Contract:
        return self.transition(ContractState.ENDED, at=at, actor=actor, reason=reason)

    def valid_intervals(self) -> tuple[tuple[datetime, datetime | None], ...]:
        """The ``[from, until)`` periods in which the contract was valid (until None: still).

        Periods of the active state, cut to the contract's dates; empty ones are left out.
        """
        periods: list[tuple[datetime, datetime | None]] = []
        opened: datetime | None = None
        for event in self.history:
            if event.to_state is ContractState.ACTIVE:
                opened = event.at
            elif opened is not None:
                periods.append((opened, event.at))
                opened = None
        if opened is not None:
            periods.append((opened, None))
        cut: list[tuple[datetime, datetime | None]] = []
        for begin, until in periods:
            begin = max(begin, self.starts_at)
            if self.ends_at is not None:
                until = self.ends_at if until is None else min(until, self.ends_at)
            if until is None or begin < until:
                cut.append((begin, until))
        return tuple(cut)

    def active_days(self, year: int, month: int, tz: tzinfo) -> int:
        """Days of the month (local dates in ``tz``) at whose end the contract is valid."""
        first = date(year, month, 1)
        periods = self.valid_intervals()
        count = 0
        for offset in range(days_in_month(year, month)):
            day_end = datetime.combine(first + timedelta(days=offset + 1), time(0), tzinfo=tz)
            if any(
                begin < day_end and (until is None or day_end <= until) for begin, until in periods
            ):
                count += 1
        return count

    def prorated_fee(self, fee: Decimal, year: int, month: int, tz: tzinfo) -> Decimal:
        """This contract's share of a monthly ``fee`` for the month, in the customer's
        ``tz`` (see the module docstring); not rounded."""
        return prorate_monthly_fee(
            fee, self.active_days(year, month, tz), days_in_month(year, month)
        )


def days_in_month(year: int, month: int) -> int:
    if not 1 <= month <= 12:
        raise ValidationFailed(f"month {month} is not between 1 and 12")
    return calendar.monthrange(year, month)[1]


def prorate_monthly_fee(fee: Decimal, active_days: int, month_days: int) -> Decimal:
    """fee × ``active_days`` ÷ ``month_days`` (DOMAIN.md §4), not rounded.

    Multiplied first, so a whole month is the fee exactly; a quotient that does not
    terminate is kept to :data:`PRORATION_DIGITS` significant digits.
    """
    if not fee.is_finite() or fee < ZERO:
        raise ValidationFailed("a fee must be an amount >= 0")
    if not 28 <= month_days <= 31:
        raise ValidationFailed(f"a month has 28 to 31 days, not {month_days}")
    if not 0 <= active_days <= month_days:
        raise ValidationFailed(f"active days must be between 0 and {month_days}")
    if active_days == month_days:
        return fee
    with localcontext(prec=PRORATION_DIGITS):
        return fee * active_days / month_days
