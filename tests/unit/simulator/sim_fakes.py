"""In-memory fakes for the simulator unit tests: an OCPP 1.6 CSMS behind the CallPort port,
checking every payload against the official 1.6 JSON schemas (those shipped in `ocpp`)."""

from __future__ import annotations

import asyncio
import functools
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema_rs
import ocpp

SCHEMAS = Path(ocpp.__file__).parent / "v16" / "schemas"

Answer = Callable[[dict[str, Any]], dict[str, Any]]


@functools.cache
def validator(name: str) -> Any:
    schema = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    return jsonschema_rs.validator_for(schema, validate_formats=True)


def assert_valid(action: str, payload: dict[str, Any], *, response: bool = False) -> None:
    """Raise if `payload` violates the OCPP 1.6 request (or response) schema of `action`."""
    validator(f"{action}Response" if response else action).validate(payload)


class FakeCsms:
    """Answers the station's CALLs; `answers` override the defaults per action.

    An answer may be an exception instance (raised once, then the default applies).
    """

    def __init__(self, **answers: Answer | list[Answer | Exception]) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._answers = answers
        self._next_transaction = 100

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        assert_valid(action, payload)
        self.calls.append((action, payload))
        await asyncio.sleep(0)
        override = self._answers.get(action)
        if isinstance(override, list) and override:
            first = override.pop(0)
            if isinstance(first, Exception):
                raise first
            return first(payload)
        if callable(override):
            return override(payload)
        return self._default(action, payload)

    def _default(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        now = "2026-01-01T00:00:00Z"
        if action == "BootNotification":
            return {"status": "Accepted", "currentTime": now, "interval": 300}
        if action == "Heartbeat":
            return {"currentTime": now}
        if action == "Authorize":
            return {"idTagInfo": {"status": "Accepted"}}
        if action == "StartTransaction":
            self._next_transaction += 1
            return {"transactionId": self._next_transaction, "idTagInfo": {"status": "Accepted"}}
        return {}

    def actions(self) -> list[str]:
        return [action for action, _ in self.calls]

    def of(self, action: str) -> list[dict[str, Any]]:
        return [payload for name, payload in self.calls if name == action]

    def statuses(self, connector_id: int) -> list[str]:
        return [
            p["status"] for p in self.of("StatusNotification") if p["connectorId"] == connector_id
        ]

    async def wait_until(self, condition: Callable[[], bool], within_s: float = 3.0) -> None:
        deadline = time.monotonic() + within_s
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met; calls so far: {self.actions()}")
            await asyncio.sleep(0.005)
