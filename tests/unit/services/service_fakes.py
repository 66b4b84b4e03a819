# ruff: noqa: ASYNC109  (the StationCommands port takes ``timeout`` by name)
"""In-memory adapters of the service ports, for unit tests of the operator use cases.

``MemoryStore`` holds the committed state; each unit of work works on a deep copy and only
``commit()`` publishes it, so a use case that fails half-way leaves the store untouched, as
with a real database transaction.
"""

from __future__ import annotations

import builtins
import copy
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType
from typing import Self, TypeVar

from ampyre.domain.charging_limits import RemoteStartRequest
from ampyre.domain.errors import Conflict
from ampyre.domain.id_tags import IdTag
from ampyre.domain.locations import Location
from ampyre.domain.stations import Connector, RegistrationStatus, Station
from ampyre.domain.tokens import Token
from ampyre.domain.transactions import Transaction
from ampyre.services.ports import (
    ApiTokenRepository,
    CommandResult,
    ConnectorRepository,
    IdTagRepository,
    LocationRepository,
    LogRepository,
    RemoteStartRepository,
    StationRepository,
    TokenRepository,
    TransactionRepository,
    UsageRepository,
)
from ampyre.services.records import (
    ApiToken,
    ConnectionEvent,
    LoggedFrame,
    Page,
    StatusChange,
    StoredSample,
    TransactionFilter,
)


@dataclass
class MemoryState:
    locations: dict[str, Location] = field(default_factory=dict)
    stations: dict[str, Station] = field(default_factory=dict)
    connectors: dict[tuple[str, int], Connector] = field(default_factory=dict)
    status_changes: list[StatusChange] = field(default_factory=list)
    id_tags: dict[str, IdTag] = field(default_factory=dict)
    transactions: dict[int, Transaction] = field(default_factory=dict)
    samples: list[StoredSample] = field(default_factory=list)
    api_tokens: dict[int, ApiToken] = field(default_factory=dict)
    frames: list[LoggedFrame] = field(default_factory=list)
    connection_events: list[ConnectionEvent] = field(default_factory=list)
    remote_starts: dict[int, RemoteStartRequest] = field(default_factory=dict)
    rating_queue: dict[int, datetime] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)


T = TypeVar("T")


def _page(items: Sequence[T], page: Page) -> list[T]:
    return list(items[page.offset : page.offset + page.limit])


class MemoryLocations:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    async def get(self, location_id: str) -> Location | None:
        return self._s.locations.get(location_id)

    async def list(self, page: Page) -> builtins.list[Location]:
        return _page(sorted(self._s.locations.values(), key=lambda loc: loc.id), page)

    async def add(self, location: Location) -> None:
        if location.id in self._s.locations:
            raise Conflict(f"location {location.id} exists")
        self._s.locations[location.id] = location

    async def update(self, location: Location) -> None:
        self._s.locations[location.id] = location

    async def delete(self, location_id: str) -> None:
        self._s.locations.pop(location_id, None)

    async def has_stations(self, location_id: str) -> bool:
        return any(s.location_id == location_id for s in self._s.stations.values())


class MemoryStations:
    def __init__(self, state: MemoryState) -> None:
        self._s = state
        self.add_many_calls = 0

    async def get(self, station_id: str) -> Station | None:
        return self._s.stations.get(station_id)

    async def list(
        self,
        page: Page,
        *,
        location_id: str | None = None,
        registration_status: RegistrationStatus | None = None,
        connected: bool | None = None,
    ) -> builtins.list[Station]:
        found = [
            s
            for s in sorted(self._s.stations.values(), key=lambda s: s.id)
            if (location_id is None or s.location_id == location_id)
            and (registration_status is None or s.registration_status is registration_status)
            and (connected is None or s.connected is connected)
        ]
        return _page(found, page)

    async def add(self, station: Station) -> None:
        if station.id in self._s.stations:
            raise Conflict(f"station {station.id} exists")
        self._s.stations[station.id] = station

    async def add_many(self, stations: Sequence[Station]) -> None:
        self.add_many_calls += 1
        for station in stations:
            await self.add(station)

    async def update(self, station: Station) -> None:
        self._s.stations[station.id] = station

    async def delete(self, station_id: str) -> None:
        self._s.stations.pop(station_id, None)

    async def existing_ids(self, station_ids: Sequence[str]) -> set[str]:
        return {i for i in station_ids if i in self._s.stations}

    async def set_connected(self, station_id: str, connected: bool, at: datetime) -> None:
        if station_id in self._s.stations:
            self._s.stations[station_id].connected = connected

    async def mark_disconnected_if_silent(self, silent_since: datetime) -> builtins.list[str]:
        return []


