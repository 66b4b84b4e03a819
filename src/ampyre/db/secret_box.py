"""The secret box on Fernet (package ``cryptography``): AES-128-CBC with HMAC-SHA256, so a
sealed text that was changed, or sealed with another key, is refused rather than misread.

Keys come from ``AMPYRE_SECRET_KEYS``, comma-separated: the first seals, every key opens
(``MultiFernet``). To rotate: make a key (``ampyre secrets generate-key``), put it first,
restart, run ``ampyre secrets rotate`` (everything stored is sealed again with it), then
drop the old key. Error messages never repeat a key.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from ampyre.services.secret_box import NoSecretKeys, SecretBox, SecretUnreadable

ENV_NAME = "AMPYRE_SECRET_KEYS"


class InvalidSecretKeys(ValueError):
    """``AMPYRE_SECRET_KEYS`` is set but is not a list of Fernet keys."""


def generate_key() -> str:
    """A new random key (32 bytes, URL-safe base64: 44 characters)."""
    return Fernet.generate_key().decode("ascii")


def parse_keys(text: str) -> list[str]:
    """The keys of a comma-separated list, in order; blanks around them are ignored."""
    return [key.strip() for key in text.split(",") if key.strip()]


def secret_box(keys_text: str | None) -> SecretBox:
    """The box for the value of ``AMPYRE_SECRET_KEYS`` (None or blank: a box without keys,
    which refuses every use with a clear message). ``InvalidSecretKeys`` for a malformed key."""
    keys = parse_keys(keys_text or "")
    return FernetSecretBox(keys) if keys else NoSecretKeys()


class FernetSecretBox:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise InvalidSecretKeys(f"{ENV_NAME} holds no key")
        fernets: list[Fernet] = []
        for number, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key.encode("ascii")))
            except (ValueError, TypeError):
                # Not chained: the original error would travel with the key's text.
                raise InvalidSecretKeys(
                    f"key {number} of {len(keys)} in {ENV_NAME} is not a Fernet key "
                    "(44 characters of URL-safe base64): make one with "
                    "`ampyre secrets generate-key`"
                ) from None
        self._keys = MultiFernet(fernets)
        self._count = len(fernets)

    def __repr__(self) -> str:
        return f"FernetSecretBox({self._count} key(s))"

    def seal(self, plaintext: str) -> str:
        return self._keys.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def unseal(self, sealed: str) -> str:
        try:
            return self._keys.decrypt(sealed.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise self._unreadable() from None

    def reseal(self, sealed: str) -> str:
        try:
            return self._keys.rotate(sealed.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError):
            raise self._unreadable() from None

    def _unreadable(self) -> SecretUnreadable:
        return SecretUnreadable(
            f"none of the {self._count} key(s) in {ENV_NAME} decrypts it: it was encrypted "
            "with another key (add that key to the list) or the stored text was changed"
        )
