"""Ports: what the use cases need from the outside world, as Protocols.

Adapters live in ``ampyre.db`` (storage), ``ampyre.ocpp`` (station commands) and are wired in
``ampyre.main``. Repositories convert between table rows and domain dataclasses; they never
commit: the unit of work does.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from ampyre.domain.authorization import AuthorizationAttempt
from ampyre.domain.charging_limits import RemoteStartRequest
from ampyre.domain.contracts import Contract
from ampyre.domain.customers import Customer
from ampyre.domain.id_tags import IdTag
from ampyre.domain.locations import Location
from ampyre.domain.payment_accounts import ProviderAccount
from ampyre.domain.plans import Plan
from ampyre.domain.rating.assignment import TariffAssignment
from ampyre.domain.rating.cdr import Cdr
from ampyre.domain.rating.tariff import TariffVersion
from ampyre.domain.rating.usage import SessionUsage
from ampyre.domain.stations import Connector, RegistrationStatus, Station, StatusReport
from ampyre.domain.tokens import BonusEntry, BonusLedger, Token
from ampyre.domain.transactions import Transaction
from ampyre.domain.vehicles import Vehicle
from ampyre.services.payment_store import (
    LedgerRepository,
    PaymentLog,
    PaymentRepository,
    RefundRepository,
    WebhookInbox,
)
from ampyre.services.records import (
    ApiToken,
    AuthorizationFilter,
    CdrFilter,
    ConnectionEvent,
    ContractFilter,
    CustomerFilter,
    LoggedFrame,
    MeterBatch,
    Page,
    StationPricingFacts,
    StatusChange,
    StoredSample,
    StoredTariff,
    TokenFilter,
    TransactionFilter,
)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class LocationRepository(Protocol):
    async def get(self, location_id: str) -> Location | None: ...
    async def list(self, page: Page) -> list[Location]: ...
    async def add(self, location: Location) -> None: ...
    async def update(self, location: Location) -> None: ...
    async def delete(self, location_id: str) -> None: ...
    async def has_stations(self, location_id: str) -> bool: ...


class StationRepository(Protocol):
    async def get(self, station_id: str) -> Station | None: ...
    async def list(
        self,
        page: Page,
        *,
        location_id: str | None = None,
        registration_status: RegistrationStatus | None = None,
        connected: bool | None = None,
    ) -> builtins.list[Station]: ...
    async def add(self, station: Station) -> None: ...
    async def add_many(self, stations: Sequence[Station]) -> None: ...
    async def update(self, station: Station) -> None:
        """Write every field of ``station`` (identity, boot data, registration, presence)."""
        ...

    async def delete(self, station_id: str) -> None: ...
    async def existing_ids(self, station_ids: Sequence[str]) -> set[str]: ...
    async def set_connected(self, station_id: str, connected: bool, at: datetime) -> None: ...
    async def mark_disconnected_if_silent(self, silent_since: datetime) -> builtins.list[str]:
        """Set ``connected`` false for stations with no frame since ``silent_since``.

        Returns the ids that changed, so their offline event can be recorded.
        """
        ...


class ConnectorRepository(Protocol):
    async def list_for_station(self, station_id: str) -> list[Connector]: ...
    async def get(self, station_id: str, connector_id: int) -> Connector | None: ...
    async def save(self, connector: Connector) -> None:
        """Insert or update the connector (station_id, connector_id is the key)."""
        ...

    async def delete(self, station_id: str, connector_id: int) -> None: ...
    async def status_history(
        self, station_id: str, connector_id: int | None, page: Page
    ) -> list[StatusChange]:
        """Newest first; ``connector_id`` 0 is the station itself, None means all."""
        ...


class IdTagRepository(Protocol):
    async def get(self, id_tag: str) -> IdTag | None: ...
    async def list(self, page: Page, *, search: str | None = None) -> list[IdTag]: ...
    async def add(self, tag: IdTag) -> None: ...
    async def update(self, tag: IdTag) -> None: ...
    async def delete(self, id_tag: str) -> None: ...


class TransactionRepository(Protocol):
    async def get(self, transaction_id: int) -> Transaction | None: ...
    async def get_by_start_key(self, start_key: str) -> Transaction | None: ...
    async def add(self, transaction: Transaction) -> int:
        """Insert ``transaction`` (its ``id`` is ignored) and return the new system-wide id."""
        ...

    async def update(self, transaction: Transaction) -> None: ...
    async def active_for_connector(
        self, station_id: str, connector_id: int
    ) -> list[Transaction]: ...
    async def active_for_station(self, station_id: str) -> list[Transaction]: ...
    async def has_active_for_tag(
        self,
        id_tag: str,
        *,
        excluding_station: str | None = None,
        excluding_connector: int | None = None,
    ) -> bool: ...
    async def list(self, flt: TransactionFilter, page: Page) -> list[Transaction]:
        """Newest start first."""
        ...

    async def samples(self, transaction_id: int) -> builtins.list[StoredSample]:
        """All meter samples of a transaction, oldest first."""
        ...

    async def max_register_wh(self, transaction_id: int) -> int | None:
        """Highest import-register reading stored for the transaction, in Wh."""
        ...

    async def active_with_limits(self) -> builtins.list[Transaction]:
        """Active transactions that carry an energy or time limit."""
        ...

    async def stuck_after_boot(self, booted_before: datetime) -> builtins.list[Transaction]:
        """Active transactions whose station booted after the transaction started, at a time
        before ``booted_before``, and that had no meter reading since that boot."""
        ...


class RemoteStartRepository(Protocol):
    async def add(self, request: RemoteStartRequest) -> int: ...
    async def delete(self, request_id: int) -> None: ...
    async def open_for(self, station_id: str, id_tag: str) -> list[RemoteStartRequest]:
        """Unclaimed requests for this station and tag, oldest first."""
        ...

    async def claim(self, request_id: int, transaction_id: int) -> None:
        """Link the request to the transaction it started (it is then no longer open)."""
        ...


class ApiTokenRepository(Protocol):
    async def add(self, token: ApiToken) -> int: ...
    async def get_by_hash(self, token_hash: str) -> ApiToken | None: ...
    async def list(self) -> list[ApiToken]: ...
    async def revoke(self, token_id: int, at: datetime) -> bool: ...


class LogRepository(Protocol):
    """Read side of the OCPP message log and the connection history."""

    async def frames(
        self,
        page: Page,
        *,
        station_id: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[LoggedFrame]:
        """Newest first."""
        ...

    async def connection_events(self, station_id: str, page: Page) -> list[ConnectionEvent]: ...
    async def add_connection_event(self, event: ConnectionEvent) -> None: ...
    async def delete_frames_before(self, before: datetime) -> int: ...


class TariffRepository(Protocol):
    async def get(self, tariff_id: str) -> StoredTariff | None: ...
    async def get_many(self, tariff_ids: Sequence[str]) -> dict[str, StoredTariff]: ...
    async def list(self, page: Page) -> builtins.list[StoredTariff]:
        """In id order."""
        ...

    async def add(self, tariff: StoredTariff) -> None:
        """Insert the tariff and its versions; ``Conflict`` if the id exists."""
        ...

    async def add_version(self, tariff_id: str, version: TariffVersion) -> None: ...
    async def end_version(self, tariff_id: str, number: int, valid_until: datetime) -> None:
        """Close an open-ended version (the only change a stored version may take)."""
        ...

    async def rename(self, tariff_id: str, name: str) -> None: ...
    async def delete(self, tariff_id: str) -> None: ...
    async def used_by_cdrs(self, tariff_id: str) -> bool: ...
    async def assignments(self) -> builtins.list[TariffAssignment]:
        """Every assignment (a small table, read whole for resolution)."""
        ...

    async def add_assignment(self, assignment: TariffAssignment) -> int:
        """``Conflict`` when the scope, target and plan already have a tariff."""
        ...

    async def delete_assignment(self, assignment_id: int) -> bool: ...


class CdrRepository(Protocol):
    async def add(self, cdr: Cdr) -> int:
        """Insert; ``Conflict`` when the transaction already has a CDR with that sequence
        (or the credited CDR already has a credit)."""
        ...

    async def add_many(self, cdrs: Sequence[Cdr]) -> int:
        """Insert first CDRs in one statement, skipping transactions that already have one
        (a concurrent rater won); returns how many were inserted."""
        ...

    async def get(self, cdr_id: int) -> Cdr | None: ...
    async def for_transaction(self, transaction_id: int) -> builtins.list[Cdr]:
        """Oldest (sequence 1) first."""
        ...

    async def list(self, flt: CdrFilter, page: Page) -> builtins.list[Cdr]:
        """Newest end first."""
        ...


class UsageRepository(Protocol):
    """Read side for rating: the meter data and station facts sessions are priced from,
    and the queue of completed transactions waiting for their CDR."""

    async def enqueue_for_rating(self, transaction_id: int, at: datetime) -> None:
        """Queue a completed transaction (in the unit of work that completes it); queuing
        it twice keeps one entry."""
        ...

    async def waiting_for_rating(self, limit: int) -> builtins.list[Transaction]:
        """Queued transactions, oldest first. On PostgreSQL their queue entries stay locked
        until the unit of work ends and locked ones are skipped, so raters share the work."""
        ...

    async def done_rating(self, transaction_ids: Sequence[int]) -> None:
        """Remove transactions from the queue (in the unit of work that stores their CDRs)."""
        ...

    async def usage(
        self,
        transactions: Sequence[Transaction],
        *,
        until: datetime | None = None,
        with_power: bool = True,
        with_current: bool = True,
    ) -> dict[int, SessionUsage]:
        """Each transaction's meter readings and suspended intervals, ending at its stop
        (or, for a running one, at ``until`` or its latest reading). Power and current
        readings are only read when asked for (a tariff restriction needs them)."""
        ...

    async def station_facts(self, station_ids: Sequence[str]) -> dict[str, StationPricingFacts]: ...


class CustomerRepository(Protocol):
    async def get(self, customer_id: str) -> Customer | None: ...
    async def list(self, flt: CustomerFilter, page: Page) -> builtins.list[Customer]: ...
    async def add(self, customer: Customer) -> None: ...
    async def update(self, customer: Customer) -> None:
        """Write every field; consents beyond those stored are appended."""
        ...


class PlanRepository(Protocol):
    """Plans; a plan's special prices are stored as tariff assignments with its id."""

    async def get(self, plan_id: str) -> Plan | None: ...
    async def list(self, page: Page, *, offered_at: datetime | None = None) -> builtins.list[Plan]:
        """By id; ``offered_at`` keeps the plans that can be subscribed to then."""
        ...

    async def add(self, plan: Plan) -> None:
        """``Conflict`` if the id exists or a special price's scope, target and plan is
        already assigned."""
        ...

    async def update(self, plan: Plan) -> None:
        """Write every field and replace the plan's special prices."""
        ...