class MemoryConnectors:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    async def list_for_station(self, station_id: str) -> list[Connector]:
        return sorted(
            (c for (sid, _), c in self._s.connectors.items() if sid == station_id),
            key=lambda c: c.connector_id,
        )

    async def get(self, station_id: str, connector_id: int) -> Connector | None:
        return self._s.connectors.get((station_id, connector_id))

    async def save(self, connector: Connector) -> None:
        self._s.connectors[(connector.station_id, connector.connector_id)] = connector

    async def delete(self, station_id: str, connector_id: int) -> None:
        self._s.connectors.pop((station_id, connector_id), None)

    async def status_history(
        self, station_id: str, connector_id: int | None, page: Page
    ) -> list[StatusChange]:
        found = [
            c
            for c in reversed(self._s.status_changes)
            if c.station_id == station_id
            and (connector_id is None or c.connector_id == connector_id)
        ]
        return _page(found, page)


class MemoryIdTags:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    async def get(self, id_tag: str) -> IdTag | None:
        return self._s.id_tags.get(id_tag)

    async def list(self, page: Page, *, search: str | None = None) -> builtins.list[IdTag]:
        found = [
            t
            for t in sorted(self._s.id_tags.values(), key=lambda t: t.id_tag)
            if search is None or search.lower() in t.id_tag.lower()
        ]
        return _page(found, page)

    async def add(self, tag: IdTag) -> None:
        if tag.id_tag in self._s.id_tags:
            raise Conflict(f"id tag {tag.id_tag} exists")
        self._s.id_tags[tag.id_tag] = tag

    async def update(self, tag: IdTag) -> None:
        self._s.id_tags[tag.id_tag] = tag

    async def delete(self, id_tag: str) -> None:
        self._s.id_tags.pop(id_tag, None)


class MemoryTransactions:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    async def get(self, transaction_id: int) -> Transaction | None:
        return self._s.transactions.get(transaction_id)

    async def get_by_start_key(self, start_key: str) -> Transaction | None:
        return next((t for t in self._s.transactions.values() if t.start_key == start_key), None)

    async def add(self, transaction: Transaction) -> int:
        new_id = max(self._s.transactions, default=0) + 1
        self._s.transactions[new_id] = replace(transaction, id=new_id)
        return new_id

    async def update(self, transaction: Transaction) -> None:
        self._s.transactions[transaction.id] = transaction

    async def active_for_connector(self, station_id: str, connector_id: int) -> list[Transaction]:
        return [
            t
            for t in self._s.transactions.values()
            if t.active and t.station_id == station_id and t.connector_id == connector_id
        ]

    async def active_for_station(self, station_id: str) -> list[Transaction]:
        return [t for t in self._s.transactions.values() if t.active and t.station_id == station_id]

    async def has_active_for_tag(
        self,
        id_tag: str,
        *,
        excluding_station: str | None = None,
        excluding_connector: int | None = None,
    ) -> bool:
        return any(
            t.active
            and t.id_tag == id_tag
            and not (t.station_id == excluding_station and t.connector_id == excluding_connector)
            for t in self._s.transactions.values()
        )

    async def list(self, flt: TransactionFilter, page: Page) -> builtins.list[Transaction]:
        found = [
            t
            for t in sorted(self._s.transactions.values(), key=lambda t: t.started_at, reverse=True)
            if (flt.station_id is None or t.station_id == flt.station_id)
            and (flt.id_tag is None or t.id_tag == flt.id_tag)
            and (flt.started_from is None or t.started_at >= flt.started_from)
            and (flt.started_to is None or t.started_at < flt.started_to)
            and (flt.active is None or t.active is flt.active)
        ]
        return _page(found, page)

    async def samples(self, transaction_id: int) -> builtins.list[StoredSample]:
        return [s for s in self._s.samples if s.transaction_id == transaction_id]

    async def max_register_wh(self, transaction_id: int) -> int | None:
        return None

    async def stuck_after_boot(self, booted_before: datetime) -> builtins.list[Transaction]:
        return []

    async def active_with_limits(self) -> builtins.list[Transaction]:
        return [
            t
            for t in self._s.transactions.values()
            if t.active and (t.energy_limit_wh is not None or t.duration_limit_s is not None)
        ]


