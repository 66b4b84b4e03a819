"""PaymentProviderService over SQLite and PostgreSQL with a fake adapter: what an account
must hold, production refusing test-only providers, partial updates that replace secrets only
when given, activation, connection tests, the active provider, key rotation and the check
at start."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest
from tests.integration.payment_spec_fakes import (
    CRASHING,
    GOOD_KEY,
    HANGING,
    OTHER_GOOD_KEY,
    SPECS,
    UNREACHABLE,
    WEBHOOK_SECRET,
    WRONG_KEY,
    FakeProvider,
    fakepay_credentials,
)

from ampyre.db.secret_box import FernetSecretBox, generate_key
from ampyre.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ampyre.services import payment_providers as module
from ampyre.services.access import Actor, Permission, permissions_of
from ampyre.services.clock import FixedClock
from ampyre.services.payment_providers import (
    NewProviderAccount,
    NoActivePaymentProvider,
    PaymentProviderService,
    ProviderAccountUpdate,
)
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.records import Role
from ampyre.services.secret_box import NoSecretKeys, SecretBox, SecretKeysMissing, SecretUnreadable

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
ADMIN = Actor("admin-1", Role.ADMIN)
KEY = generate_key()


def service(
    uow: UnitOfWorkFactory,
    box: SecretBox | None = None,
    *,
    production: bool = False,
    clock: FixedClock | None = None,
) -> PaymentProviderService:
    return PaymentProviderService(
        uow,
        clock or FixedClock(NOW),
        SPECS,
        box or FernetSecretBox([KEY]),
        production=production,
    )


def fakepay(label: str = "FakePay live", active: bool = False, **values: str) -> NewProviderAccount:
    return NewProviderAccount("fakepay", label, fakepay_credentials(**values), active=active)


async def _sealed(uow: UnitOfWorkFactory, account_id: str) -> dict[str, str]:
    async with uow() as tx:
        found = await tx.payment_providers.get(account_id)
    assert found is not None
    return dict(found.sealed_secrets)


async def test_configure_stores_settings_and_sealed_secrets_and_shows_them_masked(
    uow: UnitOfWorkFactory,
) -> None:
    payments = service(uow)
    view = await payments.do_configure(
        ADMIN, fakepay(label="  FakePay live ", webhook_secret=f"  {WEBHOOK_SECRET}\n")
    )
    assert view.provider == "fakepay"
    assert view.provider_label == "FakePay"
    assert view.label == "FakePay live"
    assert view.settings == {"account": "acct_fake_1"}
    assert view.secrets == {"secret_key": "sk_test_…5678", "webhook_secret": "whsec_…2468"}
    assert not view.active
    assert not view.test_only
    assert view.created_at == view.updated_at == NOW
    assert view.rotated_at is None
    assert await payments.list_accounts(ADMIN) == [view]
    assert await payments.get_account(ADMIN, view.id) == view
    sealed = await _sealed(uow, view.id)
    assert set(sealed) == {"secret_key", "webhook_secret"}
    box = FernetSecretBox([KEY])
    assert box.unseal(sealed["secret_key"]) == GOOD_KEY
    assert box.unseal(sealed["webhook_secret"]) == WEBHOOK_SECRET  # trimmed


@pytest.mark.parametrize(
    ("new", "code", "message"),
    [
        (
            NewProviderAccount("stripe", "x", {}),
            "unknown_payment_provider",
            "unknown payment provider 'stripe' (this installation offers: fakepay, fakesandbox)",
        ),
        (
            fakepay(api_key="sk_x"),
            "unknown_field",
            "FakePay has no setting 'api_key'; it takes: account, secret_key, webhook_secret, "
            "statement",
        ),
        (
            NewProviderAccount("fakepay", "x", {"account": "acct_1"}),
            "missing_field",
            "FakePay needs 'secret_key': The secret API key, sk_...",
        ),
        (fakepay(secret_key="   "), "missing_field", "FakePay needs 'secret_key'"),
        (fakepay(account=""), "missing_field", "FakePay needs 'account'"),
        (fakepay(statement="x" * 4097), "validation_failed", "statement is longer than 4096"),
    ],
)
async def test_configure_names_what_is_wrong(
    uow: UnitOfWorkFactory, new: NewProviderAccount, code: str, message: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await service(uow).do_configure(ADMIN, new)
    assert refused.value.code == code
    assert refused.value.message.startswith(message)
    assert await service(uow).list_accounts(ADMIN) == []


async def test_the_adapters_own_check_is_reported_without_the_secret(
    uow: UnitOfWorkFactory,
) -> None:
    leaked = "pk_test_PUBLISHABLENOTSECRET99887766"
    with pytest.raises(ValidationFailed) as refused:
        await service(uow).do_configure(ADMIN, fakepay(secret_key=leaked))
    assert refused.value.message == "a secret key starts with sk_, not like pk_test_…7766"
    assert refused.value.__cause__ is None
    assert refused.value.__context__ is None


async def test_production_refuses_test_only_providers(uow: UnitOfWorkFactory) -> None:
    in_development = service(uow)
    choices = {c.spec.name: c for c in in_development.list_specs(ADMIN)}
    assert choices["fakesandbox"].selectable
    sandbox = await in_development.do_configure(
        ADMIN, NewProviderAccount("fakesandbox", "Sandbox", {"secret_key": GOOD_KEY})
    )
    assert sandbox.test_only

    in_production = service(uow, production=True)
    choices = {c.spec.name: c for c in in_production.list_specs(ADMIN)}
    assert choices["fakepay"].selectable
    assert choices["fakepay"].reason is None
    assert not choices["fakesandbox"].selectable
    expected = (
        "Fake sandbox is for testing only and cannot be used in a production configuration "
        "(AMPYRE_ENVIRONMENT=production)"
    )
    assert choices["fakesandbox"].reason == expected
    with pytest.raises(ValidationFailed, match=r"for testing only") as refused:
        await in_production.do_configure(
            ADMIN, NewProviderAccount("fakesandbox", "Sandbox", {"secret_key": GOOD_KEY})
        )
    assert refused.value.code == "provider_not_selectable"
    # An account made in development cannot be used once the installation is in production.
    with pytest.raises(Conflict, match="for testing only"):
        await in_production.do_activate(ADMIN, sandbox.id)
    await in_development.do_activate(ADMIN, sandbox.id)
    with pytest.raises(Conflict, match="for testing only"):
        await in_production.active_provider()
    assert isinstance(await in_development.active_provider(), FakeProvider)


async def test_the_active_provider_is_built_from_the_opened_keys(uow: UnitOfWorkFactory) -> None:
    payments = service(uow)
    with pytest.raises(NoActivePaymentProvider, match="no payment provider is active"):
        await payments.active_provider()
    first = await payments.do_configure(ADMIN, fakepay(active=True))
    second = await payments.do_configure(
        ADMIN, fakepay(label="Second", secret_key=OTHER_GOOD_KEY, webhook_secret=WEBHOOK_SECRET)
    )
    connected = await payments.connect_active()
    assert connected.account_id == first.id
    assert isinstance(connected.provider, FakeProvider)
    assert connected.provider.credentials == {"account": "acct_fake_1", "secret_key": GOOD_KEY}

    assert (await payments.do_activate(ADMIN, second.id)).active
    assert not (await payments.get_account(ADMIN, first.id)).active
    provider = await payments.active_provider()
    assert isinstance(provider, FakeProvider)
    assert provider.credentials["secret_key"] == OTHER_GOOD_KEY
    assert provider.credentials["webhook_secret"] == WEBHOOK_SECRET
    # A payment made with the first account still reaches it.
    old = await payments.provider_for_account(first.id)
    assert isinstance(old, FakeProvider)
    assert old.credentials["secret_key"] == GOOD_KEY
    with pytest.raises(NotFound):
        await payments.provider_for_account("nope")

    assert not (await payments.do_deactivate(ADMIN, second.id)).active
    assert not (await payments.do_deactivate(ADMIN, first.id)).active
    with pytest.raises(NoActivePaymentProvider):
        await payments.active_provider()


async def test_a_provider_is_found_by_its_adapter_name(uow: UnitOfWorkFactory) -> None:
    clock = FixedClock(NOW)
    payments = service(uow, clock=clock)
    with pytest.raises(NotFound, match="no payment provider account of 'fakepay'"):
        await payments.provider_named("fakepay")
    await payments.do_configure(ADMIN, fakepay(label="Older"))
    clock.advance(60)
    await payments.do_configure(ADMIN, fakepay(label="Newer", secret_key=OTHER_GOOD_KEY))
    await payments.do_configure(
        ADMIN, NewProviderAccount("fakesandbox", "Sandbox", {"secret_key": WRONG_KEY})
    )
    found = await payments.provider_named("fakepay")
    assert isinstance(found, FakeProvider)
    assert found.credentials["secret_key"] == OTHER_GOOD_KEY  # the one changed last
    clock.advance(60)
    older = (await payments.list_accounts(ADMIN))[0]
    await payments.do_activate(ADMIN, older.id)
    found = await payments.provider_named("fakepay")
    assert isinstance(found, FakeProvider)
    assert found.credentials["secret_key"] == GOOD_KEY  # the active one
    other = await payments.provider_named("fakesandbox")
    assert isinstance(other, FakeProvider)
    assert other.credentials["secret_key"] == WRONG_KEY
    with pytest.raises(Conflict, match="for testing only"):
        await service(uow, production=True).provider_named("fakesandbox")


async def test_update_replaces_secrets_only_when_given(uow: UnitOfWorkFactory) -> None:
    clock = FixedClock(NOW)
    payments = service(uow, clock=clock)
    created = await payments.do_configure(ADMIN, fakepay(webhook_secret=WEBHOOK_SECRET))
    sealed_before = await _sealed(uow, created.id)

    clock.advance(60)
    renamed = await payments.do_update(ADMIN, created.id, ProviderAccountUpdate(label="Renamed"))
    assert renamed.label == "Renamed"
    assert renamed.updated_at == clock.now()
    assert await _sealed(uow, created.id) == sealed_before

    changed = await payments.do_update(
        ADMIN,
        created.id,
        ProviderAccountUpdate(credentials={"account": "acct_2", "statement": "AMPYRE"}),
    )
    assert changed.settings == {"account": "acct_2", "statement": "AMPYRE"}
    assert changed.secrets == created.secrets
    assert await _sealed(uow, created.id) == sealed_before

    replaced = await payments.do_update(
        ADMIN,
        created.id,
        ProviderAccountUpdate(credentials={"secret_key": OTHER_GOOD_KEY, "statement": None}),
    )
    assert replaced.settings == {"account": "acct_2"}
    assert replaced.secrets == {"secret_key": "sk_test_…9876", "webhook_secret": "whsec_…2468"}
    sealed_after = await _sealed(uow, created.id)
    assert sealed_after["webhook_secret"] == sealed_before["webhook_secret"]
    assert FernetSecretBox([KEY]).unseal(sealed_after["secret_key"]) == OTHER_GOOD_KEY

    cleared = await payments.do_update(
        ADMIN, created.id, ProviderAccountUpdate(credentials={"webhook_secret": None})
    )
    assert set(cleared.secrets) == {"secret_key"}
    assert set(await _sealed(uow, created.id)) == {"secret_key"}


@pytest.mark.parametrize(
    ("credentials", "code", "message"),
    [
        ({"secret_key": None}, "missing_field", "FakePay needs 'secret_key'"),
        ({"account": "  "}, "missing_field", "FakePay needs 'account'"),
        ({"region": "eu"}, "unknown_field", "FakePay has no setting 'region'"),
        ({"secret_key": "rk_live_RESTRICTEDKEY123456"}, "validation_failed", "rk_live_…3456"),
    ],
)
async def test_an_update_that_breaks_the_account_changes_nothing(
    uow: UnitOfWorkFactory, credentials: dict[str, str | None], code: str, message: str
) -> None:
    payments = service(uow)
    created = await payments.do_configure(ADMIN, fakepay())
    with pytest.raises(ValidationFailed) as refused:
        await payments.do_update(ADMIN, created.id, ProviderAccountUpdate(credentials=credentials))
    assert refused.value.code == code
    assert message in refused.value.message
    assert "RESTRICTEDKEY" not in refused.value.message
    assert await payments.get_account(ADMIN, created.id) == created


async def test_remove_refuses_the_active_account(uow: UnitOfWorkFactory) -> None:
    payments = service(uow)
    active = await payments.do_configure(ADMIN, fakepay(active=True))
    spare = await payments.do_configure(ADMIN, fakepay(label="Spare"))
    with pytest.raises(Conflict, match="is active: deactivate it") as refused:
        await payments.do_remove(ADMIN, active.id)
    assert refused.value.code == "payment_provider_active"
    await payments.do_remove(ADMIN, spare.id)
    assert [v.id for v in await payments.list_accounts(ADMIN)] == [active.id]
    for use in (
        payments.get_account(ADMIN, spare.id),
        payments.do_remove(ADMIN, spare.id),
        payments.do_activate(ADMIN, spare.id),
        payments.do_update(ADMIN, spare.id, ProviderAccountUpdate(label="x")),
        payments.do_test_connection(ADMIN, spare.id),
    ):
        with pytest.raises(NotFound, match=f"payment provider {spare.id} does not exist"):
            await use


@pytest.mark.parametrize(
    ("values", "ok", "message"),
    [
        ({}, True, "acct_fake_1 reachable with sk_test_…5678"),
        ({"secret_key": WRONG_KEY}, False, "FakePay refused the keys: Invalid API Key provided:"),
        (
            {"account": UNREACHABLE},
            False,
            "FakePay could not be reached: connection refused while using sk_test_…5678",
        ),
        (
            {"account": CRASHING},
            False,
            "the connection test failed (RuntimeError): adapter bug, key=sk_test_…5678",
        ),
        ({"account": HANGING}, False, "FakePay did not answer within 0.2 s"),
    ],
)
async def test_a_connection_test_reports_its_outcome_without_the_key(
    uow: UnitOfWorkFactory,
    monkeypatch: pytest.MonkeyPatch,
    values: dict[str, str],
    ok: bool,
    message: str,
) -> None:
    monkeypatch.setattr(module, "CONNECTION_TEST_TIMEOUT_S", 0.2)
    payments = service(uow)
    created = await payments.do_configure(ADMIN, fakepay(**values))
    check = await payments.do_test_connection(ADMIN, created.id)
    assert check.ok is ok
    assert check.message.startswith(message)
    assert check.test_mode is ok  # the fake answers in test mode; FakePay is no test_only spec
    for secret in (GOOD_KEY, WRONG_KEY):
        assert secret not in check.message


async def test_without_a_key_nothing_secret_can_be_stored(uow: UnitOfWorkFactory) -> None:
    with pytest.raises(SecretKeysMissing, match="set AMPYRE_SECRET_KEYS"):
        await service(uow, NoSecretKeys()).do_configure(ADMIN, fakepay())
    assert await service(uow).list_accounts(ADMIN) == []


async def test_rotation_re_encrypts_everything_with_the_first_key(uow: UnitOfWorkFactory) -> None:
    old, new = KEY, generate_key()
    clock = FixedClock(NOW)
    first = await service(uow, clock=clock).do_configure(
        ADMIN, fakepay(webhook_secret=WEBHOOK_SECRET, active=True)
    )
    second = await service(uow, clock=clock).do_configure(
        ADMIN, fakepay(label="Other", secret_key=OTHER_GOOD_KEY)
    )
    before = {a: await _sealed(uow, a) for a in (first.id, second.id)}
    with pytest.raises(SecretUnreadable, match="none of the 1 key"):
        await service(uow, FernetSecretBox([new])).check_stored_secrets()

    clock.advance(3600)
    rotating = service(uow, FernetSecretBox([new, old]), clock=clock)
    assert await rotating.do_rotate_secrets(ADMIN) == 2

    only_new = service(uow, FernetSecretBox([new]))
    assert await only_new.check_stored_secrets() == 3
    for account_id, sealed_before in before.items():
        sealed_after = await _sealed(uow, account_id)
        assert set(sealed_after) == set(sealed_before)
        assert not set(sealed_after.values()) & set(sealed_before.values())
        view = await only_new.get_account(ADMIN, account_id)
        assert view.rotated_at == clock.now()
        assert view.updated_at == NOW
    provider = await only_new.active_provider()
    assert isinstance(provider, FakeProvider)
    assert provider.credentials["secret_key"] == GOOD_KEY
    assert provider.credentials["webhook_secret"] == WEBHOOK_SECRET
    with pytest.raises(SecretUnreadable):
        await service(uow, FernetSecretBox([old])).check_stored_secrets()


async def test_rotation_changes_nothing_when_one_secret_cannot_be_read(
    uow: UnitOfWorkFactory,
) -> None:
    other = generate_key()
    readable = await service(uow).do_configure(ADMIN, fakepay(label="Readable"))
    stray = await service(uow, FernetSecretBox([other])).do_configure(ADMIN, fakepay(label="Stray"))
    before = {a: await _sealed(uow, a) for a in (readable.id, stray.id)}
    with pytest.raises(SecretUnreadable) as refused:
        await service(uow, FernetSecretBox([generate_key(), KEY])).do_rotate_secrets(ADMIN)
    assert refused.value.message.startswith(
        f"the secrets of payment provider 'Stray' ({stray.id}) cannot be read: none of the 2 "
    )
    assert {a: await _sealed(uow, a) for a in before} == before


async def test_the_check_at_start_names_the_account_and_the_missing_key(
    uow: UnitOfWorkFactory,
) -> None:
    assert await service(uow, NoSecretKeys()).check_stored_secrets() == 0
    created = await service(uow).do_configure(ADMIN, fakepay(label="Live"))
    with pytest.raises(SecretKeysMissing) as missing:
        await service(uow, NoSecretKeys()).check_stored_secrets()
    assert missing.value.message.startswith(
        f"the secrets of payment provider 'Live' ({created.id}) cannot be read: no secret key "
        "is configured: set AMPYRE_SECRET_KEYS"
    )
    with pytest.raises(SecretUnreadable, match=r"\(add that key to the list\)"):
        await service(uow, FernetSecretBox([generate_key()])).check_stored_secrets()
    assert await service(uow).check_stored_secrets() == 1


UseCase = Callable[[PaymentProviderService, Actor, str], Awaitable[object]]
USE_CASES: dict[str, UseCase] = {
    "list": lambda s, a, i: s.list_accounts(a),
    "get": lambda s, a, i: s.get_account(a, i),
    "configure": lambda s, a, i: s.do_configure(a, fakepay()),
    "update": lambda s, a, i: s.do_update(a, i, ProviderAccountUpdate(label="x")),
    "activate": lambda s, a, i: s.do_activate(a, i),
    "deactivate": lambda s, a, i: s.do_deactivate(a, i),
    "test": lambda s, a, i: s.do_test_connection(a, i),
    "rotate": lambda s, a, i: s.do_rotate_secrets(a),
    "remove": lambda s, a, i: s.do_remove(a, i),
}


@pytest.mark.parametrize("role", list(Role))
async def test_only_admins_and_operators_configure_payments(
    uow: UnitOfWorkFactory, role: Role
) -> None:
    payments = service(uow)
    created = await payments.do_configure(ADMIN, fakepay())
    actor = Actor("someone", role)
    allowed = Permission.PAYMENTS_CONFIGURE in permissions_of(role)
    assert allowed == (role in (Role.ADMIN, Role.OPERATOR))
    if not allowed:
        with pytest.raises(Forbidden, match="payments:configure"):
            payments.list_specs(actor)
    for name, use_case in USE_CASES.items():
        if allowed:
            await use_case(payments, actor, created.id)
        else:
            with pytest.raises(Forbidden, match="payments:configure"):
                await use_case(payments, actor, created.id)
            assert (await payments.get_account(ADMIN, created.id)) == created, name
