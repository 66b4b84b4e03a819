"""The SQL unit of work: one connection, one database transaction, all repositories."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ampyre.db.repositories.api_tokens import SqlApiTokenRepository
from ampyre.db.repositories.authorizations import SqlAuthorizationLog
from ampyre.db.repositories.bonus import SqlBonusRepository
from ampyre.db.repositories.cdrs import SqlCdrRepository
from ampyre.db.repositories.connectors import SqlConnectorRepository
from ampyre.db.repositories.contracts import SqlContractRepository
from ampyre.db.repositories.customers import SqlCustomerRepository
from ampyre.db.repositories.id_tags import SqlIdTagRepository
from ampyre.db.repositories.locations import SqlLocationRepository
from ampyre.db.repositories.logs import SqlLogRepository
from ampyre.db.repositories.payment_providers import SqlPaymentProviderRepository
from ampyre.db.repositories.payments import (
    SqlLedgerRepository,
    SqlPaymentLog,
    SqlPaymentRepository,
    SqlWebhookInbox,
)
from ampyre.db.repositories.plans import SqlPlanRepository
from ampyre.db.repositories.refunds import SqlRefundRepository
from ampyre.db.repositories.remote_starts import SqlRemoteStartRepository
from ampyre.db.repositories.stations import SqlStationRepository
from ampyre.db.repositories.tariffs import SqlTariffRepository
from ampyre.db.repositories.tokens import SqlTokenRepository
from ampyre.db.repositories.transactions import SqlTransactionRepository
from ampyre.db.repositories.usage import SqlUsageRepository
from ampyre.db.repositories.vehicles import SqlVehicleRepository
from ampyre.services.payment_store import (
    LedgerRepository,
    PaymentLog,
    PaymentRepository,
    RefundRepository,
    WebhookInbox,
)
from ampyre.services.ports import (
    ApiTokenRepository,
    AuthorizationLog,
    BonusRepository,
    CdrRepository,
    ConnectorRepository,
    ContractRepository,
    CustomerRepository,
    IdTagRepository,
    LocationRepository,
    LogRepository,
    PaymentProviderRepository,
    PlanRepository,
    RemoteStartRepository,
    StationRepository,
    TariffRepository,
    TokenRepository,
    TransactionRepository,
    UnitOfWorkFactory,
    UsageRepository,
    VehicleRepository,
)


class SqlUnitOfWork:
    """``async with uow: ...; await uow.commit()``.

    Entering takes a pooled connection and begins a transaction; leaving without
    ``commit()`` rolls back. After ``commit()`` the block may go on reading and writing:
    a new transaction begins with the next statement and needs its own ``commit()``.
    A unit of work is not re-entrant and must not be shared between tasks.
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

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._conn: AsyncConnection | None = None

    async def __aenter__(self) -> Self:
        if self._conn is not None:
            raise RuntimeError("this unit of work is already in use")
        conn = await self._engine.connect()
        try:
            await conn.begin()
        except BaseException:
            await conn.close()
            raise
        self._conn = conn
        self.locations = SqlLocationRepository(conn)
        self.stations = SqlStationRepository(conn)
        self.connectors = SqlConnectorRepository(conn)
        self.id_tags = SqlIdTagRepository(conn)
        self.transactions = SqlTransactionRepository(conn)
        self.remote_starts = SqlRemoteStartRepository(conn)
        self.api_tokens = SqlApiTokenRepository(conn)
        self.logs = SqlLogRepository(conn)
        self.tariffs = SqlTariffRepository(conn)
        self.cdrs = SqlCdrRepository(conn)
        self.usage = SqlUsageRepository(conn)
        self.customers = SqlCustomerRepository(conn)
        self.plans = SqlPlanRepository(conn)
        self.contracts = SqlContractRepository(conn)
        self.tokens = SqlTokenRepository(conn)
        self.vehicles = SqlVehicleRepository(conn)
        self.bonus = SqlBonusRepository(conn)
        self.authorizations = SqlAuthorizationLog(conn)
        self.payment_providers = SqlPaymentProviderRepository(conn)
        self.payments = SqlPaymentRepository(conn)
        self.ledger = SqlLedgerRepository(conn)
        self.payment_log = SqlPaymentLog(conn)
        self.webhooks = SqlWebhookInbox(conn)
        self.refunds = SqlRefundRepository(conn)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            await conn.rollback()
        finally:
            await conn.close()

    async def commit(self) -> None:
        await self._connection().commit()

    async def rollback(self) -> None:
        await self._connection().rollback()

    def _connection(self) -> AsyncConnection:
        if self._conn is None:
            raise RuntimeError("the unit of work is used outside its `async with` block")
        return self._conn


def uow_factory(engine: AsyncEngine) -> UnitOfWorkFactory:
    """A factory making a fresh :class:`SqlUnitOfWork` on ``engine`` per use case."""

    def make() -> SqlUnitOfWork:
        return SqlUnitOfWork(engine)

    return make