class MemoryRemoteStarts:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    async def add(self, request: RemoteStartRequest) -> int:
        new_id = max(self._s.remote_starts, default=0) + 1
        self._s.remote_starts[new_id] = replace(request, id=new_id)
        return new_id

    async def delete(self, request_id: int) -> None:
        self._s.remote_starts.pop(request_id, None)

    async def open_for(self, station_id: str, id_tag: str) -> builtins.list[RemoteStartRequest]:
        return [
            r
            for r in self._s.remote_starts.values()
            if r.station_id == station_id and r.id_tag == id_tag and r.transaction_id is None
        ]

    async def claim(self, request_id: int, transaction_id: int) -> None:
        request = self._s.remote_starts[request_id]
        self._s.remote_starts[request_id] = replace(request, transaction_id=transaction_id)


class MemoryApiTokens:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    async def add(self, token: ApiToken) -> int:
        new_id = max(self._s.api_tokens, default=0) + 1
        self._s.api_tokens[new_id] = replace(token, id=new_id)
        return new_id

    async def get_by_hash(self, token_hash: str) -> ApiToken | None:
        return next((t for t in self._s.api_tokens.values() if t.token_hash == token_hash), None)

    async def list(self) -> builtins.list[ApiToken]:
        return list(self._s.api_tokens.values())

    async def revoke(self, token_id: int, at: datetime) -> bool:
        token = self._s.api_tokens.get(token_id)
        if token is None or token.revoked_at is not None:
            return False
        self._s.api_tokens[token_id] = replace(token, revoked_at=at)
        return True


