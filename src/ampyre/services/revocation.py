"""Telling stations to forget tokens whose access was just withdrawn — one way for every
use case that withdraws access (blocking a token or customer, suspending or ending a
contract, retiring a vehicle's token)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ampyre.services.ports import AccessRevoker

log = logging.getLogger(__name__)


async def revoke_best_effort(revoker: AccessRevoker | None, uids: Sequence[str]) -> None:
    """Ask ``revoker`` (None: no stations to tell) to make stations forget ``uids``.

    Called after the change is committed, so it never fails the change: a station that
    misses it is answered by the current state when it asks again.
    """
    if revoker is None or not uids:
        return
    try:
        await revoker.revoke(uids)
    except Exception:
        log.exception("could not tell the stations to forget tokens %s", ", ".join(uids))
