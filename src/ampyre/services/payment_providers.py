"""Operator use cases for payment provider settings: connect a provider account with its
keys, change them, test the connection, activate one, remove; and, for the payment
service, the active provider built from the stored keys (DOMAIN.md §3).

What a provider needs is its adapter's :class:`~ampyre.services.payment_port.ProviderSpec`.
Secret fields are sealed by the :class:`~ampyre.services.secret_box.SecretBox` before they
reach a repository, are opened only to build a provider, and leave this module only masked:
no result, error message or log line carries them (messages from adapters are scrubbed of
them too). A ``test_only`` provider (the sandbox) is refused in a production configuration.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from ampyre.domain.errors import Conflict, DomainError, NotFound, ValidationFailed
from ampyre.domain.payment_accounts import ProviderAccount, mask_secret
from ampyre.services.access import Actor, Permission, check_permission
from ampyre.services.payment_port import (
    ConnectionCheck,
    PaymentProvider,
    PaymentProviderRejected,
    PaymentProviderUnavailable,
    ProviderSpec,
)
from ampyre.services.ports import Clock, UnitOfWork, UnitOfWorkFactory
from ampyre.services.secret_box import SecretBox, SecretKeysMissing, SecretUnreadable
from ampyre.services.updates import KEEP, Keep, merged

log = logging.getLogger(__name__)

VALUE_MAX = 4096
"""Longest value of one field (Stripe keys are about 110 characters)."""
CONNECTION_TEST_TIMEOUT_S = 30.0


class NoActivePaymentProvider(Conflict):
    """A payment was asked for but no provider account is active."""

    code = "no_active_payment_provider"


@dataclass(frozen=True, slots=True)
class NewProviderAccount:
    """What connecting a provider takes: the adapter's name, a label for people, and a
    value for each of the adapter's fields (secret or not: the spec says which)."""

    provider: str
    label: str
    credentials: Mapping[str, str] = field(repr=False)
    active: bool = False


@dataclass(frozen=True, slots=True)
class ProviderAccountUpdate:
    """``credentials`` holds only the fields to change: a secret is replaced only when it is
    given; None removes an optional field."""

    label: str | Keep = KEEP
    credentials: Mapping[str, str | None] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class ProviderAccountView:
    """An account as people see it: ``settings`` as entered, ``secrets`` only masked."""

    id: str
    provider: str
    provider_label: str
    """The adapter's label ("Stripe"), or its name when this build has no such adapter."""
    label: str
    settings: Mapping[str, str]
    secrets: Mapping[str, str]
    active: bool
    test_only: bool
    created_at: datetime
    updated_at: datetime
    rotated_at: datetime | None


@dataclass(frozen=True, slots=True)
class ProviderChoice:
    """A provider that can be connected, and whether this configuration allows it."""

    spec: ProviderSpec
    selectable: bool
    reason: str | None = None
    """Why it is not selectable."""


@dataclass(frozen=True, slots=True)
class ConnectedProvider:
    """The provider built for one account: payments record ``account_id`` so that their
    captures and refunds go to the same account even after another one is activated."""

    account_id: str
    provider: PaymentProvider


