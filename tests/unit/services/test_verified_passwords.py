"""Reconnects with an unchanged password skip scrypt; anything else is verified again."""

from __future__ import annotations

import pytest

from ampyre.domain.station_secrets import hash_password, verify_password
from ampyre.services.verified_passwords import VerifiedPasswords

PASSWORD = "correct-horse-battery"


class CountingVerify:
    """The real scrypt check, counting how often it runs."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, password: str, stored: str) -> bool:
        self.calls.append(password)
        return verify_password(password, stored)


@pytest.fixture
def scrypt() -> CountingVerify:
    return CountingVerify()


async def test_a_reconnect_with_the_same_password_is_not_hashed_again(
    scrypt: CountingVerify,
) -> None:
    verified = VerifiedPasswords(slow_verify=scrypt)
    stored = hash_password(PASSWORD)

    assert await verified.verify("CP-1", PASSWORD, stored)
    assert await verified.verify("CP-1", PASSWORD, stored)
    assert scrypt.calls == [PASSWORD]


async def test_a_wrong_password_is_refused_even_after_the_right_one(
    scrypt: CountingVerify,
) -> None:
    verified = VerifiedPasswords(slow_verify=scrypt)
    stored = hash_password(PASSWORD)
    assert await verified.verify("CP-1", PASSWORD, stored)

    assert not await verified.verify("CP-1", "wrong-horse-battery", stored)
    assert not await verified.verify("CP-2", PASSWORD, hash_password("another-password-99"))
    assert len(scrypt.calls) == 3


async def test_a_changed_password_invalidates_the_remembered_one(scrypt: CountingVerify) -> None:
    verified = VerifiedPasswords(slow_verify=scrypt)
    assert await verified.verify("CP-1", PASSWORD, hash_password(PASSWORD))

    changed = hash_password("a-brand-new-secret-42")
    assert not await verified.verify("CP-1", PASSWORD, changed)
    assert await verified.verify("CP-1", "a-brand-new-secret-42", changed)
    # Same password, re-hashed with a new salt: verified again, then remembered.
    rehashed = hash_password(PASSWORD)
    assert await verified.verify("CP-1", PASSWORD, rehashed)
    assert await verified.verify("CP-1", PASSWORD, rehashed)
    assert len(scrypt.calls) == 4


async def test_the_oldest_station_is_forgotten_beyond_the_bound(scrypt: CountingVerify) -> None:
    verified = VerifiedPasswords(max_entries=2, slow_verify=scrypt)
    stored = hash_password(PASSWORD)
    for station_id in ("CP-1", "CP-2", "CP-3"):
        assert await verified.verify(station_id, PASSWORD, stored)

    assert len(verified) == 2
    assert await verified.verify("CP-3", PASSWORD, stored)
    assert await verified.verify("CP-1", PASSWORD, stored)
    assert scrypt.calls == [PASSWORD] * 4
