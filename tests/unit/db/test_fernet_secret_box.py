"""The Fernet secret box: seal and unseal, rotation across keys, wrong and malformed keys,
and no key at all; errors never repeat a key or a secret."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from ampyre.db.secret_box import (
    FernetSecretBox,
    InvalidSecretKeys,
    generate_key,
    parse_keys,
    secret_box,
)
from ampyre.services.secret_box import NoSecretKeys, SecretKeysMissing, SecretUnreadable

SECRET = "sk_test_SUPERSECRET1234abcdEFGH5678"


def test_sealed_text_is_ascii_opens_again_and_differs_each_time() -> None:
    box = FernetSecretBox([generate_key()])
    first, second = box.seal(SECRET), box.seal(SECRET)
    assert first != second
    assert first.isascii()
    assert SECRET not in first
    assert "SUPERSECRET" not in first
    assert box.unseal(first) == box.unseal(second) == SECRET
    assert box.unseal(box.seal("zażółć ✓")) == "zażółć ✓"


def test_the_first_key_seals_and_every_key_opens() -> None:
    old, new = generate_key(), generate_key()
    sealed_with_old = FernetSecretBox([old]).seal(SECRET)
    both = FernetSecretBox([new, old])
    assert both.unseal(sealed_with_old) == SECRET
    sealed_with_new = both.seal(SECRET)
    assert FernetSecretBox([new]).unseal(sealed_with_new) == SECRET
    with pytest.raises(SecretUnreadable):
        FernetSecretBox([old]).unseal(sealed_with_new)


def test_reseal_moves_a_secret_to_the_first_key() -> None:
    old, new = generate_key(), generate_key()
    sealed_with_old = FernetSecretBox([old]).seal(SECRET)
    resealed = FernetSecretBox([new, old]).reseal(sealed_with_old)
    assert resealed != sealed_with_old
    assert FernetSecretBox([new]).unseal(resealed) == SECRET
    with pytest.raises(SecretUnreadable):
        FernetSecretBox([old]).unseal(resealed)


def test_a_wrong_key_or_a_changed_text_is_unreadable_without_saying_more() -> None:
    key, other = generate_key(), generate_key()
    sealed = FernetSecretBox([key]).seal(SECRET)
    with pytest.raises(SecretUnreadable, match="none of the 1 key") as wrong:
        FernetSecretBox([other]).unseal(sealed)
    assert other not in wrong.value.message
    assert wrong.value.__cause__ is None
    assert wrong.value.__suppress_context__
    tampered = sealed[:-6] + ("A" if sealed[-6] != "A" else "B") + sealed[-5:]
    for broken in (tampered, "not a token", "żółw"):
        with pytest.raises(SecretUnreadable):
            FernetSecretBox([key]).unseal(broken)
    with pytest.raises(SecretUnreadable):
        FernetSecretBox([other]).reseal(sealed)


def test_a_generated_key_is_a_fernet_key() -> None:
    key = generate_key()
    assert len(key) == 44
    assert Fernet(key.encode()).decrypt(Fernet(key.encode()).encrypt(b"x")) == b"x"
    assert generate_key() != key


def test_the_setting_is_a_comma_separated_list() -> None:
    a, b = generate_key(), generate_key()
    assert parse_keys(f" {a} , {b},, ") == [a, b]
    assert isinstance(secret_box(None), NoSecretKeys)
    assert isinstance(secret_box(" , "), NoSecretKeys)
    box = secret_box(f"{a},{b}")
    assert FernetSecretBox([a]).unseal(box.seal(SECRET)) == SECRET
    assert repr(box) == "FernetSecretBox(2 key(s))"


@pytest.mark.parametrize("bad", ["short", "x" * 44, "ż" * 44])
def test_a_malformed_key_is_refused_without_repeating_it(bad: str) -> None:
    good = generate_key()
    with pytest.raises(InvalidSecretKeys) as refused:
        secret_box(f"{good},{bad}")
    message = str(refused.value)
    assert message.startswith("key 2 of 2 in AMPYRE_SECRET_KEYS is not a Fernet key")
    assert bad not in message
    assert good not in message
    assert refused.value.__cause__ is None
    assert refused.value.__suppress_context__
    with pytest.raises(InvalidSecretKeys, match="holds no key"):
        FernetSecretBox([])


def test_without_keys_nothing_is_sealed_or_opened() -> None:
    box = NoSecretKeys()
    for use in (box.seal, box.unseal, box.reseal):
        with pytest.raises(SecretKeysMissing, match="set AMPYRE_SECRET_KEYS"):
            use("anything")
