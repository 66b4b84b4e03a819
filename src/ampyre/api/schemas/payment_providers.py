"""Payment provider request and response models. Values sent in requests are write-only
(``SecretStr``: masked in any representation); responses carry secrets only masked."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, SecretStr

from ampyre.api.schemas.common import ApiModel, PatchModel, UtcTime, given_value
from ampyre.services.payment_port import ConnectionCheck
from ampyre.services.payment_providers import (
    VALUE_MAX,
    NewProviderAccount,
    ProviderAccountUpdate,
    ProviderAccountView,
    ProviderChoice,
)

FieldName = Annotated[str, Field(min_length=1, max_length=64)]
FieldValue = Annotated[SecretStr, Field(max_length=VALUE_MAX)]
CREDENTIALS_EXAMPLE = {"secret_key": "sk_test_…", "webhook_secret": "whsec_…"}


class CredentialFieldOut(BaseModel):
    name: str
    secret: bool = Field(description="Stored encrypted and only ever shown masked.")
    description: str
    required: bool


class ProviderSpecOut(BaseModel):
    name: str = Field(examples=["stripe"])
    label: str = Field(examples=["Stripe"])
    test_only: bool = Field(description="A test provider (the sandbox), never for production.")
    selectable: bool = Field(description="Whether this configuration lets it be connected.")
    reason: str | None = Field(description="Why it is not selectable.")
    fields: list[CredentialFieldOut]

    @classmethod
    def from_choice(cls, choice: ProviderChoice) -> ProviderSpecOut:
        spec = choice.spec
        return cls(
            name=spec.name,
            label=spec.label,
            test_only=spec.test_only,
            selectable=choice.selectable,
            reason=choice.reason,
            fields=[
                CredentialFieldOut(
                    name=f.name, secret=f.secret, description=f.description, required=f.required
                )
                for f in spec.fields
            ],
        )


class ProviderAccountCreate(ApiModel):
    provider: str = Field(min_length=1, max_length=32, examples=["stripe"])
    label: str = Field(min_length=1, max_length=200, examples=["Stripe (live)"])
    credentials: dict[FieldName, FieldValue] = Field(
        description="A value for each field of the provider (GET /payment-providers/specs), "
        "secret or not.",
        examples=[CREDENTIALS_EXAMPLE],
    )
    active: bool = Field(
        default=False, description="Make it the provider new payments go to at once."
    )

    def to_new(self) -> NewProviderAccount:
        return NewProviderAccount(
            provider=self.provider,
            label=self.label,
            credentials={n: v.get_secret_value() for n, v in self.credentials.items()},
            active=self.active,
        )


class ProviderAccountPatch(PatchModel):
    """Only what is sent changes: a secret is replaced only when it is sent; null removes an
    optional field."""

    not_nullable = ("label", "credentials")

    label: str | None = Field(default=None, min_length=1, max_length=200)
    credentials: dict[FieldName, FieldValue | None] | None = Field(
        default=None, examples=[{"secret_key": "sk_live_…"}]
    )

    def to_update(self) -> ProviderAccountUpdate:
        return ProviderAccountUpdate(
            label=given_value(self, "label", self.label),
            credentials={
                n: None if v is None else v.get_secret_value()
                for n, v in (self.credentials or {}).items()
            },
        )


class ProviderAccountOut(BaseModel):
    id: str
    provider: str = Field(examples=["stripe"])
    provider_label: str = Field(examples=["Stripe"])
    label: str
    settings: dict[str, str] = Field(description="The non-secret fields, as entered.")
    secrets: dict[str, str] = Field(
        description="The secret fields, masked: their kind prefix and last four characters.",
        examples=[{"secret_key": "sk_live_…4242"}],
    )
    active: bool = Field(description="New payments go to this account.")
    test_only: bool
    created_at: UtcTime
    updated_at: UtcTime
    rotated_at: UtcTime | None = Field(
        description="When the secrets were last re-encrypted with a newer key."
    )

    @classmethod
    def from_view(cls, v: ProviderAccountView) -> ProviderAccountOut:
        return cls(
            id=v.id,
            provider=v.provider,
            provider_label=v.provider_label,
            label=v.label,
            settings=dict(v.settings),
            secrets=dict(v.secrets),
            active=v.active,
            test_only=v.test_only,
            created_at=v.created_at,
            updated_at=v.updated_at,
            rotated_at=v.rotated_at,
        )


class ConnectionCheckOut(BaseModel):
    ok: bool
    message: str = Field(examples=["account acct_1 reachable, test mode"])
    test_mode: bool

    @classmethod
    def from_check(cls, check: ConnectionCheck) -> ConnectionCheckOut:
        return cls(ok=check.ok, message=check.message, test_mode=check.test_mode)
