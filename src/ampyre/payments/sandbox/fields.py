"""Reading the fields of the sandbox API's JSON requests; a wrong one is a 400 that names it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from ampyre.payments.sandbox.errors import SandboxError, invalid

MAX_AMOUNT = 99_999_999
"""The largest amount in minor units the sandbox accepts (like most providers' limit)."""
MAX_METADATA_KEYS = 50
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def _missing(name: str) -> SandboxError:
    return invalid("parameter_missing", f"{name} is required")


def amount(body: Mapping[str, Any], name: str = "amount") -> int:
    """A positive whole number of minor units (a JSON integer, not a float or a string)."""
    value = body.get(name)
    if value is None:
        raise _missing(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid("parameter_invalid", f"{name} is a whole number of minor units")
    if not 1 <= value <= MAX_AMOUNT:
        raise invalid("amount_invalid", f"{name} must be between 1 and {MAX_AMOUNT}")
    return value


def currency(body: Mapping[str, Any], *, required: bool = True) -> str | None:
    value = body.get("currency")
    if value is None:
        if required:
            raise _missing("currency")
        return None
    if not isinstance(value, str) or not _CURRENCY.match(value):
        raise invalid("parameter_invalid", "currency is an ISO 4217 code like 'EUR'")
    return value


def text(
    body: Mapping[str, Any], name: str, *, max_length: int, required: bool = False
) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise _missing(name)
        return None
    if not isinstance(value, str) or len(value) > max_length:
        raise invalid("parameter_invalid", f"{name} is a string of at most {max_length} characters")
    if required and not value.strip():
        raise _missing(name)
    return value


def url(body: Mapping[str, Any], name: str, *, required: bool) -> str | None:
    """An absolute http(s) URL (where the browser goes back to after a checkout)."""
    value = text(body, name, max_length=2000, required=required)
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise invalid("parameter_invalid", f"{name} must be an absolute http(s) URL")
    return value


def flag(body: Mapping[str, Any], name: str, *, default: bool) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise invalid("parameter_invalid", f"{name} is true or false")
    return value


def choice(body: Mapping[str, Any], name: str, options: tuple[str, ...], *, default: str) -> str:
    value = body.get(name, default)
    if value not in options:
        raise invalid("parameter_invalid", f"{name} is one of {', '.join(options)}")
    return str(value)


def metadata(body: Mapping[str, Any]) -> dict[str, str]:
    """String keys to string values, at most :data:`MAX_METADATA_KEYS` of them."""
    value = body.get("metadata") or {}
    if (
        not isinstance(value, dict)
        or len(value) > MAX_METADATA_KEYS
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
        or any(len(k) > 40 or len(v) > 500 for k, v in value.items())
    ):
        raise invalid(
            "parameter_invalid",
            f"metadata maps at most {MAX_METADATA_KEYS} keys (≤ 40 characters) to strings "
            "(≤ 500 characters)",
        )
    return dict(value)
