from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ampyre.domain.emaid import Emaid
from ampyre.domain.errors import Conflict, ValidationFailed
from ampyre.domain.id_tags import AuthorizationStatus
from ampyre.domain.plans import BonusBasis, BonusRule, Plan
from ampyre.domain.tokens import (
    BonusEntry,
    BonusLedger,
    BonusMovement,
    Token,
    TokenKind,
    TokenStatus,
    autocharge_uid,
)

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)
EMAID = Emaid.new("DE", "AMP", "C00000001")


def card(**changes: Any) -> Token:
    fields: dict[str, Any] = {
        "uid": "04A2B3C4D5E6F7",
        "kind": TokenKind.RFID,
        "contract_id": EMAID,
        "issued_at": NOW - timedelta(days=30),
        "printed_number": "AMP-0001-2345",
        "card_fee": True,
    }
    return Token(**(fields | changes))


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({}, AuthorizationStatus.ACCEPTED),
        ({"expires_at": NOW + timedelta(seconds=1)}, AuthorizationStatus.ACCEPTED),
        ({"expires_at": NOW}, AuthorizationStatus.EXPIRED),
        ({"status": TokenStatus.EXPIRED}, AuthorizationStatus.EXPIRED),
        ({"status": TokenStatus.BLOCKED}, AuthorizationStatus.BLOCKED),
        ({"status": TokenStatus.LOST}, AuthorizationStatus.BLOCKED),
        # Blocked wins over expired: the operator's decision is the reason to report.
        ({"status": TokenStatus.BLOCKED, "expires_at": NOW}, AuthorizationStatus.BLOCKED),
    ],
)
def test_token_authorisation_maps_to_ocpp_statuses(
    changes: dict[str, Any], status: AuthorizationStatus
) -> None:
    answer = card(**changes).authorise(NOW)
    assert answer.status is status
    assert answer.reason
    assert answer.parent_id_tag == "DEAMPC00000001" + EMAID.check_digit


def test_lost_card_reason_is_told_apart_from_blocked() -> None:
    assert "lost" in card(status=TokenStatus.LOST).authorise(NOW).reason


def test_expiry_is_returned_to_the_station() -> None:
    expiry = NOW + timedelta(days=3)
    assert card(expires_at=expiry).authorise(NOW).expires_at == expiry


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"uid": "x" * 21}, "1-20 printable ASCII"),
        ({"uid": "with space"}, "1-20 printable ASCII"),
        ({"issued_at": datetime(2026, 1, 1)}, "time zone"),  # noqa: DTZ001
        ({"expires_at": NOW - timedelta(days=31)}, "expire after"),
        ({"kind": TokenKind.APP, "card_fee": False}, "printed number"),
        ({"kind": TokenKind.VEHICLE, "printed_number": None}, "card fee"),
        ({"printed_number": ""}, "printed number"),
        ({"printed_number": "x" * 65}, "printed number"),
    ],
)
def test_invalid_tokens_are_refused(changes: dict[str, Any], words: str) -> None:
    with pytest.raises(ValidationFailed, match=words):
        card(**changes)


def test_app_and_vehicle_tokens_have_no_card_attributes() -> None:
    app = card(kind=TokenKind.APP, uid="APP-7F3A9C", printed_number=None, card_fee=False)
    vehicle = card(
        kind=TokenKind.VEHICLE,
        uid=autocharge_uid("92:d5:0a:69:3f:80"),
        printed_number=None,
        card_fee=False,
    )
    assert app.authorise(NOW).status is AuthorizationStatus.ACCEPTED
    assert vehicle.uid == "VID:92D50A693F80"


def test_block_unblock_and_lost() -> None:
    blocked = card().block()
    assert blocked.status is TokenStatus.BLOCKED
    assert blocked.unblock().status is TokenStatus.ACTIVE
    with pytest.raises(Conflict):
        blocked.block()
    with pytest.raises(Conflict):
        card().unblock()
    lost = blocked.report_lost()
    with pytest.raises(Conflict):
        lost.unblock()
    with pytest.raises(Conflict):
        lost.report_lost()


@pytest.mark.parametrize(
    "mac", ["92:D5:0A:69:3F:80", "92-d5-0a-69-3f-80", "92d50a693f80", "VID:92D50A693F80"]
)
def test_autocharge_uid_normalises_mac_addresses(mac: str) -> None:
    assert autocharge_uid(mac) == "VID:92D50A693F80"


@pytest.mark.parametrize("bad", ["92:D5:0A:69:3F", "92:D5-0A:69:3F:80", "G2D50A693F80", ""])
def test_autocharge_uid_refuses_what_is_not_a_mac(bad: str) -> None:
    with pytest.raises(ValidationFailed):
        autocharge_uid(bad)


def _plan(rule: BonusRule | None) -> Plan:
    return Plan(
        id="basic",
        name="Basic",
        currency="EUR",
        monthly_fee=Decimal("9.99"),
        card_fee=Decimal(5),
        valid_from=NOW - timedelta(days=365),
        bonus=rule,
    )


PER_KWH = _plan(BonusRule(BonusBasis.ENERGY, Decimal(2), Decimal("0.01")))


def test_earn_then_redeem_keeps_the_balance() -> None:
    ledger = BonusLedger().earn(
        PER_KWH,
        energy_kwh=Decimal("30.6"),
        amount=Decimal("15.30"),
        currency="EUR",
        at=NOW,
        reference="tx:1",
    )
    assert ledger.balance == 61  # 61.2 rounded down
    ledger = ledger.redeem(40, value=Decimal("0.10"), at=NOW + timedelta(days=1), reference="tx:2")
    assert ledger.balance == 21
    assert [(e.movement, e.points, e.reference) for e in ledger.entries] == [
        (BonusMovement.EARN, 61, "tx:1"),
        (BonusMovement.REDEEM, -40, "tx:2"),
    ]


