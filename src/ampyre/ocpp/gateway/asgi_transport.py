"""RPC transport over an accepted ASGI WebSocket, used by the server side.

It talks to the ASGI server's ``receive``/``send`` directly rather than through Starlette's
``WebSocket`` wrapper: every frame would otherwise pass two more layers of Python calls
(state checks, the exception middleware's send wrapper), a measurable share of the CPU per
message with thousands of stations.
"""

from __future__ import annotations

import contextlib

from starlette.types import Receive, Send

from ampyre.ocpp.rpc import TransportClosed


class AsgiTransport:
    """Text frames over an accepted ASGI WebSocket; binary frames are decoded leniently so
    the RPC layer answers them with a framing error instead of the socket dying."""

    __slots__ = ("_closed", "_receive", "_send")

    def __init__(self, receive: Receive, send: Send) -> None:
        """``receive``/``send`` of a connection whose ``websocket.accept`` was sent."""
        self._receive = receive
        self._send = send
        self._closed = False

    async def send_text(self, data: str) -> None:
        if self._closed:
            raise TransportClosed("connection closed")
        try:
            await self._send({"type": "websocket.send", "text": data})
        except (RuntimeError, OSError) as exc:
            self._closed = True
            raise TransportClosed(str(exc)) from exc

    async def receive_text(self) -> str:
        if self._closed:
            raise TransportClosed("connection closed")
        try:
            message = await self._receive()
        except (RuntimeError, OSError) as exc:
            self._closed = True
            raise TransportClosed(str(exc)) from exc
        if message["type"] != "websocket.receive":
            self._closed = True
            raise TransportClosed(f"peer closed ({message.get('code')})")
        text = message.get("text")
        if text is not None:
            return str(text)
        return bytes(message.get("bytes") or b"").decode("utf-8", errors="replace")

    async def close(self, code: int = 1000, reason: str = "") -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(RuntimeError, OSError):
            await self._send({"type": "websocket.close", "code": code, "reason": reason})
