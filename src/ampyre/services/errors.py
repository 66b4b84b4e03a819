"""Errors of station commands, raised by the ``StationCommands`` adapter."""

from __future__ import annotations

from ampyre.domain.errors import DomainError


class StationNotConnected(DomainError):
    """The station has no open connection, so a command cannot reach it."""

    code = "station_not_connected"


class CommandTimeout(DomainError):
    """The station did not answer a command in time."""

    code = "station_timeout"


class CommandFailed(DomainError):
    """The station answered a command with an OCPP CALLERROR."""

    code = "station_error"
