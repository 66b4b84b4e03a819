"""A fake payment adapter for the provider-settings tests (the real ones are tested on
their own): its connection test accepts only ``GOOD_KEY``, and it is careless on purpose,
putting the key it was given into its messages and errors, so the tests show that Ampyre
scrubs them."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from ampyre.domain.errors import ValidationFailed
from ampyre.services.payment_port import (
    ConnectionCheck,
    CredentialField,
    PaymentProviderRejected,
    PaymentProviderUnavailable,
    ProviderSpec,
)

GOOD_KEY = "sk_test_SUPERSECRET1234abcdEFGH5678"
"""The only secret key the fake provider accepts; masked "sk_test_…5678"."""
OTHER_GOOD_KEY = "sk_test_ANOTHERSECRET42zyxwVUTS9876"
WRONG_KEY = "sk_test_WRONGSECRET0000mnopQRST1111"
WEBHOOK_SECRET = "whsec_WEBHOOKSECRET77klmnOPQR2468"
ACCOUNT = "acct_fake_1"
"""``account`` values that make the connection test fail in other ways:"""
UNREACHABLE = "acct_unreachable"
HANGING = "acct_hanging"
CRASHING = "acct_crashing"


class FakeProvider:
    """Only what the provider-settings use cases call; payments are not its business."""

    name = "fakepay"

    def __init__(self, credentials: Mapping[str, str]) -> None:
        self.credentials = dict(credentials)

    async def check_connection(self) -> ConnectionCheck:
        key = self.credentials["secret_key"]
        account = self.credentials.get("account", ACCOUNT)
        if account == UNREACHABLE:
            raise PaymentProviderUnavailable(f"connection refused while using {key}")
        if account == HANGING:
            await asyncio.sleep(3600)
        if account == CRASHING:
            raise RuntimeError(f"adapter bug, key={key}")
        if key not in (GOOD_KEY, OTHER_GOOD_KEY):
            raise PaymentProviderRejected(f"Invalid API Key provided: {key}")
        return ConnectionCheck(ok=True, message=f"{account} reachable with {key}", test_mode=True)


def _factory(credentials: Mapping[str, str]) -> Any:
    key = credentials["secret_key"]
    if not key.startswith("sk_"):
        raise ValidationFailed(f"a secret key starts with sk_, not like {key}")
    return FakeProvider(credentials)


FAKE_SPEC = ProviderSpec(
    name="fakepay",
    label="FakePay",
    fields=(
        CredentialField("account", secret=False, description="The account id, acct_..."),
        CredentialField("secret_key", secret=True, description="The secret API key, sk_..."),
        CredentialField(
            "webhook_secret", secret=True, description="Signs webhooks, whsec_...", required=False
        ),
        CredentialField("statement", secret=False, description="On statements", required=False),
    ),
    factory=_factory,
)

SANDBOX_SPEC = ProviderSpec(
    name="fakesandbox",
    label="Fake sandbox",
    fields=(CredentialField("secret_key", secret=True, description="Any sk_ key"),),
    factory=_factory,
    test_only=True,
)

SPECS = {spec.name: spec for spec in (FAKE_SPEC, SANDBOX_SPEC)}


def fakepay_credentials(**overrides: str) -> dict[str, str]:
    return {"account": ACCOUNT, "secret_key": GOOD_KEY, **overrides}
