"""Station passwords already checked against their stored hash, so a reconnect skips scrypt."""

from __future__ import annotations

import asyncio
import hmac
import secrets
from collections.abc import Callable

from ampyre.domain.station_secrets import verify_password

DEFAULT_MAX_ENTRIES = 200_000


class VerifiedPasswords:
    """Per station: the stored hash its password was last verified against, and an HMAC of
    that password under a random key that exists only in this process's memory.

    A reconnect with the same password while the same hash is stored is accepted without
    scrypt (about 1.4 ms of CPU per station, most of a reconnect storm's handshake cost).
    Anything else is verified the slow way: a different password, or a changed password
    (a new hash, with a new salt), so changing or clearing it takes effect at once. Beyond
    ``max_entries`` stations the oldest entry is forgotten.

    The slow check runs in a worker thread: scrypt releases the GIL, so handshakes use the
    other cores and the event loop keeps serving connected stations meanwhile.
    """

    def __init__(
        self,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        slow_verify: Callable[[str, str], bool] = verify_password,
    ) -> None:
        """``slow_verify(password, stored_hash)`` is the real check (scrypt)."""
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._slow_verify = slow_verify
        self._key = secrets.token_bytes(32)
        self._entries: dict[str, tuple[str, bytes]] = {}
        self._max_entries = max_entries

    def __len__(self) -> int:
        return len(self._entries)

    async def verify(self, station_id: str, password: str, stored_hash: str) -> bool:
        """True when ``password`` matches ``stored_hash`` (see :func:`verify_password`)."""
        fingerprint = hmac.digest(self._key, password.encode(), "sha256")
        known = self._entries.get(station_id)
        if (
            known is not None
            and known[0] == stored_hash
            and hmac.compare_digest(known[1], fingerprint)
        ):
            return True
        if not await asyncio.to_thread(self._slow_verify, password, stored_hash):
            return False
        if station_id not in self._entries and len(self._entries) >= self._max_entries:
            del self._entries[next(iter(self._entries))]
        self._entries[station_id] = (stored_hash, fingerprint)
        return True
