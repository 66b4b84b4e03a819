"""One request's transaction in the sandbox PSP (:class:`Tx`)."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from ampyre.payments.sandbox import tables as t
from ampyre.payments.sandbox.config import SandboxConfig
from ampyre.payments.sandbox.objects import JsonObject


@dataclass(slots=True)
class Tx:
    """One request's transaction: its connection, its moment, and the events it creates."""

    conn: AsyncConnection
    now: datetime
    config: SandboxConfig
    base_url: str | None
    events: list[tuple[str, bytes]] = field(default_factory=list)

    @property
    def unix(self) -> int:
        return int(self.now.timestamp())

    async def emit(self, event_type: str, obj: JsonObject) -> None:
        """Record that ``obj`` changed; delivered as a webhook once the transaction commits."""
        event_id = f"evt_sandbox_{secrets.token_hex(12)}"
        body = json.dumps(
            {
                "id": event_id,
                "object": "event",
                "type": event_type,
                "created": self.unix,
                "livemode": False,
                "data": {"object": obj},
            },
            separators=(",", ":"),
        ).encode()
        await self.conn.execute(
            t.events.insert().values(
                id=event_id,
                type=event_type,
                created=self.unix,
                body=body.decode(),
                attempts=0,
            )
        )
        self.events.append((event_id, body))
