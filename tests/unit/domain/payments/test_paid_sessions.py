"""A paid-at-the-station session moves only along its diagram."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ampyre.domain.errors import Conflict
from ampyre.domain.paid_sessions import PaidSession, PaidSessionState

S = PaidSessionState
NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)


def fresh() -> PaidSession:
    return PaidSession("ps-1", "c-1", "CP-1", 1, "pay_1", "ADH1", S.AWAITING_PAYMENT, NOW)


def test_the_happy_path_links_the_transaction_and_ends_settled() -> None:
    session = fresh().moved_to(S.STARTING).moved_to(S.CHARGING, transaction_id=42)
    assert session.transaction_id == 42
    settled = session.moved_to(S.ENDED).moved_to(S.SETTLED)
    assert settled.transaction_id == 42
    assert not settled.open


@pytest.mark.parametrize("at", [S.AWAITING_PAYMENT, S.STARTING])
def test_it_may_fail_before_charging_with_a_reason(at: PaidSessionState) -> None:
    session = fresh() if at is S.AWAITING_PAYMENT else fresh().moved_to(S.STARTING)
    failed = session.moved_to(S.FAILED, failure="card_declined")
    assert (failed.state, failed.failure, failed.open) == (S.FAILED, "card_declined", False)


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ((), S.CHARGING),
        ((S.STARTING, S.CHARGING), S.FAILED),
        ((S.STARTING, S.CHARGING, S.ENDED, S.SETTLED), S.ENDED),
        ((S.FAILED,), S.STARTING),
    ],
)
def test_steps_outside_the_diagram_are_refused(
    path: tuple[PaidSessionState, ...], refused: PaidSessionState
) -> None:
    session = fresh()
    for state in path:
        session = session.moved_to(state, failure="x" if state is S.FAILED else None)
    with pytest.raises(Conflict) as caught:
        session.moved_to(refused)
    assert caught.value.code == "paid_session_state"
