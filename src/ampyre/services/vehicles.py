"""Vehicles of customers and their autocharge tokens.

Autocharge: a station that reports the car's identifier ("VID:" + MAC) starts a session under
a contract with no card. Enabling it issues a token of kind ``vehicle`` to one of the
customer's contracts, in the same unit of work as the vehicle change; disabling it, or
removing the vehicle, sets that token to expired so the car no longer starts sessions (and,
with a revoker, stations forget it). The token itself is kept: sessions refer to it.

A car changes hands: when a vehicle is registered with a MAC whose token is an expired
vehicle token (its former vehicle was removed or its autocharge disabled), that token is
issued again to the new contract instead of being refused as taken.
"""

from __future__ import annotations

import builtins
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from ampyre.domain.emaid import Emaid
from ampyre.domain.errors import Conflict, NotFound, ValidationFailed
from ampyre.domain.stations import ConnectorStandard
from ampyre.domain.tokens import Token, TokenKind, TokenStatus, autocharge_uid
from ampyre.domain.vehicles import Vehicle
from ampyre.services.access import Actor, Permission, check_permission
from ampyre.services.charging_tokens import open_contract, require_free_uid
from ampyre.services.ports import AccessRevoker, Clock, UnitOfWork, UnitOfWorkFactory
from ampyre.services.revocation import revoke_best_effort
from ampyre.services.updates import KEEP, Keep, merged

BATTERY_DECIMALS = 3
"""Battery capacities are kept to the Wh (3 decimals of kWh)."""


@dataclass(frozen=True, slots=True)
class Autocharge:
    """What autocharge needs: the car's MAC address (any common notation, or "VID:" + MAC)
    and the eMAID of the customer's contract its sessions are charged to."""

    mac: str
    contract_id: str


@dataclass(frozen=True, slots=True)
class VehicleUpdate:
    """Fields to change; ``KEEP`` leaves one as stored, None clears it."""

    make: str | Keep = KEEP
    model: str | Keep = KEEP
    battery_kwh: Decimal | Keep | None = KEEP
    connector_standards: frozenset[ConnectorStandard] | Keep = KEEP
    plate: str | Keep | None = KEEP


@dataclass(frozen=True, slots=True)
class VehicleService:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    revoker: AccessRevoker | None = None

    async def do_register(
        self,
        actor: Actor,
        customer_id: str,
        make: str,
        model: str,
        *,
        battery_kwh: Decimal | None = None,
        connector_standards: frozenset[ConnectorStandard] = frozenset(),
        plate: str | None = None,
        autocharge: Autocharge | None = None,
    ) -> Vehicle:
        """Register a vehicle of ``customer_id``; with ``autocharge``, also its token, under
        a contract of the same customer that has not ended."""
        check_permission(actor, Permission.CUSTOMERS_WRITE)
        vehicle = Vehicle(
            id=str(uuid.uuid4()),
            customer_id=customer_id,
            make=make.strip(),
            model=model.strip(),
            connector_standards=connector_standards,
            battery_kwh=_battery(battery_kwh),
            plate=_plate(plate),
        )
        async with self.uow_factory() as uow:
            await _writable_customer(uow, customer_id)
            if autocharge is not None:
                token = await _issue_token(uow, customer_id, autocharge, self.clock.now())
                vehicle = replace(vehicle, token_uid=token.uid)
            await uow.vehicles.add(vehicle)
            await uow.commit()
        return vehicle

    async def get(self, actor: Actor, vehicle_id: str) -> Vehicle:
        check_permission(actor, Permission.CUSTOMERS_READ)
        async with self.uow_factory() as uow:
            return await _get(uow, vehicle_id)

    async def list(self, actor: Actor, customer_id: str) -> builtins.list[Vehicle]:
        """The customer's vehicles, oldest first; ``NotFound`` for an unknown customer."""
        check_permission(actor, Permission.CUSTOMERS_READ)
        async with self.uow_factory() as uow:
            if await uow.customers.get(customer_id) is None:
                raise NotFound(f"customer {customer_id} does not exist")
            return await uow.vehicles.of_customer(customer_id)

    async def do_update(self, actor: Actor, vehicle_id: str, update: VehicleUpdate) -> Vehicle:
        """Change the vehicle's description (its autocharge has use cases of its own)."""
        check_permission(actor, Permission.CUSTOMERS_WRITE)
        async with self.uow_factory() as uow:
            current = await _get(uow, vehicle_id)
            make, model = merged(update.make, current.make), merged(update.model, current.model)
            changed = replace(
                current,
                make=make.strip(),
                model=model.strip(),
                battery_kwh=_battery(merged(update.battery_kwh, current.battery_kwh)),
                connector_standards=merged(update.connector_standards, current.connector_standards),
                plate=_plate(merged(update.plate, current.plate)),
            )
            await uow.vehicles.update(changed)
            await uow.commit()
        return changed

    async def do_enable_autocharge(
        self, actor: Actor, vehicle_id: str, autocharge: Autocharge
    ) -> Vehicle:
        """Issue the vehicle's token; ``Conflict`` when it has one already."""
        check_permission(actor, Permission.CUSTOMERS_WRITE)
        async with self.uow_factory() as uow:
            current = await _get(uow, vehicle_id)
            if current.token_uid is not None:
                raise Conflict(
                    f"vehicle {vehicle_id} has autocharge already (token {current.token_uid}); "
                    "disable it first",
                    code="autocharge_enabled",
                )
            await _writable_customer(uow, current.customer_id)
            token = await _issue_token(uow, current.customer_id, autocharge, self.clock.now())
            changed = replace(current, token_uid=token.uid)
            await uow.vehicles.update(changed)
            await uow.commit()
        return changed

    async def do_disable_autocharge(self, actor: Actor, vehicle_id: str) -> Vehicle:
        """Expire the vehicle's token and detach it; ``Conflict`` when it has none."""
        check_permission(actor, Permission.CUSTOMERS_WRITE)
        async with self.uow_factory() as uow:
            current = await _get(uow, vehicle_id)
            if current.token_uid is None:
                raise Conflict(
                    f"vehicle {vehicle_id} has no autocharge token", code="autocharge_disabled"
                )
            await _retire_token(uow, current.token_uid)
            changed = replace(current, token_uid=None)
            await uow.vehicles.update(changed)
            await uow.commit()
        await self._revoke(current.token_uid)
        return changed

    async def do_remove(self, actor: Actor, vehicle_id: str) -> None:
        """Remove the vehicle; its token, if any, is set to expired."""
        check_permission(actor, Permission.CUSTOMERS_WRITE)
        async with self.uow_factory() as uow:
            current = await _get(uow, vehicle_id)
            if current.token_uid is not None:
                await _retire_token(uow, current.token_uid)
            await uow.vehicles.delete(vehicle_id)
            await uow.commit()
        await self._revoke(current.token_uid)

    async def _revoke(self, uid: str | None) -> None:
        await revoke_best_effort(self.revoker, [uid] if uid is not None else [])


