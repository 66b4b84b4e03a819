"""The secret box port: encryption of the secrets Ampyre must store to use them again
(payment provider keys, webhook secrets), with keys the database never holds
(ARCHITECTURE.md "Security baseline").

The adapter (:mod:`ampyre.db.secret_box`) takes its keys from the environment
(``AMPYRE_SECRET_KEYS``): the first key seals, every key opens. A key is rotated by putting a
new key first, re-sealing everything stored (``ampyre secrets rotate``), then removing the
old key. Without keys (:class:`NoSecretKeys`) nothing can be sealed or opened.
"""

from __future__ import annotations

from typing import Protocol

from ampyre.domain.errors import Conflict

MISSING_KEYS = (
    "no secret key is configured: set AMPYRE_SECRET_KEYS to a key made with "
    "`ampyre secrets generate-key` (and keep a copy: what it encrypts cannot be read without it)"
)


class SecretKeysMissing(Conflict):
    """A secret must be sealed or opened but no key is configured."""

    code = "secret_keys_missing"


class SecretUnreadable(Conflict):
    """No configured key opens a sealed secret (it was sealed with another key, or the
    stored text was changed)."""

    code = "secret_unreadable"


class SecretBox(Protocol):
    """Authenticated encryption of short texts. Sealed texts are ASCII, safe to store."""

    def seal(self, plaintext: str) -> str:
        """``plaintext`` encrypted with the current key; sealing twice gives two different
        texts. ``SecretKeysMissing`` without a key."""
        ...

    def unseal(self, sealed: str) -> str:
        """The plaintext; ``SecretUnreadable`` when no key opens it."""
        ...

    def reseal(self, sealed: str) -> str:
        """The same plaintext sealed again with the current key (a key rotation);
        ``SecretUnreadable`` when no key opens it."""
        ...


class NoSecretKeys:
    """The box when no key is configured: every use raises ``SecretKeysMissing``."""

    def seal(self, plaintext: str) -> str:
        raise SecretKeysMissing(MISSING_KEYS)

    def unseal(self, sealed: str) -> str:
        raise SecretKeysMissing(MISSING_KEYS)

    def reseal(self, sealed: str) -> str:
        raise SecretKeysMissing(MISSING_KEYS)