@dataclass(frozen=True, slots=True)
class PaymentProviderService:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    specs: Mapping[str, ProviderSpec]
    """The adapters of this build, by name."""
    secrets: SecretBox
    production: bool = False
    """A production configuration: ``test_only`` providers are refused."""

    def list_specs(self, actor: Actor) -> list[ProviderChoice]:
        """Every adapter of this build with the fields it needs, by name."""
        check_permission(actor, Permission.PAYMENTS_CONFIGURE)
        choices = []
        for _, spec in sorted(self.specs.items()):
            refusal = self._refusal(spec)
            choices.append(ProviderChoice(spec, selectable=refusal is None, reason=refusal))
        return choices

    async def list_accounts(self, actor: Actor) -> list[ProviderAccountView]:
        check_permission(actor, Permission.PAYMENTS_CONFIGURE)
        async with self.uow_factory() as uow:
            accounts = await uow.payment_providers.list()
        return [self._view(account) for account in accounts]

    async def get_account(self, actor: Actor, account_id: str) -> ProviderAccountView:
        check_permission(actor, Permission.PAYMENTS_CONFIGURE)
        async with self.uow_factory() as uow:
            return self._view(await _get(uow, account_id))

    async def do_configure(self, actor: Actor, new: NewProviderAccount) -> ProviderAccountView:
        """Connect an account: every required field of the provider, no unknown one. The
        values are checked by the adapter (e.g. a key's format) without calling the
        provider; ``active`` makes it the active account at once."""
        check_permission(actor, Permission.PAYMENTS_CONFIGURE)
        spec = self._spec(new.provider)
        refusal = self._refusal(spec)
        if refusal:
            raise ValidationFailed(refusal, code="provider_not_selectable")
        values = _complete(spec, _checked(spec, new.credentials))
        secret_names = _secret_names(spec)
        given_secrets = {n: v for n, v in values.items() if n in secret_names}
        _build(spec, values, secret_values=given_secrets.values())
        now = self.clock.now()
        account = ProviderAccount(
            id=str(uuid.uuid4()),
            provider=spec.name,
            label=new.label.strip(),
            settings={n: v for n, v in values.items() if n not in secret_names},
            sealed_secrets={n: self.secrets.seal(v) for n, v in given_secrets.items()},
            secret_hints={n: mask_secret(v) for n, v in given_secrets.items()},
            active=False,
            created_at=now,
            updated_at=now,
        )
        async with self.uow_factory() as uow:
            await uow.payment_providers.add(account)
            if new.active:
                await uow.payment_providers.activate(account.id, now)
            await uow.commit()
        log.info(
            "payment provider account %s (%s, %r) connected by %s%s",
            account.id,
            spec.name,
            account.label,
            actor.name,
            " and activated" if new.active else "",
        )
        return await self.get_account(actor, account.id)

    async def do_update(
        self, actor: Actor, account_id: str, update: ProviderAccountUpdate
    ) -> ProviderAccountView:
        """Change the label and some fields; the account must stay complete (checked by the
        adapter with the stored secrets, which are opened for that only when some field
        changes and those secrets are not all replaced)."""
        check_permission(actor, Permission.PAYMENTS_CONFIGURE)
        async with self.uow_factory() as uow:
            current = await _get(uow, account_id)
            spec = self._spec(current.provider)
            changes = _checked(spec, update.credentials)
            changed = replace(
                current,
                label=merged(update.label, current.label).strip(),
                updated_at=self.clock.now(),
            )
            if changes:
                changed = self._with_changes(spec, changed, changes)
            await uow.payment_providers.update(changed)
            await uow.commit()
        log.info(
            "payment provider account %s (%s) changed by %s: %s",
            account_id,
            current.provider,
            actor.name,
            ", ".join(sorted(changes)) or "label",
        )
        return await self.get_account(actor, account_id)

    async def do_activate(self, actor: Actor, account_id: str) -> ProviderAccountView:
        """Make this the account new payments go to (the one active before is deactivated).
        Its secrets must open and the adapter must accept them."""
        check_permission(actor, Permission.PAYMENTS_CONFIGURE)
        async with self.uow_factory() as uow:
            account = await _get(uow, account_id)
            self._connect(account)
            await uow.payment_providers.activate(account_id, self.clock.now())
            await uow.commit()
        log.info("payment provider account %s activated by %s", account_id, actor.name)
        return await self.get_account(actor, account_id)

    async def do_deactivate(self, actor: Actor, account_id: str) -> ProviderAccountView:
        """No payments go to this account any more (no account is active then)."""
        check_permission(actor, Permission.PAYMENTS_CONFIGURE)
        async with self.uow_factory() as uow:
            account = await _get(uow, account_id)
            if account.active:
                await uow.payment_providers.deactivate(account_id, self.clock.now())
                await uow.commit()
        log.info("payment provider account %s deactivated by %s", account_id, actor.name)
        return await self.get_account(actor, account_id)

    async def do_remove(self, actor: Actor, account_id: str) -> None:
        """Forget an account and its keys; the active account cannot be removed."""
        check_permission(actor, Permission.PAYMENTS_CONFIGURE)
        async with self.uow_factory() as uow:
            account = await _get(uow, account_id)
            if account.active:
                raise Conflict(
                    f"payment provider {account.label!r} is active: deactivate it or activate "
                    "another one first",
                    code="payment_provider_active",
                )
            await uow.payment_providers.delete(account_id)
            await uow.commit()
        log.info("payment provider account %s removed by %s", account_id, actor.name)

    async def do_test_connection(self, actor: Actor, account_id: str) -> ConnectionCheck:
        """Build the provider from the stored keys and ask it whether they work (a read-only
        call). A failure is the answer (``ok`` false, with what went wrong), not an error;
        only keys that cannot be opened here are an error (a server configuration problem).
        """
        check_permission(actor, Permission.PAYMENTS_CONFIGURE)
        async with self.uow_factory() as uow:
            account = await _get(uow, account_id)
        spec = self._spec(account.provider)
        credentials = self._unsealed(account)
        secret_values = [credentials[n] for n in account.sealed_secrets]
        try:
            async with asyncio.timeout(CONNECTION_TEST_TIMEOUT_S):
                provider = _build(spec, credentials, secret_values=secret_values)
                check = await provider.check_connection()
            check = replace(check, message=_scrub(check.message, secret_values))
        except TimeoutError:
            check = ConnectionCheck(
                ok=False,
                message=f"{spec.label} did not answer within {CONNECTION_TEST_TIMEOUT_S:g} s",
                test_mode=spec.test_only,
            )
        except Exception as exc:  # every failure is reported, none escapes with a secret
            check = ConnectionCheck(
                ok=False, message=_failure(spec, exc, secret_values), test_mode=spec.test_only
            )
        log.info(
            "connection test of payment provider account %s (%s) by %s: %s: %s",
            account_id,
            spec.name,
            actor.name,
            "ok" if check.ok else "failed",
            check.message,
        )
        return check

    async def do_rotate_secrets(self, actor: Actor) -> int:
        """Re-encrypt every stored secret with the current (first) key, in one transaction;
        afterwards the older keys are no longer needed. Returns how many accounts held
        secrets. Any secret no key opens stops it (nothing changes then)."""
        check_permission(actor, Permission.PAYMENTS_CONFIGURE)
        now = self.clock.now()
        count = 0
        async with self.uow_factory() as uow:
            for account in await uow.payment_providers.list():
                if not account.sealed_secrets:
                    continue
                with _about(account):
                    resealed = {
                        n: self.secrets.reseal(s) for n, s in account.sealed_secrets.items()
                    }
                await uow.payment_providers.update(
                    replace(account, sealed_secrets=resealed, rotated_at=now)
                )
                count += 1
            await uow.commit()
        log.info(
            "secrets of %d payment provider account(s) re-encrypted with the current key by %s",
            count,
            actor.name,
        )
        return count

    async def check_stored_secrets(self) -> int:
        """At start: every stored secret opens with the configured keys, else a clear
        ``SecretKeysMissing`` / ``SecretUnreadable`` naming the account. Returns how many
        secrets were checked."""
        async with self.uow_factory() as uow:
            accounts = await uow.payment_providers.list()
        checked = 0
        for account in accounts:
            self._unsealed(account)
            checked += len(account.sealed_secrets)
        return checked

    async def connect_active(self) -> ConnectedProvider:
        """The active account's provider, built from its opened keys;
        ``NoActivePaymentProvider`` when none is active."""
        async with self.uow_factory() as uow:
            account = await uow.payment_providers.active()
        if account is None:
            raise NoActivePaymentProvider(
                "no payment provider is active: an operator connects one "
                "(POST /payment-providers) and activates it"
            )
        return ConnectedProvider(account.id, self._connect(account))

    async def active_provider(self) -> PaymentProvider:
        """The provider new payments go to (see :meth:`connect_active`)."""
        return (await self.connect_active()).provider

    async def provider_for_account(self, account_id: str) -> PaymentProvider:
        """The provider of one account, active or not (captures, refunds and webhooks of
        payments made with it)."""
        async with self.uow_factory() as uow:
            account = await _get(uow, account_id)
        return self._connect(account)

    async def provider_named(self, name: str) -> PaymentProvider:
        """The provider of an account of adapter ``name`` (payments and webhooks record the
        adapter's name): the active account if it is one, else the one changed last;
        ``NotFound`` when no account of that adapter is configured. With several accounts of
        one adapter, :meth:`provider_for_account` is the precise choice."""
        async with self.uow_factory() as uow:
            accounts = [a for a in await uow.payment_providers.list() if a.provider == name]
        if not accounts:
            raise NotFound(f"no payment provider account of {name!r} is configured")
        active = [a for a in accounts if a.active]
        return self._connect(active[0] if active else max(accounts, key=lambda a: a.updated_at))

    def _connect(self, account: ProviderAccount) -> PaymentProvider:
        spec = self._spec(account.provider)
        refusal = self._refusal(spec)
        if refusal:
            raise Conflict(refusal, code="provider_not_selectable")
        credentials = self._unsealed(account)
        return _build(
            spec, credentials, secret_values=[credentials[n] for n in account.sealed_secrets]
        )

    def _with_changes(
        self, spec: ProviderSpec, account: ProviderAccount, changes: Mapping[str, str | None]
    ) -> ProviderAccount:
        secret_names = _secret_names(spec)
        settings = dict(account.settings)
        sealed = dict(account.sealed_secrets)
        hints = dict(account.secret_hints)
        given = {n: v for n, v in changes.items() if v is not None}
        for name, value in changes.items():
            for stored in (settings, sealed, hints):
                stored.pop(name, None)
            if value is None:
                continue
            if name in secret_names:
                sealed[name] = self.secrets.seal(value)
                hints[name] = mask_secret(value)
            else:
                settings[name] = value
        kept = {n: s for n, s in sealed.items() if n not in given}
        with _about(account):
            opened = {n: self.secrets.unseal(s) for n, s in kept.items()}
        values = _complete(spec, {**settings, **opened, **{n: given[n] for n in given}})
        _build(spec, values, secret_values=[values[n] for n in sealed])
        return replace(account, settings=settings, sealed_secrets=sealed, secret_hints=hints)

    def _unsealed(self, account: ProviderAccount) -> dict[str, str]:
        """The account's settings and opened secrets, as its provider's factory takes them."""
        with _about(account):
            opened = {n: self.secrets.unseal(s) for n, s in account.sealed_secrets.items()}
        return {**account.settings, **opened}

    def _spec(self, provider: str) -> ProviderSpec:
        spec = self.specs.get(provider)
        if spec is None:
            known = ", ".join(sorted(self.specs)) or "none"
            raise ValidationFailed(
                f"unknown payment provider {provider!r} (this installation offers: {known})",
                code="unknown_payment_provider",
            )
        return spec

    def _refusal(self, spec: ProviderSpec) -> str | None:
        if self.production and spec.test_only:
            return (
                f"{spec.label} is for testing only and cannot be used in a production "
                "configuration (AMPYRE_ENVIRONMENT=production)"
            )
        return None

    def _view(self, account: ProviderAccount) -> ProviderAccountView:
        spec = self.specs.get(account.provider)
        return ProviderAccountView(
            id=account.id,
            provider=account.provider,
            provider_label=spec.label if spec else account.provider,
            label=account.label,
            settings=dict(account.settings),
            secrets=dict(account.secret_hints),
            active=account.active,
            test_only=spec.test_only if spec else False,
            created_at=account.created_at,
            updated_at=account.updated_at,
            rotated_at=account.rotated_at,
        )


