"""``ampyre secrets``: the keys that encrypt stored secrets (payment provider keys).

Changing keys: make a new key with ``generate-key``, put it first in AMPYRE_SECRET_KEYS
(``new,old``), restart Ampyre, run ``rotate``, then remove the old key. Keys are never
printed except by ``generate-key``, which stores nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import typer

from ampyre.cli.common import fail, run, settings_or_exit
from ampyre.cli.context import CliContext, cli_context
from ampyre.db.secret_box import InvalidSecretKeys, generate_key, secret_box
from ampyre.domain.errors import DomainError
from ampyre.services.payment_providers import PaymentProviderService

app = typer.Typer(
    help="Keys that encrypt stored secrets (AMPYRE_SECRET_KEYS): make one, rotate, check.",
    no_args_is_help=True,
)


@app.command("generate-key")
def generate_key_command() -> None:
    """Print a new random key for AMPYRE_SECRET_KEYS (nothing is stored; keep a copy)."""
    typer.echo(generate_key())


@app.command("rotate")
def rotate_command() -> None:
    """Re-encrypt every stored secret with the first key of AMPYRE_SECRET_KEYS; the other
    keys are then no longer needed. Nothing changes if any secret cannot be decrypted."""

    async def rotate(ctx: CliContext, service: PaymentProviderService) -> str:
        count = await service.do_rotate_secrets(ctx.actor)
        return (
            f"re-encrypted the secrets of {count} payment provider account(s) with the first "
            "key of AMPYRE_SECRET_KEYS; the other keys can now be removed"
        )

    typer.echo(_with_service(rotate))


@app.command("check")
def check_command() -> None:
    """Check that every stored secret decrypts with AMPYRE_SECRET_KEYS (exit code 2 if not),
    e.g. before removing an old key."""

    async def check(ctx: CliContext, service: PaymentProviderService) -> str:
        count = await service.check_stored_secrets()
        return f"all {count} stored secret(s) decrypt with AMPYRE_SECRET_KEYS"

    typer.echo(_with_service(check))


def _with_service(
    action: Callable[[CliContext, PaymentProviderService], Awaitable[str]],
) -> str:
    """Run ``action`` with the provider settings service over the configured database and
    keys (rotation and the check need no payment adapter); errors become a message and exit
    code 2."""
    settings = settings_or_exit()
    keys = settings.secret_keys.get_secret_value() if settings.secret_keys else None
    try:
        box = secret_box(keys)
    except InvalidSecretKeys as exc:
        fail(str(exc))

    async def go() -> str:
        async with cli_context() as ctx:
            return await action(ctx, PaymentProviderService(ctx.uow_factory, ctx.clock, {}, box))

    try:
        return run(go())
    except DomainError as exc:
        fail(exc.message)
