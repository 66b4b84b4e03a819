"""Plain records that cross the service boundary (queries, log entries, API tokens)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ampyre.domain.authorization import AuthorizationTrigger
from ampyre.domain.contracts import ContractState
from ampyre.domain.customer_types import CustomerType
from ampyre.domain.customers import CustomerProfile
from ampyre.domain.id_tags import AuthorizationStatus
from ampyre.domain.metering import MeterSample
from ampyre.domain.rating.tariff import TariffVersion
from ampyre.domain.tokens import TokenKind, TokenStatus


class Role(StrEnum):
    """Roles of API tokens and staff users (ARCHITECTURE.md "Who uses it")."""

    ADMIN = "admin"
    OPERATOR = "operator"
    STATION_OWNER = "station_owner"
    SUPPORT_L1 = "support_l1"
    SUPPORT_L2 = "support_l2"
    CALL_CENTRE = "call_centre"
    INSTALLER = "installer"
    READONLY = "readonly"


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A bearer token; only ``token_hash`` (SHA-256 hex of the secret) is stored."""

    id: int | None
    name: str
    role: Role
    token_hash: str
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoredSample:
    """A meter sample as stored, with the frame's receive time and transaction link."""

    station_id: str
    connector_id: int
    transaction_id: int | None
    received_at: datetime
    sample: MeterSample


@dataclass(frozen=True, slots=True)
class MeterBatch:
    """The samples of one MeterValues / Start / Stop message, to be persisted together.

    ``register_wh``/``register_at`` carry the newest import register reading (if any) for the
    transaction's live energy.
    """

    station_id: str
    connector_id: int
    transaction_id: int | None
    received_at: datetime
    samples: tuple[MeterSample, ...]
    register_wh: int | None = None
    register_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class LoggedFrame:
    """One OCPP exchange in the message log (request and its answer in one row).

    ``direction`` is "in" when the station sent the CALL, "out" when Ampyre did. Raw frames
    are kept verbatim for support and disputes.
    """

    station_id: str
    direction: str
    message_id: str | None
    action: str | None
    request: str | None
    response: str | None
    requested_at: datetime
    answered_at: datetime | None
    error_code: str | None


@dataclass(frozen=True, slots=True)
class ConnectionEvent:
    """A station connecting or disconnecting (reconnect history)."""

    station_id: str
    event: str
    """"connected" or "disconnected"."""
    at: datetime
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class StatusChange:
    """A connector status as stored in the history."""

    station_id: str
    connector_id: int
    status: str
    error_code: str
    info: str | None
    vendor_error_code: str | None
    station_time: datetime | None
    received_at: datetime


@dataclass(frozen=True, slots=True)
class Page:
    """Offset pagination parameters shared by list queries."""

    limit: int = 100
    offset: int = 0


@dataclass(frozen=True, slots=True)
class TransactionFilter:
    station_id: str | None = None
    id_tag: str | None = None
    started_from: datetime | None = None
    started_to: datetime | None = None
    active: bool | None = None


@dataclass(frozen=True, slots=True)
class StoredTariff:
    """A tariff with every version it ever had, oldest first."""

    id: str
    name: str
    currency: str
    versions: tuple[TariffVersion, ...]
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StationPricingFacts:
    """What tariff resolution and local time need to know about a station."""

    station_id: str
    location_id: str | None
    time_zone: str | None
    groups: frozenset[str]


@dataclass(frozen=True, slots=True)
class CdrFilter:
    station_id: str | None = None
    transaction_id: int | None = None
    ended_from: datetime | None = None
    ended_to: datetime | None = None


@dataclass(frozen=True, slots=True)
class CustomerFilter:
    search: str | None = None
    type: CustomerType | None = None
    profile: CustomerProfile | None = None
    blocked: bool | None = None


@dataclass(frozen=True, slots=True)
class ContractFilter:
    customer_id: str | None = None
    plan_id: str | None = None
    state: ContractState | None = None


@dataclass(frozen=True, slots=True)
class TokenFilter:
    """``search`` matches the uid or the printed number (case-insensitive)."""

    contract_id: str | None = None
    customer_id: str | None = None
    kind: TokenKind | None = None
    status: TokenStatus | None = None
    search: str | None = None


@dataclass(frozen=True, slots=True)
class AuthorizationFilter:
    """Every field narrows the search; ``at_from`` inclusive, ``at_to`` exclusive."""

    uid: str | None = None
    station_id: str | None = None
    customer_id: str | None = None
    contract_id: str | None = None
    status: AuthorizationStatus | None = None
    trigger: AuthorizationTrigger | None = None
    at_from: datetime | None = None
    at_to: datetime | None = None