def test_redeeming_more_than_the_balance_is_refused() -> None:
    ledger = BonusLedger((BonusEntry(BonusMovement.EARN, 10, NOW, "tx:1"),))
    with pytest.raises(Conflict) as caught:
        ledger.redeem(11, value=Decimal("0.10"), at=NOW, reference="tx:2")
    assert caught.value.code == "insufficient_points"
    with pytest.raises(Conflict):
        ledger.adjust(-11, at=NOW, reason="correction", actor="user:ops")
    assert ledger.adjust(-10, at=NOW, reason="correction", actor="user:ops").balance == 0
    with pytest.raises(ValidationFailed):
        ledger.redeem(0, value=Decimal("0.10"), at=NOW, reference="tx:3")


def test_a_session_earns_and_redeems_only_once() -> None:
    ledger = BonusLedger().earn(
        PER_KWH, energy_kwh=Decimal(5), amount=Decimal(2), currency="EUR", at=NOW, reference="tx:1"
    )
    with pytest.raises(Conflict) as caught:
        ledger.earn(
            PER_KWH,
            energy_kwh=Decimal(5),
            amount=Decimal(2),
            currency="EUR",
            at=NOW,
            reference="tx:1",
        )
    assert caught.value.code == "already_recorded"
    ledger = ledger.redeem(1, value=Decimal("0.10"), at=NOW, reference="tx:2")
    with pytest.raises(Conflict):
        ledger.redeem(1, value=Decimal("0.10"), at=NOW, reference="tx:2")


def test_no_rule_or_no_points_leaves_the_ledger_unchanged() -> None:
    ledger = BonusLedger()
    kwargs: dict[str, Any] = {"currency": "EUR", "at": NOW, "reference": "tx:1"}
    assert ledger.earn(_plan(None), energy_kwh=Decimal(50), amount=Decimal(20), **kwargs) is ledger
    assert ledger.earn(PER_KWH, energy_kwh=Decimal("0.4"), amount=Decimal(1), **kwargs) is ledger


def test_amount_based_points_need_the_plans_currency() -> None:
    per_euro = _plan(BonusRule(BonusBasis.AMOUNT, Decimal(1), Decimal("0.05")))
    with pytest.raises(ValidationFailed, match="EUR"):
        BonusLedger().earn(
            per_euro,
            energy_kwh=Decimal(1),
            amount=Decimal(10),
            currency="PLN",
            at=NOW,
            reference="t",
        )


@pytest.mark.parametrize(
    ("movement", "points"),
    [(BonusMovement.EARN, -1), (BonusMovement.REDEEM, 5), (BonusMovement.ADJUST, 0)],
)
def test_entry_signs_are_checked(movement: BonusMovement, points: int) -> None:
    with pytest.raises(ValidationFailed):
        BonusEntry(movement, points, NOW, "ref")


def test_a_stored_ledger_may_not_go_negative_or_repeat_a_session() -> None:
    with pytest.raises(ValidationFailed, match="never negative"):
        BonusLedger((BonusEntry(BonusMovement.REDEEM, -1, NOW, "tx:1", value=Decimal(1)),))
    twice = (
        BonusEntry(BonusMovement.EARN, 3, NOW, "tx:1"),
        BonusEntry(BonusMovement.EARN, 3, NOW, "tx:1"),
    )
    with pytest.raises(ValidationFailed, match="twice"):
        BonusLedger(twice)


_operation = st.tuples(st.sampled_from(["earn", "redeem", "adjust"]), st.integers(-50, 50))


@given(st.lists(_operation, max_size=30))
def test_the_ledger_follows_a_simple_model_and_never_goes_negative(
    operations: list[tuple[str, int]],
) -> None:
    ledger, expected = BonusLedger(), 0
    for number, (kind, points) in enumerate(operations):
        reference = f"tx:{number}"
        if kind == "earn":
            kwh = Decimal(abs(points)) / 4  # 2 points per kWh, rounded down
            ledger = ledger.earn(
                PER_KWH,
                energy_kwh=kwh,
                amount=Decimal(0),
                currency="EUR",
                at=NOW,
                reference=reference,
            )
            expected += abs(points) // 2
        elif kind == "redeem" and 0 < abs(points) <= expected:
            ledger = ledger.redeem(abs(points), value=Decimal("0.10"), at=NOW, reference=reference)
            expected -= abs(points)
        elif kind == "adjust" and points != 0 and expected + points >= 0:
            ledger = ledger.adjust(points, at=NOW, reason="fix", actor="ops")
            expected += points
        elif kind == "redeem":
            with pytest.raises((Conflict, ValidationFailed)):
                ledger.redeem(abs(points), value=Decimal("0.10"), at=NOW, reference=reference)
        else:
            with pytest.raises((Conflict, ValidationFailed)):
                ledger.adjust(points, at=NOW, reason="fix", actor="ops")
        assert ledger.balance == expected >= 0


@pytest.mark.parametrize(
    ("status", "after"),
    [
        (TokenStatus.ACTIVE, TokenStatus.EXPIRED),
        (TokenStatus.BLOCKED, TokenStatus.EXPIRED),
        (TokenStatus.EXPIRED, TokenStatus.EXPIRED),
        (TokenStatus.LOST, TokenStatus.LOST),
    ],
)
def test_expiring_a_token_keeps_a_lost_one_lost(status: TokenStatus, after: TokenStatus) -> None:
    assert card(status=status).expire().status is after
