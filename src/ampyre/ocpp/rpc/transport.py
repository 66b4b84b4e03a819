"""The message transport an RpcConnection runs on, and its `websockets` adapter."""

from __future__ import annotations

from typing import Protocol

from websockets.asyncio.connection import Connection
from websockets.exceptions import ConnectionClosed


class TransportClosed(Exception):
    """The connection is gone; nothing more can be sent or received."""


class Transport(Protocol):
    """A bidirectional stream of text messages (one OCPP-J frame per message).

    `send_text` may be called concurrently (the read loop sends answers while `call()` sends a
    request); each call must send its whole message as one WebSocket message.
    """

    async def send_text(self, data: str) -> None:
        """Send one message; raise TransportClosed if the connection is gone."""
        ...

    async def receive_text(self) -> str:
        """The next message; raise TransportClosed when the peer is gone."""
        ...

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection (idempotent)."""
        ...


class WebsocketsTransport:
    """Transport over a `websockets` asyncio connection (client or server side).

    OCPP-J uses text frames only. A binary frame is decoded as UTF-8 with replacement characters
    and handed on, so the RPC layer answers it with a framework error instead of the connection
    being dropped.
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    async def send_text(self, data: str) -> None:
        try:
            await self.connection.send(data)
        except ConnectionClosed as closed:
            raise TransportClosed(str(closed)) from closed

    async def receive_text(self) -> str:
        try:
            message = await self.connection.recv()
        except ConnectionClosed as closed:
            raise TransportClosed(str(closed)) from closed
        if isinstance(message, bytes):
            return message.decode("utf-8", errors="replace")
        return message

    async def close(self, code: int = 1000, reason: str = "") -> None:
        await self.connection.close(code, reason)