async def _get(uow: UnitOfWork, account_id: str) -> ProviderAccount:
    found = await uow.payment_providers.get(account_id)
    if found is None:
        raise NotFound(f"payment provider {account_id} does not exist")
    return found


def _secret_names(spec: ProviderSpec) -> set[str]:
    return {f.name for f in spec.fields if f.secret}


def _checked(spec: ProviderSpec, credentials: Mapping[str, str | None]) -> dict[str, str | None]:
    """The given values trimmed, blanks as None; ``ValidationFailed`` naming any field the
    provider does not have or a value that is too long."""
    fields = {f.name: f for f in spec.fields}
    result: dict[str, str | None] = {}
    for name, value in credentials.items():
        if name not in fields:
            raise ValidationFailed(
                f"{spec.label} has no setting {name!r}; it takes: {', '.join(fields)}",
                code="unknown_field",
            )
        text = None if value is None else value.strip()
        if text is not None and len(text) > VALUE_MAX:
            raise ValidationFailed(f"{name} is longer than {VALUE_MAX} characters")
        result[name] = text or None
    return result


def _complete(spec: ProviderSpec, values: Mapping[str, str | None]) -> dict[str, str]:
    """The non-empty values; ``ValidationFailed`` naming a required field that is missing."""
    for f in spec.fields:
        if f.required and not values.get(f.name):
            raise ValidationFailed(
                f"{spec.label} needs {f.name!r}: {f.description}", code="missing_field"
            )
    return {name: value for name, value in values.items() if value}