class ContractRepository(Protocol):
    async def get(self, contract_id: str, *, for_update: bool = False) -> Contract | None:
        """By compact eMAID; ``for_update`` locks the row until the unit of work ends
        (PostgreSQL; SQLite serialises writers anyway)."""
        ...

    async def get_many(self, contract_ids: Sequence[str]) -> dict[str, Contract]:
        """The contracts found among ``contract_ids`` (compact eMAIDs), by id."""
        ...

    async def list(self, flt: ContractFilter, page: Page) -> builtins.list[Contract]: ...
    async def add(self, contract: Contract) -> None:
        """``Conflict`` if the id exists."""
        ...

    async def update(self, contract: Contract) -> None:
        """Write the dates and state; history events beyond those stored are appended."""
        ...


class TokenRepository(Protocol):
    async def get(self, uid: str) -> Token | None: ...
    async def list(self, flt: TokenFilter, page: Page) -> builtins.list[Token]: ...
    async def add_many(self, tokens: Sequence[Token]) -> None:
        """Insert; ``Conflict`` if any uid exists (nothing is inserted then)."""
        ...

    async def update(self, token: Token) -> None: ...
    async def existing_uids(self, uids: Sequence[str]) -> set[str]:
        """Those of ``uids`` that are taken, by a token or by an operator id tag."""
        ...

    async def of_contracts(self, contract_ids: Sequence[str]) -> builtins.list[Token]: ...


