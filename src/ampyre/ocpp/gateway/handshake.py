"""Pieces of the OCPP-J WebSocket handshake: station id from the path, Basic credentials."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BasicCredentials:
    username: str
    password: str


def station_id_from_path(path: str, prefix: str) -> str | None:
    """The station id: the last segment of ``path`` after ``prefix`` (already percent-decoded
    by the ASGI server, OCPP-J 1.6 §3.1.1). None when the path does not match."""
    if not path.startswith(prefix.rstrip("/") + "/"):
        return None
    rest = path[len(prefix.rstrip("/")) + 1 :].rstrip("/")
    if not rest:
        return None
    return rest.rsplit("/", 1)[-1]


def parse_basic_auth(header: str | None) -> BasicCredentials | None:
    """Credentials of an ``Authorization: Basic ...`` header (RFC 7617); None if absent/garbled.

    OCPP 1.6 security profile 1: the username is the station id, the password its
    AuthorizationKey.
    """
    if not header:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, separator, password = decoded.partition(":")
    if not separator:
        return None
    return BasicCredentials(username, password)
