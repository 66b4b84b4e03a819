"""Webhook signatures, shared by the sandbox (signs) and its adapter (verifies).

Header ``Sandbox-Signature: t=<unix seconds>,v1=<hex>`` where the hex is the HMAC-SHA256,
keyed with the webhook secret (``whs_sandbox_...``), of ``"<t>." + raw body``. The
receiver recomputes it over the raw bytes it received (never over re-serialised JSON),
compares in constant time and refuses a timestamp more than :data:`TOLERANCE` away from its
clock, so a captured request cannot be replayed later. Every delivery attempt is signed
afresh; the body of an event is the same bytes every time.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

SIGNATURE_HEADER = "Sandbox-Signature"
TOLERANCE = timedelta(minutes=5)


class SignatureMismatch(ValueError):
    """The signature header is missing, malformed, does not match, or is too old."""


def signature(body: bytes, secret: str, timestamp: int) -> str:
    """The hex HMAC of ``body`` signed at ``timestamp`` (Unix seconds)."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(body: bytes, secret: str, at: datetime) -> str:
    """The ``Sandbox-Signature`` header value for ``body`` sent at ``at``."""
    timestamp = int(at.timestamp())
    return f"t={timestamp},v1={signature(body, secret, timestamp)}"


def verify(
    body: bytes,
    header: str | None,
    secret: str,
    *,
    now: datetime,
    tolerance: timedelta = TOLERANCE,
) -> int:
    """The signing timestamp of a valid signature; :class:`SignatureMismatch` otherwise.

    Several ``v1`` values may be present (a secret being rotated): one match is enough.
    """
    if not header:
        raise SignatureMismatch(f"no {SIGNATURE_HEADER} header")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise SignatureMismatch(f"malformed {SIGNATURE_HEADER} header")
    expected = signature(body, secret, timestamp)
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise SignatureMismatch("the signature does not match the body and the secret")
    age = now.timestamp() - timestamp
    if abs(age) > tolerance.total_seconds():
        raise SignatureMismatch(
            f"the signature is {int(age)} s old, outside the {int(tolerance.total_seconds())} s "
            "tolerance"
        )
    return timestamp