class VehicleRepository(Protocol):
    async def get(self, vehicle_id: str) -> Vehicle | None: ...
    async def of_customer(self, customer_id: str) -> builtins.list[Vehicle]: ...
    async def add(self, vehicle: Vehicle) -> None: ...
    async def update(self, vehicle: Vehicle) -> None: ...
    async def delete(self, vehicle_id: str) -> None: ...


class BonusRepository(Protocol):
    async def ledger(self, contract_id: str) -> BonusLedger:
        """The contract's movements in the order recorded (empty for a new contract)."""
        ...

    async def append(self, contract_id: str, entries: Sequence[BonusEntry]) -> None:
        """Store new movements; ``Conflict`` if a session's earn or redeem is there already."""
        ...


class AuthorizationLog(Protocol):
    async def add(self, attempt: AuthorizationAttempt) -> int: ...
    async def search(
        self, flt: AuthorizationFilter, page: Page
    ) -> builtins.list[AuthorizationAttempt]:
        """Newest first."""
        ...

    async def stations_that_accepted(self, uids: Sequence[str]) -> set[str]:
        """Stations that ever accepted one of ``uids`` (they may hold it in their cache)."""
        ...


class AccessRevoker(Protocol):
    """Makes stations forget tokens whose access was withdrawn (blocked token, customer or
    contract): clears the authorisation cache of every connected station that accepted one
    of them. Called after the change is committed; best effort (an offline station asks
    again when it reconnects, and is answered by the current state)."""

    async def revoke(self, uids: Sequence[str]) -> None: ...


