"""OCPP versions and WebSocket subprotocol negotiation (OCPP-J 1.6 §3.1, 2.0.1 part 4 §3)."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum


class OcppVersion(StrEnum):
    """An OCPP version; the value is its WebSocket subprotocol name."""

    V16 = "ocpp1.6"
    V201 = "ocpp2.0.1"


_NEWEST_FIRST: tuple[OcppVersion, ...] = (OcppVersion.V201, OcppVersion.V16)


def choose_subprotocol(
    offered: Sequence[str], supported: Sequence[OcppVersion]
) -> OcppVersion | None:
    """The newest version in `supported` that the client offered, or None to refuse.

    Subprotocol tokens compare exactly (after trimming blanks): the server must echo one of the
    offered tokens verbatim, so a case-folded match would produce a header strict clients reject.
    """
    offered_tokens = {token.strip() for token in offered}
    for version in _NEWEST_FIRST:
        if version in supported and version.value in offered_tokens:
            return version
    return None
