"""OCPP 1.6J adapter: translates frames to service calls and commands to frames."""
