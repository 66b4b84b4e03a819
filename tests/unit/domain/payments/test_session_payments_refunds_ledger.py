"""Pre-authorisation per customer type, the stop threshold and the capture; refund rules;
wallet balances from the ledger."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ampyre.domain.customer_types import CustomerType
from ampyre.domain.errors import Conflict, ValidationFailed
from ampyre.domain.ledger import (
    LedgerEntry,
    LedgerKind,
    captured_total,
    check_wallet_spend,
    payment_movements,
    wallet_balance,
)
from ampyre.domain.payments import MinorAmount, Payment, PaymentPurpose, PaymentState
from ampyre.domain.refunds import RefundRules, SessionOutcome, check_refundable
from ampyre.domain.session_payments import PreAuthorisationPolicy, capture_for

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)


def pln(minor: int) -> MinorAmount:
    return MinorAmount(minor, "PLN")


POLICY = PreAuthorisationPolicy(
    "PLN",
    {CustomerType.PRIVATE: Decimal("150.00"), CustomerType.BUSINESS_DOMESTIC: Decimal(300)},
    margin_percent=Decimal(10),
)


def test_the_pre_authorised_amount_depends_on_the_customer_type() -> None:
    assert POLICY.amount_for(CustomerType.PRIVATE) == pln(15000)
    assert POLICY.amount_for(CustomerType.BUSINESS_DOMESTIC) == pln(30000)
    assert POLICY.amount_for(CustomerType.MUNICIPAL) is None  # charged after the session


def test_the_session_stops_at_the_authorised_amount_less_the_margin() -> None:
    authorized = pln(15000)
    assert POLICY.stop_threshold(authorized) == pln(13500)
    assert not POLICY.must_stop(pln(13499), authorized)
    assert POLICY.must_stop(pln(13500), authorized)
    odd = PreAuthorisationPolicy("PLN", margin_percent=Decimal("3.3"))
    assert odd.stop_threshold(pln(1001)) == pln(1001 - 34)  # 33.033 rounded up
    with pytest.raises(ValidationFailed):
        POLICY.must_stop(MinorAmount(100, "EUR"), authorized)


def test_capture_is_the_cost_never_above_the_authorisation_and_zero_voids() -> None:
    assert capture_for(pln(4613), pln(15000)) == pln(4613)
    assert capture_for(pln(15100), pln(15000)) == pln(15000)
    assert capture_for(pln(0), pln(15000)) is None


def test_bad_policies_are_refused() -> None:
    with pytest.raises(ValidationFailed):
        PreAuthorisationPolicy("PLN", {CustomerType.PRIVATE: Decimal("10.001")})
    with pytest.raises(ValidationFailed):
        PreAuthorisationPolicy("PLN", {CustomerType.PRIVATE: Decimal(0)})
    with pytest.raises(ValidationFailed):
        PreAuthorisationPolicy("PLN", margin_percent=Decimal(60))


def outcome(**changes: object) -> SessionOutcome:
    fields: dict[str, object] = {
        "energy_kwh": Decimal("12.5"),
        "stop_reason": "EVDisconnected",
        "connector_faulted": False,
        "requested": pln(2000),
        "refundable": pln(4613),
    }
    return SessionOutcome(**(fields | changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "automatic"),
    [
        ({}, False),
        ({"energy_kwh": Decimal("0.05")}, True),
        ({"energy_kwh": Decimal("0.2")}, True),
        ({"stop_reason": "PowerLoss"}, True),
        ({"stop_reason": "EmergencyStop"}, True),
        ({"connector_faulted": True}, True),
        ({"stop_reason": "Local"}, False),
    ],
)
def test_refund_rules(changes: dict[str, object], automatic: bool) -> None:
    decision = RefundRules().judge(outcome(**changes))
    assert decision.automatic is automatic
    assert decision.reason


def test_automatic_approval_has_an_amount_limit() -> None:
    rules = RefundRules(max_automatic=pln(1000))
    decision = rules.judge(outcome(energy_kwh=Decimal(0), requested=pln(2000)))
    assert not decision.automatic
    assert "automatic limit" in decision.reason


def test_a_refund_never_exceeds_what_is_refundable() -> None:
    with pytest.raises(ValidationFailed, match=r"at most 46\.13 PLN"):
        RefundRules().judge(outcome(requested=pln(4614)))
    with pytest.raises(ValidationFailed):
        check_refundable(pln(0), pln(10))
    with pytest.raises(ValidationFailed):
        check_refundable(MinorAmount(1, "EUR"), pln(10))


def entry(kind: LedgerKind, minor: int, key: str) -> LedgerEntry:
    return LedgerEntry(key, kind, pln(minor), "cust-1", NOW)


def test_wallet_balance_and_spending_rules() -> None:
    entries = [
        entry(LedgerKind.WALLET_TOP_UP, 10000, "top-up:1"),
        entry(LedgerKind.WALLET_SPEND, 4613, "spend:tx-1"),
        entry(LedgerKind.CAPTURE, 10000, "capture:pay-1"),
        LedgerEntry("top-up:2", LedgerKind.WALLET_TOP_UP, MinorAmount(500, "EUR"), "c", NOW),
    ]
    balance = wallet_balance(entries, "PLN")
    assert balance == 5387
    check_wallet_spend(balance, pln(5387))
    with pytest.raises(Conflict) as refused:
        check_wallet_spend(balance, pln(5388))
    assert refused.value.code == "insufficient_balance"
    check_wallet_spend(balance, pln(6387), credit_limit=pln(1000))
    with pytest.raises(Conflict):
        check_wallet_spend(balance, pln(6388), credit_limit=pln(1000))


def test_captured_total_subtracts_refunds() -> None:
    entries = [
        entry(LedgerKind.AUTHORIZATION, 15000, "authorize:pay-1"),
        entry(LedgerKind.CAPTURE, 4613, "capture:pay-1"),
        entry(LedgerKind.REFUND, 1000, "refund:pay-1:1"),
    ]
    assert captured_total(entries, "PLN") == pln(3613)


def test_ledger_entries_need_a_key_and_an_aware_time() -> None:
    with pytest.raises(ValidationFailed):
        LedgerEntry("", LedgerKind.CAPTURE, pln(1), "c", NOW)
    with pytest.raises(ValidationFailed):
        LedgerEntry("k", LedgerKind.CAPTURE, pln(1), "c", NOW.replace(tzinfo=None))


def session_payment(state: PaymentState, captured: int = 0, refunded: int = 0) -> Payment:
    return Payment(
        id="pay-9",
        customer_id="cust-1",
        provider="sandbox",
        purpose=PaymentPurpose.SESSION,
        state=state,
        authorized=pln(15000),
        captured=pln(captured),
        refunded=pln(refunded),
        transaction_id=7,
    )


def moves(before: Payment, after: Payment) -> list[tuple[str, str, int]]:
    return [(e.kind.value, e.key, e.amount.value) for e in payment_movements(before, after, NOW)]


def test_each_move_of_a_payment_is_one_keyed_ledger_entry() -> None:
    pending = session_payment(PaymentState.REQUIRES_ACTION)
    held = session_payment(PaymentState.AUTHORIZED)
    taken = session_payment(PaymentState.PARTIALLY_CAPTURED, captured=4613)
    refunded = session_payment(PaymentState.PARTIALLY_REFUNDED, captured=4613, refunded=1000)
    assert moves(pending, held) == [("authorization", "authorization:pay-9", 15000)]
    assert moves(held, taken) == [
        ("capture", "capture:pay-9", 4613),
        ("release", "release:pay-9", 15000 - 4613),
    ]
    assert moves(taken, refunded) == [("refund", "refund:pay-9:1000", 1000)]
    # The authorisation's webhook was lost: the capture still records both, with the
    # same keys as the normal path, so a late authorisation cannot add a second one.
    assert moves(pending, taken) == [
        ("authorization", "authorization:pay-9", 15000),
        ("capture", "capture:pay-9", 4613),
        ("release", "release:pay-9", 15000 - 4613),
    ]
    assert moves(held, session_payment(PaymentState.VOIDED)) == [
        ("release", "release:pay-9", 15000)
    ]
    assert moves(taken, taken) == []
