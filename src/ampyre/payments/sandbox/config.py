"""How the sandbox PSP runs (:class:`SandboxConfig`) and its account's keys."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from ampyre.payments.sandbox.delivery import DeliveryPolicy, WebhookChaos

ACCOUNT_ID = "acct_sandbox"
API_KEY_PREFIX = "sk_sandbox_"
WEBHOOK_SECRET_PREFIX = "whs_sandbox_"  # noqa: S105 - a public marker, not a secret


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_hex(24)


def new_webhook_secret() -> str:
    return WEBHOOK_SECRET_PREFIX + secrets.token_hex(24)


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """How the sandbox runs.

    ``api_key`` / ``webhook_secret``: when None, generated at the first start and kept in the
    sandbox's storage (read them from :attr:`SandboxPsp.account`). ``webhook_url``: where
    events are POSTed (None: events are only stored). ``public_url``: the sandbox's address
    as a browser reaches it, for checkout pages (None: the address the API request came to).
    """

    database_url: str = "sqlite+aiosqlite:///sandbox-psp.db"
    api_key: str | None = None
    webhook_secret: str | None = None
    webhook_url: str | None = None
    public_url: str | None = None
    authorization_ttl: timedelta = timedelta(days=7)
    checkout_ttl: timedelta = timedelta(hours=1)
    expiry_sweep_s: float = 60.0
    chaos: WebhookChaos = field(default_factory=WebhookChaos)
    delivery: DeliveryPolicy = field(default_factory=DeliveryPolicy)

    def __post_init__(self) -> None:
        if self.api_key is not None and not self.api_key.startswith(API_KEY_PREFIX):
            raise ValueError(f"a sandbox API key starts with {API_KEY_PREFIX!r}")
        if self.webhook_secret is not None and not self.webhook_secret.startswith(
            WEBHOOK_SECRET_PREFIX
        ):
            raise ValueError(f"a sandbox webhook secret starts with {WEBHOOK_SECRET_PREFIX!r}")
        if self.authorization_ttl <= timedelta(0) or self.checkout_ttl <= timedelta(0):
            raise ValueError("expiry times must be positive")


@dataclass(frozen=True, slots=True)
class SandboxAccount:
    id: str
    api_key: str
    webhook_secret: str
