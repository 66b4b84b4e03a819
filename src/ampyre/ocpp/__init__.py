"""OCPP-J protocol layer: RPC framing, schema validation and per-version adapters."""
