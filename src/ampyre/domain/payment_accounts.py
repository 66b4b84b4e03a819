"""Payment provider accounts an operator connected, and how their secrets are shown.

An account is one set of credentials for one payment adapter (``provider``: "sandbox",
"stripe", ...), with the fields that adapter asks for. Non-secret fields (``settings``) are
kept and shown as entered. Secret fields (API keys, webhook secrets) are kept only sealed,
i.e. encrypted with a key the database never holds, and shown only as the hint
:func:`mask_secret` made of them when they were entered. At most one account is active: the
one new payments go to (DOMAIN.md §3; ARCHITECTURE.md "Security baseline").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ampyre.domain.errors import ValidationFailed

LABEL_MAX = 200
PROVIDER_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
"""An adapter's name as stored with every account and payment ("stripe")."""

HIDDEN = "…"
SHOWN_TAIL = 4
"""How many trailing characters of a secret a hint shows..."""
MIN_HIDDEN = 12
"""...and only when at least this many others stay hidden."""
_TYPE_PREFIX = re.compile(r"^[a-z]{2,6}_(?:(?:test|live)_)?")
"""The kind marker some providers put before a key ("sk_test_", "rk_live_", "whsec_"):
it says what the key is, not what it is worth, so a hint may show it."""


def mask_secret(value: str) -> str:
    """What may be shown of a secret: its kind prefix, "…", and its last four characters
    when at least twelve others stay hidden ("sk_test_…4242", "whsec_…9f3a"); never more.

    A short secret shows no characters of its own at all ("sk_test_…", "…").
    """
    prefix_match = _TYPE_PREFIX.match(value)
    prefix = prefix_match.group(0) if prefix_match else ""
    rest = value[len(prefix) :]
    tail = rest[-SHOWN_TAIL:] if len(rest) >= MIN_HIDDEN + SHOWN_TAIL else ""
    return f"{prefix}{HIDDEN}{tail}"


@dataclass(frozen=True, slots=True)
class ProviderAccount:
    """One connected provider account.

    ``sealed_secrets`` maps each secret field to its ciphertext (only the services' secret
    box opens it); ``secret_hints`` maps the same fields to their :func:`mask_secret` hints.
    ``rotated_at`` is when the secrets were last re-encrypted with a newer key (None: never).
    """

    id: str
    provider: str
    label: str
    settings: Mapping[str, str]
    sealed_secrets: Mapping[str, str] = field(repr=False)
    secret_hints: Mapping[str, str]
    active: bool
    created_at: datetime
    updated_at: datetime
    rotated_at: datetime | None = None

    def __post_init__(self) -> None:
        if not PROVIDER_NAME.match(self.provider):
            raise ValidationFailed(f"{self.provider!r} is not a payment provider name")
        if not self.label.strip() or len(self.label) > LABEL_MAX:
            raise ValidationFailed(f"a payment provider's label must be 1-{LABEL_MAX} characters")
        if set(self.sealed_secrets) != set(self.secret_hints):
            raise ValidationFailed("every sealed secret needs its hint, and only those")
        if set(self.settings) & set(self.sealed_secrets):
            raise ValidationFailed("a field is either a setting or a secret, not both")
        for at in (self.created_at, self.updated_at, self.rotated_at):
            if at is not None and at.tzinfo is None:
                raise ValidationFailed("a payment provider account's times need a time zone")
