"""Station commands on behalf of an operator: the permission check in front of
:class:`ampyre.services.commands.CommandService`.

Reset needs its own permission (``STATIONS_RESET``) because it ends every session on the
station; every other command needs ``STATIONS_COMMAND``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ampyre.domain.charging_limits import ChargingLimit
from ampyre.services.access import Actor, Permission, check_permission
from ampyre.services.commands import CommandService
from ampyre.services.ports import CommandResult


@dataclass(frozen=True, slots=True)
class OperatorCommands:
    commands: CommandService

    async def do_remote_start(
        self,
        actor: Actor,
        station_id: str,
        *,
        id_tag: str,
        connector_id: int | None,
        limit: ChargingLimit | None = None,
    ) -> CommandResult:
        """Start a session as the operator or on behalf of the tag's owner, optionally with
        an energy and/or time limit that Ampyre enforces."""
        check_permission(actor, Permission.STATIONS_COMMAND)
        return await self.commands.do_remote_start(
            station_id,
            id_tag=id_tag,
            connector_id=connector_id,
            limit=limit,
            requested_by=actor.name,
        )

    async def do_remote_stop(self, actor: Actor, transaction_id: int) -> CommandResult:
        check_permission(actor, Permission.STATIONS_COMMAND)
        return await self.commands.do_remote_stop(transaction_id)

    async def do_reset(self, actor: Actor, station_id: str, *, hard: bool) -> CommandResult:
        check_permission(actor, Permission.STATIONS_RESET)
        return await self.commands.do_reset(station_id, hard=hard)

    async def do_unlock_connector(
        self, actor: Actor, station_id: str, connector_id: int
    ) -> CommandResult:
        check_permission(actor, Permission.STATIONS_COMMAND)
        return await self.commands.do_unlock_connector(station_id, connector_id)

    async def do_change_availability(
        self, actor: Actor, station_id: str, *, connector_id: int, operative: bool
    ) -> CommandResult:
        check_permission(actor, Permission.STATIONS_COMMAND)
        return await self.commands.do_change_availability(
            station_id, connector_id=connector_id, operative=operative
        )

    async def get_configuration(
        self, actor: Actor, station_id: str, keys: Sequence[str]
    ) -> CommandResult:
        check_permission(actor, Permission.STATIONS_COMMAND)
        return await self.commands.get_configuration(station_id, keys)

    async def do_change_configuration(
        self, actor: Actor, station_id: str, *, key: str, value: str
    ) -> CommandResult:
        check_permission(actor, Permission.STATIONS_COMMAND)
        return await self.commands.do_change_configuration(station_id, key=key, value=value)

    async def do_trigger_message(
        self, actor: Actor, station_id: str, *, message: str, connector_id: int | None
    ) -> CommandResult:
        check_permission(actor, Permission.STATIONS_COMMAND)
        return await self.commands.do_trigger_message(
            station_id, message=message, connector_id=connector_id
        )

    async def do_clear_cache(self, actor: Actor, station_id: str) -> CommandResult:
        check_permission(actor, Permission.STATIONS_COMMAND)
        return await self.commands.do_clear_cache(station_id)

    async def do_data_transfer(
        self,
        actor: Actor,
        station_id: str,
        *,
        vendor_id: str,
        message_id: str | None,
        data: str | None,
    ) -> CommandResult:
        check_permission(actor, Permission.STATIONS_COMMAND)
        return await self.commands.do_data_transfer(
            station_id, vendor_id=vendor_id, message_id=message_id, data=data
        )
