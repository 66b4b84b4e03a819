"""The OCPP WebSocket gateway: handshake, live connections, and commands routed to them."""