async def _get(uow: UnitOfWork, vehicle_id: str) -> Vehicle:
    found = await uow.vehicles.get(vehicle_id)
    if found is None:
        raise NotFound(f"vehicle {vehicle_id} does not exist")
    return found


async def _writable_customer(uow: UnitOfWork, customer_id: str) -> None:
    customer = await uow.customers.get(customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} does not exist")
    if customer.anonymised_at is not None:
        raise ValidationFailed(f"customer {customer_id} was anonymised and cannot change")


async def _issue_token(
    uow: UnitOfWork, customer_id: str, autocharge: Autocharge, now: datetime
) -> Token:
    """The vehicle token for ``autocharge``, stored: new, or an expired vehicle token of the
    same MAC issued again (see the module docstring)."""
    contract = await open_contract(uow, Emaid.parse(autocharge.contract_id), now)
    if contract.customer_id != customer_id:
        raise ValidationFailed(
            f"contract {contract.id} belongs to another customer, not to {customer_id}"
        )
    token = Token(autocharge_uid(autocharge.mac), TokenKind.VEHICLE, contract.id, now)
    previous = await uow.tokens.get(token.uid)
    if (
        previous is not None
        and previous.kind is TokenKind.VEHICLE
        and previous.status is TokenStatus.EXPIRED
    ):
        await uow.tokens.update(token)
    else:
        await require_free_uid(uow, token.uid)
        await uow.tokens.add_many([token])
    return token


async def _retire_token(uow: UnitOfWork, uid: str) -> None:
    """Set the token to expired, unless it is lost (which is final) or expired already."""
    token = await uow.tokens.get(uid)
    if token is not None and token.expire() != token:
        await uow.tokens.update(token.expire())


def _battery(value: Decimal | None) -> Decimal | None:
    """``value``, refused when it has more decimals than are kept (the vehicle checks the
    range)."""
    if value is None or not value.is_finite():
        return value
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > BATTERY_DECIMALS:
        raise ValidationFailed(
            f"a battery capacity has at most {BATTERY_DECIMALS} decimals (kWh to the Wh)"
        )
    return value


def _plate(value: str | None) -> str | None:
    """Trimmed (a blank plate is then refused by the vehicle)."""
    return None if value is None else value.strip()