class PaymentProviderRepository(Protocol):
    """Connected payment provider accounts; at most one is active (a unique index)."""

    async def get(self, account_id: str) -> ProviderAccount | None: ...
    async def list(self) -> builtins.list[ProviderAccount]:
        """Oldest first (a handful of rows)."""
        ...

    async def active(self) -> ProviderAccount | None: ...
    async def add(self, account: ProviderAccount) -> None:
        """``Conflict`` if the id exists."""
        ...

    async def update(self, account: ProviderAccount) -> None:
        """Write label, settings, sealed secrets, hints and times; not ``active`` (see
        :meth:`activate`). ``NotFound`` if it does not exist."""
        ...

    async def activate(self, account_id: str, at: datetime) -> None:
        """Make this account the only active one (the one active before is deactivated);
        ``NotFound`` if it does not exist, ``Conflict`` if another account was activated
        concurrently."""
        ...

    async def deactivate(self, account_id: str, at: datetime) -> None: ...
    async def delete(self, account_id: str) -> None:
        """``NotFound`` if it does not exist."""
        ...


class UnitOfWork(Protocol):
    """One database transaction: ``async with uow: ...; await uow.commit()``.

    Leaving the block without ``commit()`` rolls everything back, so no use case can leave
    half-written rows.
    """

    locations: LocationRepository
    stations: StationRepository
    connectors: ConnectorRepository
    id_tags: IdTagRepository
    transactions: TransactionRepository
    remote_starts: RemoteStartRepository
    api_tokens: ApiTokenRepository
    logs: LogRepository
    tariffs: TariffRepository
    cdrs: CdrRepository
    usage: UsageRepository
    customers: CustomerRepository
    plans: PlanRepository
    contracts: ContractRepository
    tokens: TokenRepository
    vehicles: VehicleRepository
    bonus: BonusRepository
    authorizations: AuthorizationLog
    payment_providers: PaymentProviderRepository
    payments: PaymentRepository
    ledger: LedgerRepository
    payment_log: PaymentLog
    webhooks: WebhookInbox
    refunds: RefundRepository

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class TelemetryWriter(Protocol):
    """High-volume writes, batched across stations and committed together (group commit).

    ``record_status`` and ``record_meter_values`` return once the data is durable, so the
    OCPP answer is only sent after that; ``record_frame`` and ``touch`` are fire-and-forget
    (flushed within the batch interval and at shutdown).
    """

    async def record_status(self, report: StatusReport) -> None: ...
    async def record_meter_values(self, batch: MeterBatch) -> None: ...
    def record_frame(self, frame: LoggedFrame) -> None: ...
    def touch(self, station_id: str, at: datetime) -> None:
        """Note that a frame arrived from the station at ``at`` (last seen)."""
        ...

    async def record_connection(
        self, event: ConnectionEvent, *, ocpp_version: str | None = None
    ) -> None:
        """Store a "connected"/"disconnected" event: the connection history row and the
        station's ``connected`` flag; "connected" also sets ``ocpp_version`` (unless None)
        and counts as being seen at ``event.at``. A "connected" event of an unknown station
        changes nothing. Events are stored in the order they are recorded (the flag ends
        as the last one says); returns once the event is durable.
        """
        ...


@dataclass(frozen=True, slots=True)
class CommandResult:
    """A station's answer to a command: its ``status`` field (when the message has one) and
    the whole answer payload as received."""

    status: str | None
    payload: dict[str, Any]


class StationCommands(Protocol):
    """Commands to connected stations, independent of the OCPP version they speak.

    Every method raises ``StationNotConnected`` at once when the station has no connection,
    ``CommandTimeout`` when no answer comes within ``timeout`` seconds and ``CommandFailed``
    when the station answers with a CALLERROR. The OCPP adapter translates to the station's
    protocol version.
    """

    def is_connected(self, station_id: str) -> bool: ...
    def connected_ids(self) -> list[str]: ...
    async def remote_start(
        self, station_id: str, *, id_tag: str, connector_id: int | None, timeout: float
    ) -> CommandResult: ...
    async def remote_stop(
        self, station_id: str, *, transaction_id: int, timeout: float
    ) -> CommandResult: ...
    async def reset(self, station_id: str, *, hard: bool, timeout: float) -> CommandResult: ...
    async def unlock_connector(
        self, station_id: str, *, connector_id: int, timeout: float
    ) -> CommandResult: ...
    async def change_availability(
        self, station_id: str, *, connector_id: int, operative: bool, timeout: float
    ) -> CommandResult: ...
    async def get_configuration(
        self, station_id: str, *, keys: Sequence[str], timeout: float
    ) -> CommandResult: ...
    async def change_configuration(
        self, station_id: str, *, key: str, value: str, timeout: float
    ) -> CommandResult: ...
    async def trigger_message(
        self, station_id: str, *, message: str, connector_id: int | None, timeout: float
    ) -> CommandResult: ...
    async def clear_cache(self, station_id: str, *, timeout: float) -> CommandResult: ...
    async def data_transfer(
        self,
        station_id: str,
        *,
        vendor_id: str,
        message_id: str | None,
        data: str | None,
        timeout: float,
    ) -> CommandResult: ...
    async def disconnect(self, station_id: str, *, reason: str) -> None: ...
