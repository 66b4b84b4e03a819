"""What may be shown of a secret, and what a stored provider account must hold."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ampyre.domain.errors import ValidationFailed
from ampyre.domain.payment_accounts import ProviderAccount, mask_secret

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("secret", "shown"),
    [
        ("sk_test_SUPERSECRET1234abcdEFGH5678", "sk_test_…5678"),
        ("sk_live_" + "x" * 96 + "4242", "sk_live_…4242"),
        ("rk_live_ABCDEFGHIJKLMNOP", "rk_live_…MNOP"),
        ("whsec_0123456789abcdefXYZW", "whsec_…XYZW"),
        ("0123456789abcdef", "…cdef"),
        # Too short to show four characters and keep twelve hidden: nothing of its own.
        ("0123456789abcde", "…"),
        ("sk_test_short", "sk_test_…"),
        ("", "…"),
        # Only a lower-case kind marker counts as a prefix, at most two parts.
        ("SK_TEST_0123456789abcdef", "…cdef"),
        ("ab_cd_ef_0123456789abcdef", "ab_…cdef"),
    ],
)
def test_mask_shows_at_most_the_kind_prefix_and_four_characters(secret: str, shown: str) -> None:
    assert mask_secret(secret) == shown


@pytest.mark.parametrize("length", range(0, 40))
def test_a_mask_never_holds_the_secret(length: int) -> None:
    secret = "".join(chr(ord("A") + i % 26) for i in range(length))
    masked = mask_secret(secret)
    assert len(masked) <= 1 + 4
    if length:
        assert secret not in masked


def _account(**overrides: object) -> ProviderAccount:
    fields: dict[str, object] = {
        "id": "a1",
        "provider": "stripe",
        "label": "Stripe",
        "settings": {"account": "acct_1"},
        "sealed_secrets": {"secret_key": "gAAAA-sealed"},
        "secret_hints": {"secret_key": "sk_test_…4242"},
        "active": False,
        "created_at": NOW,
        "updated_at": NOW,
    }
    return ProviderAccount(**{**fields, **overrides})  # type: ignore[arg-type]


def test_an_account_never_shows_its_sealed_secrets_in_its_repr() -> None:
    assert "gAAAA-sealed" not in repr(_account())


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"provider": "Stripe!"}, "not a payment provider name"),
        ({"label": " "}, "label"),
        ({"label": "x" * 201}, "label"),
        ({"secret_hints": {}}, "hint"),
        ({"settings": {"secret_key": "x"}}, "either a setting or a secret"),
        ({"updated_at": datetime(2026, 1, 1)}, "time zone"),  # noqa: DTZ001 - the point
    ],
)
def test_an_inconsistent_account_is_refused(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        _account(**overrides)
