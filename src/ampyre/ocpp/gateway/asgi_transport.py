"""RPC transport over an ASGI WebSocket (Starlette), used by the server side."""

from __future__ import annotations

import contextlib

from starlette.websockets import WebSocket, WebSocketDisconnect

from ampyre.ocpp.rpc import TransportClosed


class AsgiTransport:
    """Text frames over a Starlette WebSocket; binary frames are decoded leniently so the RPC
    layer answers them with a framing error instead of the socket dying."""

    def __init__(self, websocket: WebSocket) -> None:
        self._ws = websocket
        self._closed = False

    async def send_text(self, data: str) -> None:
        if self._closed:
            raise TransportClosed("connection closed")
        try:
            await self._ws.send({"type": "websocket.send", "text": data})
        except (WebSocketDisconnect, RuntimeError, OSError) as exc:
            self._closed = True
            raise TransportClosed(str(exc)) from exc

    async def receive_text(self) -> str:
        if self._closed:
            raise TransportClosed("connection closed")
        try:
            message = await self._ws.receive()
        except (WebSocketDisconnect, RuntimeError, OSError) as exc:
            self._closed = True
            raise TransportClosed(str(exc)) from exc
        if message["type"] == "websocket.disconnect":
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
            await self._ws.close(code=code, reason=reason)
