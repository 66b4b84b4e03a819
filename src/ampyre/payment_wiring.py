"""Wiring of payments: the provider adapters operators may connect, their settings service,
and the built-in sandbox provider served at ``/sandbox-psp`` (test mode, never in
production). Called by :mod:`ampyre.main`; kept apart so the entry point stays readable."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.engine import make_url

from ampyre.config import Environment, Settings
from ampyre.db.secret_box import secret_box
from ampyre.payments import stripe_provider
from ampyre.payments.sandbox import (
    SandboxApp,
    SandboxConfig,
    WebhookChaos,
    build_sandbox_app,
    sandbox_spec,
)
from ampyre.services.payment_port import ProviderSpec
from ampyre.services.payment_providers import PaymentProviderService
from ampyre.services.ports import Clock, UnitOfWorkFactory

SANDBOX_PATH = "/sandbox-psp"
WEBHOOK_PATH = "/api/v1/payments/webhooks/{provider}"


def payment_provider_specs(clock: Clock) -> Mapping[str, ProviderSpec]:
    """Every adapter an operator can connect: one entry each (a new provider is a new
    module in ``ampyre.payments`` and one line here). The sandbox checks webhook times
    against Ampyre's clock, which it shares."""
    specs = (sandbox_spec(clock=clock.now), stripe_provider.SPEC)
    return {spec.name: spec for spec in specs}


def payment_provider_service(
    settings: Settings, uows: UnitOfWorkFactory, clock: Clock
) -> PaymentProviderService:
    """Provider settings sealed with AMPYRE_SECRET_KEYS (``InvalidSecretKeys`` when a key is
    malformed); test-only providers refused in production."""
    keys = settings.secret_keys.get_secret_value() if settings.secret_keys else None
    return PaymentProviderService(
        uows,
        clock,
        specs=payment_provider_specs(clock),
        secrets=secret_box(keys),
        production=settings.environment is Environment.PRODUCTION,
    )


def build_sandbox(settings: Settings, clock: Clock) -> SandboxApp | None:
    """The sandbox provider's application, or None when it is switched off or the
    configuration is a production one. It POSTs its webhooks to Ampyre's own endpoint."""
    if not settings.sandbox_psp_enabled or settings.environment is Environment.PRODUCTION:
        return None
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host  # noqa: S104
    return build_sandbox_app(
        SandboxConfig(
            database_url=settings.sandbox_psp_database_url or _sandbox_storage(settings),
            webhook_url=f"http://{host}:{settings.port}{WEBHOOK_PATH.format(provider='sandbox')}",
            chaos=WebhookChaos(
                settings.sandbox_psp_webhook_duplicate_rate,
                settings.sandbox_psp_webhook_max_delay_s,
            ),
        ),
        clock=clock.now,
    )


def _sandbox_storage(settings: Settings) -> str:
    """A file beside Ampyre's SQLite database, or in the temporary directory."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        path = Path(url.database or "")
        return f"sqlite+aiosqlite:///{path.with_name(path.stem + '-sandbox-psp.db')}"
    return f"sqlite+aiosqlite:///{Path(tempfile.gettempdir()) / 'ampyre-sandbox-psp.db'}"
