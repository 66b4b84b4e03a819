from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ampyre.domain.contracts import (
    ALLOWED_TRANSITIONS,
    Contract,
    ContractEvent,
    ContractState,
    days_in_month,
    prorate_monthly_fee,
)
from ampyre.domain.emaid import Emaid
from ampyre.domain.errors import Conflict, ValidationFailed
from ampyre.domain.money import round_money

EMAID = Emaid.new("DE", "AMP", "C00000001")
T0 = datetime(2026, 3, 1, tzinfo=UTC)
WARSAW = ZoneInfo("Europe/Warsaw")
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

A, P, S, E = (
    ContractState.ACTIVE,
    ContractState.PENDING,
    ContractState.SUSPENDED,
    ContractState.ENDED,
)


def contract(starts_at: datetime = T0, ends_at: datetime | None = None) -> Contract:
    return Contract(EMAID, "cust-1", "basic", starts_at, ends_at)


def in_state(state: ContractState) -> Contract:
    path = {P: [], A: [A], S: [A, S], E: [E]}[state]
    c = contract()
    for step, to in enumerate(path):
        c = c.transition(to, at=T0 + step * HOUR, actor="test", reason="because")
    return c


@pytest.mark.parametrize("source", list(ContractState))
@pytest.mark.parametrize("target", list(ContractState))
def test_only_the_listed_transitions_are_allowed(
    source: ContractState, target: ContractState
) -> None:
    before = in_state(source)
    at = T0 + DAY
    if target in ALLOWED_TRANSITIONS[source]:
        after = before.transition(target, at=at, actor="ops", reason="why")
        assert after.state is target
        assert after.history[:-1] == before.history
        assert after.last_event == ContractEvent(at, source, target, "why", "ops")
    else:
        with pytest.raises(Conflict) as caught:
            before.transition(target, at=at, actor="ops", reason="why")
        assert caught.value.code == "invalid_transition"
        assert str(EMAID) in caught.value.message


def test_the_lifecycle_is_recorded() -> None:
    c = contract().activate(at=T0, actor="user:1")
    c = c.suspend(at=T0 + DAY, actor="system:dunning", reason="invoice unpaid")
    c = c.activate(at=T0 + 2 * DAY, actor="user:1", reason="paid")
    c = c.end(at=T0 + 3 * DAY, actor="user:1", reason="moved abroad")
    assert [(e.from_state, e.to_state) for e in c.history] == [(P, A), (A, S), (S, A), (A, E)]
    assert c.history[1].reason == "invoice unpaid"
    assert c.history[1].actor == "system:dunning"
    assert c.ends_at == T0 + 3 * DAY
    assert c.state is E


def test_suspending_and_ending_need_a_reason_and_every_change_an_actor() -> None:
    active = contract().activate(at=T0, actor="u")
    with pytest.raises(ValidationFailed, match="reason"):
        active.suspend(at=T0, actor="u", reason=" ")
    with pytest.raises(ValidationFailed, match="reason"):
        active.end(at=T0, actor="u", reason="")
    with pytest.raises(ValidationFailed, match="actor"):
        active.suspend(at=T0, actor="", reason="x")


def test_history_cannot_be_rewritten() -> None:
    active = contract().activate(at=T0 + DAY, actor="u")
    with pytest.raises(ValidationFailed, match="rewrite"):
        active.suspend(at=T0, actor="u", reason="x")


def test_a_stored_history_must_be_consistent() -> None:
    with pytest.raises(ValidationFailed, match="broken"):
        Contract(EMAID, "c", "p", T0, history=(ContractEvent(T0, A, S, "x", "u"),))
    out_of_order = (ContractEvent(T0 + DAY, P, A, "", "u"), ContractEvent(T0, A, S, "x", "u"))
    with pytest.raises(ValidationFailed, match="time order"):
        Contract(EMAID, "c", "p", T0, history=out_of_order)


def test_contract_fields_are_checked() -> None:
    with pytest.raises(ValidationFailed, match="time zone"):
        contract(starts_at=datetime(2026, 3, 1))  # noqa: DTZ001
    with pytest.raises(ValidationFailed, match="end before"):
        contract(ends_at=T0 - DAY)
    with pytest.raises(ValidationFailed, match="customer id"):
        Contract(EMAID, "", "basic", T0)


def test_validity_follows_state_and_dates() -> None:
    c = contract(starts_at=T0 + DAY, ends_at=T0 + 10 * DAY)
    assert not c.is_valid_at(T0 + 2 * DAY)  # still pending
    c = c.activate(at=T0, actor="u")  # signed ahead of the start
    assert not c.is_valid_at(T0 + HOUR)
    assert c.is_valid_at(T0 + DAY)
    c = c.suspend(at=T0 + 3 * DAY, actor="u", reason="unpaid")
    assert c.is_valid_at(T0 + 3 * DAY - timedelta(microseconds=1))
    assert not c.is_valid_at(T0 + 3 * DAY)
    c = c.activate(at=T0 + 4 * DAY, actor="u")
    assert c.is_valid_at(T0 + 5 * DAY)
    assert not c.is_valid_at(T0 + 10 * DAY)
    assert c.state_at(T0 + 3 * DAY + HOUR) is S
    assert c.state_at(T0 - DAY) is P


def test_cannot_activate_after_the_end_date() -> None:
    with pytest.raises(Conflict) as caught:
        contract(ends_at=T0 + DAY).activate(at=T0 + DAY, actor="u")
    assert caught.value.code == "contract_over"