def _build(
    spec: ProviderSpec, credentials: Mapping[str, str], *, secret_values: Iterable[str]
) -> PaymentProvider:
    """``spec.factory(credentials)``; whatever it raises comes back as ``ValidationFailed``
    (or the adapter's own ``DomainError``) with the secrets scrubbed from the message and
    without the original exception attached."""
    try:
        return spec.factory(credentials)
    except DomainError as exc:
        error = type(exc)(_scrub(exc.message, secret_values), code=exc.code)
    except Exception as exc:  # an adapter's unexpected error must not carry a key away
        error = ValidationFailed(
            f"{spec.label} does not accept these settings: {_scrub(str(exc), secret_values)}"
        )
    raise error


def _failure(spec: ProviderSpec, exc: BaseException, secret_values: Iterable[str]) -> str:
    detail = _scrub(getattr(exc, "message", None) or str(exc) or type(exc).__name__, secret_values)
    if isinstance(exc, PaymentProviderUnavailable):
        return f"{spec.label} could not be reached: {detail}"
    if isinstance(exc, PaymentProviderRejected):
        return f"{spec.label} refused the keys: {detail}"
    if isinstance(exc, ValidationFailed):
        return f"the settings are not valid: {detail}"
    return f"the connection test failed ({type(exc).__name__}): {detail}"


def _scrub(text: str, secret_values: Iterable[str]) -> str:
    """``text`` with every secret value in it replaced by its hint (longest first, so a
    secret containing another is replaced whole)."""
    for value in sorted(set(secret_values), key=len, reverse=True):
        if value:
            text = text.replace(value, mask_secret(value))
    return text


@contextlib.contextmanager
def _about(account: ProviderAccount) -> Iterator[None]:
    """Names the account in a secret box error raised inside the block."""
    try:
        yield
    except (SecretKeysMissing, SecretUnreadable) as exc:
        raise type(exc)(
            f"the secrets of payment provider {account.label!r} ({account.id}) cannot be "
            f"read: {exc.message}"
        ) from None
