"""Who may do what: actors, permissions and the role → permission table.

Every operator use case takes the ``Actor`` first and calls :func:`check_permission` before it
reads or writes anything, so access rules hold whatever the entry point (REST API, CLI, web
console). Roles are those of ARCHITECTURE.md "Who uses it".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from ampyre.domain.errors import DomainError, Forbidden
from ampyre.services.records import Role


@dataclass(frozen=True, slots=True)
class Actor:
    """The person or program a use case runs for (a token name, a user, or "cli")."""

    name: str
    role: Role


class Unauthenticated(DomainError):
    """The caller could not be identified (unknown, malformed or revoked credentials)."""

    code = "unauthenticated"


class Permission(StrEnum):
    STATIONS_READ = "stations:read"
    STATIONS_WRITE = "stations:write"
    """Register, edit, approve, reject and delete stations and their connectors."""
    STATIONS_COMMAND = "stations:command"
    """Send commands to stations (remote start/stop, unlock, availability, configuration...)."""
    STATIONS_RESET = "stations:reset"
    """Reboot a station (Reset): kept apart because it interrupts every session on it."""
    LOCATIONS_READ = "locations:read"
    LOCATIONS_WRITE = "locations:write"
    ID_TAGS_READ = "id_tags:read"
    ID_TAGS_WRITE = "id_tags:write"
    TRANSACTIONS_READ = "transactions:read"
    MESSAGE_LOG_READ = "message_log:read"
    """Raw OCPP frames; they can hold id tags and configuration values."""
    API_TOKENS_MANAGE = "api_tokens:manage"
    TARIFFS_READ = "tariffs:read"
    TARIFFS_WRITE = "tariffs:write"
    """Create tariffs and versions, assign them; prices drivers pay."""
    CDRS_READ = "cdrs:read"
    CDRS_WRITE = "cdrs:write"
    """Issue credit CDRs and re-rate sessions (corrections of what drivers were charged)."""
    CUSTOMERS_READ = "customers:read"
    CUSTOMERS_WRITE = "customers:write"
    """Register customers, change their data and consents, block and unblock them; their
    contracts, tokens (RFID cards, app and vehicle tokens), vehicles and bonus points."""
    CUSTOMERS_PRIVACY = "customers:privacy"
    """Export all of a customer's data and anonymise a customer (data protection requests)."""
    PLANS_READ = "plans:read"
    PLANS_WRITE = "plans:write"
    """Define the offers subscribers sign: fees, special prices, bonus rules."""
    AUTHORIZATIONS_READ = "authorizations:read"
    """The authorisation log: every attempt to charge, with who, where and why."""
    PAYMENTS_CONFIGURE = "payments:configure"
    """Connect payment providers: enter, change, test, activate and remove their keys (only
    ever shown masked)."""
    PAYMENTS_READ = "payments:read"
    """Payments, their ledger entries and every step in the payment log."""
    REFUNDS_APPROVE = "refunds:approve"
    """Approve or reject refund requests the rules did not approve at once (money goes
    back to the driver)."""


_READ_ALL = frozenset(
    {
        Permission.STATIONS_READ,
        Permission.LOCATIONS_READ,
        Permission.ID_TAGS_READ,
        Permission.TRANSACTIONS_READ,
        Permission.MESSAGE_LOG_READ,
        Permission.TARIFFS_READ,
        Permission.CDRS_READ,
        Permission.CUSTOMERS_READ,
        Permission.PLANS_READ,
        Permission.AUTHORIZATIONS_READ,
        Permission.PAYMENTS_READ,
    }
)
_SITE_READ = frozenset(
    {
        Permission.STATIONS_READ,
        Permission.LOCATIONS_READ,
        Permission.TRANSACTIONS_READ,
        Permission.TARIFFS_READ,
        Permission.CDRS_READ,
    }
)

ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.OPERATOR: frozenset(Permission) - {Permission.API_TOKENS_MANAGE},
    Role.SUPPORT_L2: _READ_ALL
    | {
        Permission.STATIONS_COMMAND,
        Permission.STATIONS_RESET,
        Permission.ID_TAGS_WRITE,
        Permission.CUSTOMERS_WRITE,
        Permission.REFUNDS_APPROVE,
    },
    Role.SUPPORT_L1: _READ_ALL | {Permission.STATIONS_COMMAND},
    Role.CALL_CENTRE: frozenset(
        {
            Permission.STATIONS_READ,
            Permission.TRANSACTIONS_READ,
            Permission.TARIFFS_READ,
            Permission.CUSTOMERS_READ,
            Permission.PLANS_READ,
            Permission.AUTHORIZATIONS_READ,
            Permission.PAYMENTS_READ,
        }
    ),
    Role.INSTALLER: frozenset(
        {
            Permission.STATIONS_READ,
            Permission.MESSAGE_LOG_READ,
            Permission.STATIONS_COMMAND,
            Permission.STATIONS_RESET,
        }
    ),
    Role.STATION_OWNER: _SITE_READ,
    Role.READONLY: _SITE_READ,
}
"""What each role may do. Every role has an entry (checked by the unit tests)."""


def permissions_of(role: Role) -> frozenset[Permission]:
    return ROLE_PERMISSIONS.get(role, frozenset())


def has_permission(actor: Actor, permission: Permission) -> bool:
    return permission in permissions_of(actor.role)


def check_permission(actor: Actor, permission: Permission) -> None:
    """Raise ``Forbidden`` unless the actor's role grants ``permission``."""
    if not has_permission(actor, permission):
        raise Forbidden(
            f"role {actor.role.value} may not do this (needs permission {permission.value})"
        )
