"""One record per completed OCPP exchange (a CALL and its answer), for the message log.

Recording exchanges instead of frames halves the rows the gateway writes. The RpcConnection
calls `ExchangeLog.record` synchronously from its read loop, so implementations must only
append to a buffer (the gateway batches the buffer into the database).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

Direction = Literal["in", "out"]
"""Who sent the CALL: "in" = the peer called us, "out" = we called the peer."""


@dataclass(slots=True)
class LoggedExchange:
    """A CALL and its answer as raw frame text, exactly as sent or received.

    Frames that are not a usable CALL (garbage, a malformed or unmatched CALLRESULT/CALLERROR)
    are logged as direction "in" with action None and the raw text in `request`; `response` is
    the CALLERROR we answered, or None when the frame must not be answered. An outgoing call
    that timed out (or whose caller gave up) has `response` and `answered_at` None.
    Timestamps are timezone-aware UTC. `error_code` is the CALLERROR code of the answer, if any.
    Treat entries as read-only (not frozen only because frozen dataclasses are 5x slower to build).
    """

    direction: Direction
    message_id: str
    action: str | None
    request: str | None
    response: str | None
    requested_at: datetime
    answered_at: datetime | None
    error_code: str | None


class ExchangeLog(Protocol):
    """Sink for completed exchanges; `record` must be cheap and must not block."""

    def record(self, entry: LoggedExchange) -> None: ...