class MemoryLogs:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    async def frames(
        self,
        page: Page,
        *,
        station_id: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[LoggedFrame]:
        found = [
            f
            for f in sorted(self._s.frames, key=lambda f: f.requested_at, reverse=True)
            if (station_id is None or f.station_id == station_id)
            and (action is None or f.action == action)
            and (since is None or f.requested_at >= since)
            and (until is None or f.requested_at < until)
        ]
        return _page(found, page)

    async def connection_events(self, station_id: str, page: Page) -> list[ConnectionEvent]:
        found = [e for e in reversed(self._s.connection_events) if e.station_id == station_id]
        return _page(found, page)

    async def add_connection_event(self, event: ConnectionEvent) -> None:
        self._s.connection_events.append(event)

    async def delete_frames_before(self, before: datetime) -> int:
        kept = [f for f in self._s.frames if f.requested_at >= before]
        removed = len(self._s.frames) - len(kept)
        self._s.frames = kept
        return removed


class MemoryRatingQueue:
    """The part of ``UsageRepository`` the station use cases write: the rating queue."""

    def __init__(self, state: MemoryState) -> None:
        self._s = state

    async def enqueue_for_rating(self, transaction_id: int, at: datetime) -> None:
        self._s.rating_queue.setdefault(transaction_id, at)

    async def done_rating(self, transaction_ids: Sequence[int]) -> None:
        for transaction_id in transaction_ids:
            self._s.rating_queue.pop(transaction_id, None)


class MemoryTokens:
    """The part of ``TokenRepository`` the operator tag use cases read (a uid is a token or
    an operator tag, never both)."""

    def __init__(self, state: MemoryState) -> None:
        self._s = state

    async def get(self, uid: str) -> Token | None:
        return self._s.tokens.get(uid)

    async def add_many(self, tokens: Sequence[Token]) -> None:
        if any(t.uid in self._s.tokens for t in tokens):
            raise Conflict("a token with this uid exists")
        self._s.tokens.update((t.uid, t) for t in tokens)


class MemoryUnitOfWork:
    locations: LocationRepository
    stations: StationRepository
    connectors: ConnectorRepository
    id_tags: IdTagRepository
    transactions: TransactionRepository
    remote_starts: RemoteStartRepository
    api_tokens: ApiTokenRepository
    logs: LogRepository
    usage: UsageRepository
    tokens: TokenRepository

    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self._work = MemoryState()
        self._bind(self._work)

    def _bind(self, state: MemoryState) -> None:
        self.locations = MemoryLocations(state)
        self.stations = MemoryStations(state)
        self.connectors = MemoryConnectors(state)
        self.id_tags = MemoryIdTags(state)
        self.transactions = MemoryTransactions(state)
        self.remote_starts = MemoryRemoteStarts(state)
        self.api_tokens = MemoryApiTokens(state)
        self.logs = MemoryLogs(state)
        self.usage = MemoryRatingQueue(state)  # type: ignore[assignment]
        self.tokens = MemoryTokens(state)  # type: ignore[assignment]

    async def __aenter__(self) -> Self:
        self._work = copy.deepcopy(self._store.state)
        self._bind(self._work)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._work = MemoryState()

    async def commit(self) -> None:
        self._store.state = self._work
        self._store.commits += 1
        self._work = copy.deepcopy(self._work)
        self._bind(self._work)

    async def rollback(self) -> None:
        self._work = copy.deepcopy(self._store.state)
        self._bind(self._work)


class MemoryStore:
    """The committed state and a factory of units of work over it (``UnitOfWorkFactory``)."""

    def __init__(self) -> None:
        self.state = MemoryState()
        self.commits = 0

    def __call__(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self)


class RecordingStationCommands:
    """``StationCommands`` that records each call and answers ``Accepted`` for connected
    stations (the ``connected`` set)."""

    def __init__(self, connected: set[str] | None = None) -> None:
        self.connected = set(connected or ())
        self.calls: list[tuple[str, str, dict[str, object]]] = []
        self.disconnected: list[tuple[str, str]] = []

    def is_connected(self, station_id: str) -> bool:
        return station_id in self.connected

    def connected_ids(self) -> list[str]:
        return sorted(self.connected)

    def _answer(self, name: str, station_id: str, **arguments: object) -> CommandResult:
        self.calls.append((name, station_id, arguments))
        return CommandResult("Accepted", {"status": "Accepted"})

    async def remote_start(
        self, station_id: str, *, id_tag: str, connector_id: int | None, timeout: float
    ) -> CommandResult:
        return self._answer("remote_start", station_id, id_tag=id_tag, connector_id=connector_id)

    async def remote_stop(
        self, station_id: str, *, transaction_id: int, timeout: float
    ) -> CommandResult:
        return self._answer("remote_stop", station_id, transaction_id=transaction_id)

    async def reset(self, station_id: str, *, hard: bool, timeout: float) -> CommandResult:
        return self._answer("reset", station_id, hard=hard)

    async def unlock_connector(
        self, station_id: str, *, connector_id: int, timeout: float
    ) -> CommandResult:
        return self._answer("unlock_connector", station_id, connector_id=connector_id)

    async def change_availability(
        self, station_id: str, *, connector_id: int, operative: bool, timeout: float
    ) -> CommandResult:
        return self._answer(
            "change_availability", station_id, connector_id=connector_id, operative=operative
        )

    async def get_configuration(
        self, station_id: str, *, keys: Sequence[str], timeout: float
    ) -> CommandResult:
        return self._answer("get_configuration", station_id, keys=list(keys))

    async def change_configuration(
        self, station_id: str, *, key: str, value: str, timeout: float
    ) -> CommandResult:
        return self._answer("change_configuration", station_id, key=key, value=value)

    async def trigger_message(
        self, station_id: str, *, message: str, connector_id: int | None, timeout: float
    ) -> CommandResult:
        return self._answer("trigger_message", station_id, message=message)

    async def clear_cache(self, station_id: str, *, timeout: float) -> CommandResult:
        return self._answer("clear_cache", station_id)

    async def data_transfer(
        self,
        station_id: str,
        *,
        vendor_id: str,
        message_id: str | None,
        data: str | None,
        timeout: float,
    ) -> CommandResult:
        return self._answer("data_transfer", station_id, vendor_id=vendor_id)

    async def disconnect(self, station_id: str, *, reason: str) -> None:
        self.disconnected.append((station_id, reason))
        self.connected.discard(station_id)
