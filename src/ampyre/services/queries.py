"""Read-only use cases: transactions with their meter data, and the OCPP message log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ampyre.domain.errors import NotFound, ValidationFailed
from ampyre.domain.transactions import Transaction
from ampyre.services.access import Actor, Permission, check_permission
from ampyre.services.ports import UnitOfWorkFactory
from ampyre.services.records import LoggedFrame, Page, StoredSample, TransactionFilter


def validate_time_range(since: datetime | None, until: datetime | None) -> None:
    for value in (since, until):
        if value is not None and value.utcoffset() is None:
            raise ValidationFailed("times need a time zone (e.g. 2025-01-31T23:00:00Z)")
    if since is not None and until is not None and since > until:
        raise ValidationFailed("the start of a time range must not be after its end")


@dataclass(frozen=True, slots=True)
class TransactionDetail:
    transaction: Transaction
    samples: list[StoredSample]
    """Every meter sample of the transaction, oldest first, kept as the station sent it."""

    @property
    def energy_wh(self) -> int:
        return self.transaction.energy_wh


@dataclass(frozen=True, slots=True)
class QueryService:
    uow_factory: UnitOfWorkFactory

    async def list_transactions(
        self, actor: Actor, flt: TransactionFilter, page: Page
    ) -> list[Transaction]:
        """Newest start first; ``started_from``/``started_to`` bound the station's start time."""
        check_permission(actor, Permission.TRANSACTIONS_READ)
        validate_time_range(flt.started_from, flt.started_to)
        async with self.uow_factory() as uow:
            return await uow.transactions.list(flt, page)

    async def get_transaction(self, actor: Actor, transaction_id: int) -> TransactionDetail:
        check_permission(actor, Permission.TRANSACTIONS_READ)
        async with self.uow_factory() as uow:
            transaction = await uow.transactions.get(transaction_id)
            if transaction is None:
                raise NotFound(f"transaction {transaction_id} does not exist")
            samples = await uow.transactions.samples(transaction_id)
        return TransactionDetail(transaction, samples)

    async def message_log(
        self,
        actor: Actor,
        page: Page,
        *,
        station_id: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[LoggedFrame]:
        """OCPP exchanges, newest first, filtered by station, action and request time."""
        check_permission(actor, Permission.MESSAGE_LOG_READ)
        validate_time_range(since, until)
        async with self.uow_factory() as uow:
            return await uow.logs.frames(
                page, station_id=station_id, action=action, since=since, until=until
            )
