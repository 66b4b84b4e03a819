"""Station passwords for OCPP security profile 1 (HTTP Basic auth).

The OCPP 1.6 security whitepaper requires generated passwords of 16-40 characters, i.e.
high-entropy secrets, so a memory-hard but quick scrypt (about a millisecond) is enough and
keeps a reconnect storm of thousands of stations affordable. Human passwords use argon2
elsewhere.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from ampyre.domain.errors import ValidationFailed

MIN_LENGTH = 16
MAX_LENGTH = 40
_N, _R, _P = 2**10, 8, 1
_SCHEME = "scrypt1"


def validate_password(password: str) -> str:
    """Raise ``ValidationFailed`` unless the password meets OCPP 1.6 security profile 1."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise ValidationFailed(
            f"a station password must be {MIN_LENGTH}-{MAX_LENGTH} characters long"
        )
    if not password.isascii() or not password.isprintable():
        raise ValidationFailed("a station password must be printable ASCII")
    return password


def generate_password() -> str:
    """A fresh random password of 24 URL-safe characters."""
    return secrets.token_urlsafe(18)


def hash_password(password: str) -> str:
    """Salted scrypt hash as ``scrypt1$salt$digest`` (both base64)."""
    salt = secrets.token_bytes(16)
    digest = _digest(password, salt)
    return f"{_SCHEME}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of ``password`` against a hash made by :func:`hash_password`."""
    try:
        scheme, salt_text, digest_text = stored.split("$")
    except ValueError:
        return False
    if scheme != _SCHEME:
        return False
    salt = base64.b64decode(salt_text)
    return hmac.compare_digest(_digest(password, salt), base64.b64decode(digest_text))


def _digest(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
