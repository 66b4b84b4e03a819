"""The authorisation pipeline's decision: token → contract → customer → payment → tariff →
concurrency, the first refusal wins, and an accepted answer's expiry and group."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ampyre.domain.authorization import (
    REASON_MAX,
    AuthorizationAttempt,
    AuthorizationTrigger,
    TokenHolder,
    authorise_holder,
    clip_reason,
)
from ampyre.domain.contracts import Contract
from ampyre.domain.customer_types import CustomerType
from ampyre.domain.customers import Consent, ConsentKind, Customer, CustomerProfile
from ampyre.domain.emaid import Emaid
from ampyre.domain.errors import ValidationFailed
from ampyre.domain.id_tags import AuthorizationStatus as S
from ampyre.domain.tokens import Token, TokenKind, TokenStatus

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)
EMAID = Emaid.new("PL", "AMP", "C00000042")
START = AuthorizationTrigger.START


def contract(**changes: Any) -> Contract:
    fields: dict[str, Any] = {
        "id": EMAID,
        "customer_id": "cust-1",
        "plan_id": "flex",
        "starts_at": NOW - timedelta(days=10),
    }
    made = Contract(**(fields | changes))
    return made.activate(at=NOW - timedelta(days=10), actor="user:ops")


def customer(**changes: Any) -> Customer:
    fields: dict[str, Any] = {
        "id": "cust-1",
        "type": CustomerType.PRIVATE,
        "profile": CustomerProfile.SUBSCRIBER,
        "name": "Anna Nowak",
    }
    return Customer(**(fields | changes))


def token(**changes: Any) -> Token:
    fields: dict[str, Any] = {
        "uid": "04A2B3C4D5E6F7",
        "kind": TokenKind.RFID,
        "contract_id": EMAID,
        "issued_at": NOW - timedelta(days=10),
    }
    return Token(**(fields | changes))


def decide(
    holder: TokenHolder,
    *,
    tariff_id: str | None = "PL-AC",
    trigger: AuthorizationTrigger = START,
    in_session: bool = False,
) -> Any:
    return authorise_holder(
        holder, now=NOW, tariff_id=tariff_id, trigger=trigger, in_session=in_session
    )


def test_an_active_subscriber_card_is_accepted_in_the_contract_group() -> None:
    answer = decide(TokenHolder(token(), contract(), customer()))
    assert answer.status is S.ACCEPTED
    assert answer.parent_id_tag == EMAID.compact
    assert answer.expires_at is None
    assert EMAID.compact in answer.reason


def test_the_accepted_expiry_is_the_earlier_of_token_and_contract() -> None:
    token_end, contract_end = NOW + timedelta(days=5), NOW + timedelta(days=3)
    answer = decide(
        TokenHolder(token(expires_at=token_end), contract(ends_at=contract_end), customer())
    )
    assert answer.expires_at == contract_end
    answer = decide(TokenHolder(token(expires_at=token_end), contract(), customer()))
    assert answer.expires_at == token_end


@pytest.mark.parametrize(
    ("holder", "status", "reason"),
    [
        (
            TokenHolder(token(status=TokenStatus.BLOCKED), contract(), customer()),
            S.BLOCKED,
            "blocked",
        ),
        (TokenHolder(token(status=TokenStatus.LOST), contract(), customer()), S.BLOCKED, "lost"),
        (TokenHolder(token(expires_at=NOW), contract(), customer()), S.EXPIRED, "expired"),
        (TokenHolder(token(), None, None), S.INVALID, "does not exist"),
        (
            TokenHolder(
                token(),
                contract().suspend(at=NOW - timedelta(hours=1), actor="ops", reason="unpaid"),
                customer(),
            ),
            S.BLOCKED,
            "suspended",
        ),
        (
            TokenHolder(
                token(),
                contract().end(at=NOW - timedelta(hours=1), actor="ops", reason="cancelled"),
                customer(),
            ),
            S.EXPIRED,
            "ended",
        ),
        (TokenHolder(token(), contract(ends_at=NOW), customer()), S.EXPIRED, "ended"),
        (
            TokenHolder(
                token(),
                Contract(EMAID, "cust-1", "flex", NOW - timedelta(days=1)),
                customer(),
            ),
            S.BLOCKED,
            "not in force yet",
        ),
        (
            TokenHolder(
                token(),
                Contract(EMAID, "cust-1", "flex", NOW + timedelta(days=1)).activate(
                    at=NOW - timedelta(days=1), actor="ops"
                ),
                customer(),
            ),
            S.BLOCKED,
            "not in force yet",
        ),
        (TokenHolder(token(), contract(), None), S.INVALID, "closed"),
        (
            TokenHolder(token(), contract(), customer(anonymised_at=NOW - timedelta(days=1))),
            S.INVALID,
            "closed",
        ),
        (
            TokenHolder(token(), contract(), customer().block("fraud suspected", NOW)),
            S.BLOCKED,
            "fraud suspected",
        ),
        (
            TokenHolder(token(), contract(), customer(profile=CustomerProfile.AD_HOC)),
            S.BLOCKED,
            "automatic payments",
        ),
    ],
)
def test_the_first_refusing_step_decides(holder: TokenHolder, status: S, reason: str) -> None:
    answer = decide(holder)
    assert answer.status is status
    assert reason in answer.reason


def test_an_ad_hoc_customer_with_consent_to_automatic_payments_is_ready() -> None:
    consent = Consent(ConsentKind.AUTOMATIC_PAYMENTS, True, NOW - timedelta(days=1), "portal")
    ad_hoc = customer(profile=CustomerProfile.AD_HOC, consents=(consent,))
    assert decide(TokenHolder(token(), contract(), ad_hoc)).status is S.ACCEPTED
    withdrawn = ad_hoc.with_consent(Consent(ConsentKind.AUTOMATIC_PAYMENTS, False, NOW, "app"))
    assert decide(TokenHolder(token(), contract(), withdrawn)).status is S.BLOCKED


def test_no_tariff_refuses_a_start_but_not_a_stop() -> None:
    holder = TokenHolder(token(), contract(), customer())
    refused = decide(holder, tariff_id=None)
    assert refused.status is S.INVALID
    assert "no tariff" in refused.reason
    assert "flex" in refused.reason
    stop = decide(holder, tariff_id=None, trigger=AuthorizationTrigger.STOP)
    assert stop.status is S.ACCEPTED


def test_a_token_in_a_session_is_concurrent_for_a_new_session_only() -> None:
    holder = TokenHolder(token(), contract(), customer())
    for trigger in (START, AuthorizationTrigger.AUTHORIZE, AuthorizationTrigger.REMOTE_START):
        assert decide(holder, trigger=trigger, in_session=True).status is S.CONCURRENT_TX
    stop = decide(holder, trigger=AuthorizationTrigger.STOP, in_session=True)
    assert stop.status is S.ACCEPTED


def test_a_blocked_token_is_blocked_even_in_a_session() -> None:
    holder = TokenHolder(token(status=TokenStatus.BLOCKED), contract(), customer())
    assert decide(holder, in_session=True).status is S.BLOCKED


def test_an_autocharge_vehicle_token_is_accepted_like_a_card() -> None:
    vehicle = token(uid="VID:92D50A693F80", kind=TokenKind.VEHICLE)
    answer = decide(TokenHolder(vehicle, contract(), customer()))
    assert answer.status is S.ACCEPTED
    assert answer.reason.startswith("vehicle token")


def test_the_instant_must_be_aware() -> None:
    with pytest.raises(ValidationFailed):
        authorise_holder(
            TokenHolder(token(), contract(), customer()),
            now=NOW.replace(tzinfo=None),
            tariff_id="PL-AC",
            trigger=START,
            in_session=False,
        )


def test_log_reasons_are_clipped_and_required() -> None:
    assert clip_reason("short") == "short"
    long = "x" * (REASON_MAX + 50)
    assert len(clip_reason(long)) == REASON_MAX
    with pytest.raises(ValidationFailed):
        AuthorizationAttempt(NOW, START, "04A2", S.INVALID, "")
    with pytest.raises(ValidationFailed):
        AuthorizationAttempt(NOW.replace(tzinfo=None), START, "04A2", S.INVALID, "unknown")
