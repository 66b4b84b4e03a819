"""Helpers shared by the CLI commands: settings, clear errors, running coroutines."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError

from ampyre.config import Settings, load_settings

T = TypeVar("T")


def settings_or_exit(**overrides: Any) -> Settings:
    """Settings, or a readable message and exit code 2 when they are invalid."""
    try:
        return load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except (ValidationError, FileNotFoundError, ValueError) as exc:
        fail(f"invalid configuration: {exc}")


def fail(message: str, code: int = 2) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