def test_ending_early_moves_the_end_date_and_cancelling_before_start_is_never_valid() -> None:
    c = contract(ends_at=T0 + 30 * DAY).activate(at=T0, actor="u")
    assert c.end(at=T0 + 5 * DAY, actor="u", reason="x").ends_at == T0 + 5 * DAY
    cancelled = contract(starts_at=T0 + 10 * DAY).end(at=T0, actor="u", reason="changed mind")
    assert cancelled.ends_at == cancelled.starts_at
    assert cancelled.valid_intervals() == ()


def test_full_month_is_the_fee_exactly() -> None:
    c = contract(starts_at=datetime(2026, 2, 1, tzinfo=WARSAW)).activate(
        at=T0 - 60 * DAY, actor="u"
    )
    assert c.active_days(2026, 3, WARSAW) == 31
    assert c.prorated_fee(Decimal("9.99"), 2026, 3, WARSAW) == Decimal("9.99")


def test_the_start_day_counts_and_the_end_day_does_not() -> None:
    start = datetime(2026, 3, 16, 18, 0, tzinfo=WARSAW)
    c = contract(starts_at=start).activate(at=start, actor="u")
    assert c.active_days(2026, 3, WARSAW) == 16  # 16th to 31st
    fee = c.prorated_fee(Decimal("9.99"), 2026, 3, WARSAW)
    assert fee == Decimal("9.99") * 16 / 31
    assert round_money(fee, "EUR") == Decimal("5.16")
    ended = c.end(at=datetime(2026, 3, 20, 9, 0, tzinfo=WARSAW), actor="u", reason="x")
    assert ended.active_days(2026, 3, WARSAW) == 4  # 16th-19th


def test_days_are_counted_in_the_customers_time_zone() -> None:
    # 23:30 UTC on 31 March is already 1 April in Warsaw (summer time, UTC+2).
    start = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
    c = contract(starts_at=start).activate(at=start, actor="u")
    assert c.active_days(2026, 3, UTC) == 1
    assert c.active_days(2026, 3, WARSAW) == 0
    assert c.active_days(2026, 4, WARSAW) == 30


def test_month_with_a_daylight_saving_change_has_all_its_days() -> None:
    # 29 March 2026 is 23 hours long in Warsaw; it is still one day.
    start = datetime(2026, 3, 28, 0, 0, tzinfo=WARSAW)
    c = contract(starts_at=start).activate(at=start, actor="u")
    assert c.active_days(2026, 3, WARSAW) == 4


def test_suspension_costs_a_day_only_when_it_spans_midnight() -> None:
    start = datetime(2026, 3, 1, tzinfo=WARSAW)
    c = contract(starts_at=start).activate(at=start, actor="u")
    c = c.suspend(at=datetime(2026, 3, 10, 9, tzinfo=WARSAW), actor="u", reason="x")
    c = c.activate(at=datetime(2026, 3, 10, 17, tzinfo=WARSAW), actor="u")
    assert c.active_days(2026, 3, WARSAW) == 31
    c = c.suspend(at=datetime(2026, 3, 20, 22, tzinfo=WARSAW), actor="u", reason="x")
    c = c.activate(at=datetime(2026, 3, 23, 8, tzinfo=WARSAW), actor="u")
    assert c.active_days(2026, 3, WARSAW) == 28  # 20th, 21st and 22nd lost


@given(st.integers(min_value=0, max_value=31 * 24 * 60 - 1))
def test_switching_plans_mid_month_pays_every_day_once(minutes: int) -> None:
    month_start = datetime(2026, 3, 1, tzinfo=WARSAW)
    switch = (month_start.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(WARSAW)
    old = contract(starts_at=month_start - 40 * DAY).activate(at=month_start - 40 * DAY, actor="u")
    old = old.end(at=switch, actor="u", reason="plan change")
    new = Contract(Emaid.new("DE", "AMP", "C00000002"), "cust-1", "premium", switch)
    new = new.activate(at=switch, actor="u")
    assert old.active_days(2026, 3, WARSAW) + new.active_days(2026, 3, WARSAW) == 31


def test_days_in_month_and_proration_inputs() -> None:
    assert [days_in_month(2028, m) for m in (1, 2, 4)] == [31, 29, 30]
    assert days_in_month(2026, 2) == 28
    assert prorate_monthly_fee(Decimal("31.00"), 16, 31) == Decimal("16.00")
    assert prorate_monthly_fee(Decimal("10"), 0, 30) == 0
    with pytest.raises(ValidationFailed):
        days_in_month(2026, 13)
    with pytest.raises(ValidationFailed):
        prorate_monthly_fee(Decimal("10"), 31, 30)
    with pytest.raises(ValidationFailed):
        prorate_monthly_fee(Decimal("-1"), 1, 30)
    with pytest.raises(ValidationFailed):
        prorate_monthly_fee(Decimal("10"), 1, 27)


def test_a_contract_has_ended_once_ended_or_past_its_end_date() -> None:
    fixed_term = contract(ends_at=T0 + 10 * DAY).activate(at=T0, actor="ops")
    assert not fixed_term.has_ended(T0 + 10 * DAY - HOUR)
    assert fixed_term.has_ended(T0 + 10 * DAY)
    suspended = (
        contract().activate(at=T0, actor="ops").suspend(at=T0 + DAY, actor="ops", reason="x")
    )
    assert not suspended.has_ended(T0 + 2 * DAY)
    cancelled = suspended.end(at=T0 + 3 * DAY, actor="ops", reason="cancelled")
    assert not cancelled.has_ended(T0 + 2 * DAY)
    assert cancelled.has_ended(T0 + 3 * DAY)
    assert not contract().has_ended(T0 + 100 * DAY)
