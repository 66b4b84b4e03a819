"""Normalised payment states only move forward; amounts cross the port in minor units;
idempotency keys name the operation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ampyre.domain.errors import ValidationFailed
from ampyre.domain.payments import (
    FINAL_STATES,
    MinorAmount,
    Payment,
    PaymentPurpose,
    PaymentState,
    can_move,
    idempotency_key,
)
from ampyre.services.payment_port import ProviderPayment

S = PaymentState


@pytest.mark.parametrize(
    ("current", "reported", "moves"),
    [
        (S.REQUIRES_ACTION, S.AUTHORIZED, True),
        (S.AUTHORIZED, S.CAPTURED, True),
        (S.AUTHORIZED, S.PARTIALLY_CAPTURED, True),
        (S.AUTHORIZED, S.EXPIRED, True),
        (S.CAPTURED, S.PARTIALLY_REFUNDED, True),
        (S.PARTIALLY_REFUNDED, S.PARTIALLY_REFUNDED, True),
        (S.PARTIALLY_REFUNDED, S.REFUNDED, True),
        # A late webhook reporting an earlier state changes nothing.
        (S.CAPTURED, S.AUTHORIZED, False),
        (S.AUTHORIZED, S.REQUIRES_ACTION, False),
        (S.AUTHORIZED, S.AUTHORIZED, False),
        (S.VOIDED, S.CAPTURED, False),
        (S.REFUNDED, S.PARTIALLY_REFUNDED, False),
        (S.DECLINED, S.AUTHORIZED, False),
    ],
)
def test_only_forward_moves(current: S, reported: S, moves: bool) -> None:
    assert can_move(current, reported) is moves


def test_final_states_go_nowhere() -> None:
    assert {S.VOIDED, S.EXPIRED, S.DECLINED, S.REFUNDED} == FINAL_STATES
    assert not any(can_move(final, other) for final in FINAL_STATES for other in S)


@given(st.lists(st.sampled_from(list(S)), max_size=12))
def test_applying_reports_in_any_order_never_goes_back(reports: list[S]) -> None:
    rank = list(S)
    state = S.REQUIRES_ACTION
    for reported in reports:
        if can_move(state, reported):
            assert reported is not S.REQUIRES_ACTION
            assert state not in FINAL_STATES
            previous, state = state, reported
            assert rank.index(state) >= rank.index(previous)


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [("46.13", "PLN", 4613), ("0.00", "EUR", 0), ("500", "JPY", 500), ("1.5", "EUR", 150)],
)
def test_minor_units(amount: str, currency: str, minor: int) -> None:
    value = MinorAmount.of(Decimal(amount), currency)
    assert value == MinorAmount(minor, currency)
    assert value.decimal() == Decimal(amount)


def test_amounts_refuse_what_they_cannot_hold() -> None:
    with pytest.raises(ValidationFailed, match="more than 2 decimals"):
        MinorAmount.of(Decimal("1.005"), "EUR")
    with pytest.raises(ValidationFailed, match="more than 0 decimals"):
        MinorAmount.of(Decimal("1.5"), "JPY")
    with pytest.raises(ValidationFailed):
        MinorAmount(-1, "EUR")
    with pytest.raises(ValidationFailed):
        MinorAmount(1, "EUR") + MinorAmount(1, "PLN")
    assert MinorAmount(300, "EUR") - MinorAmount(120, "EUR") == MinorAmount(180, "EUR")
    assert str(MinorAmount(4613, "PLN")) == "46.13 PLN"


def test_idempotency_keys_are_deterministic_and_clean() -> None:
    assert idempotency_key("capture", "pay_42") == "capture:pay_42"
    assert idempotency_key("refund", "pay_42", 3) == idempotency_key("refund", "pay_42", 3)
    with pytest.raises(ValidationFailed):
        idempotency_key("capture", "pay 42")
    with pytest.raises(ValidationFailed):
        idempotency_key("capture", "")


def payment(state: S = S.AUTHORIZED, captured: int = 0, refunded: int = 0) -> Payment:
    return Payment(
        id="pay-1",
        customer_id="cust-1",
        provider="sandbox",
        purpose=PaymentPurpose.SESSION,
        state=state,
        authorized=MinorAmount(15000, "PLN"),
        captured=MinorAmount(captured, "PLN"),
        refunded=MinorAmount(refunded, "PLN"),
        reference="ps_1",
        transaction_id=7,
    )


def report(state: S, captured: int = 0, refunded: int = 0) -> ProviderPayment:
    return ProviderPayment(
        reference="ps_1",
        state=state,
        authorized=MinorAmount(15000, "PLN"),
        captured=MinorAmount(captured, "PLN"),
        refunded=MinorAmount(refunded, "PLN"),
    )


def test_a_payment_follows_reports_forward_and_ignores_late_ones() -> None:
    captured = payment().observe(report(S.CAPTURED, captured=4613))
    assert captured is not None
    assert (captured.state, captured.captured.value, captured.refundable.value) == (
        S.CAPTURED,
        4613,
        4613,
    )
    assert captured.observe(report(S.AUTHORIZED)) is None  # a late webhook
    assert captured.observe(report(S.CAPTURED, captured=4613)) is None  # a duplicate
    partly = captured.observe(report(S.PARTIALLY_REFUNDED, captured=4613, refunded=1000))
    assert partly is not None
    assert partly.refundable.value == 3613
    more = partly.observe(report(S.PARTIALLY_REFUNDED, captured=4613, refunded=2000))
    assert more is not None
    assert more.refunded.value == 2000
    assert more.observe(report(S.PARTIALLY_REFUNDED, captured=4613, refunded=1000)) is None
    assert payment(S.VOIDED).observe(report(S.CAPTURED, captured=1)) is None
