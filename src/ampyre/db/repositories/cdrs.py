"""Charge detail records ⇄ ``cdrs`` rows.

Rounded totals are columns (exact decimals on both databases); the exact lines, the VAT
totals and the charging periods go into ``details`` as JSON with every number as text.
Rows are only ever inserted.

On PostgreSQL a batch of first CDRs is one ``INSERT … SELECT FROM unnest(…)`` whose rows
travel as one array per column (like the telemetry batches of :mod:`ampyre.db.telemetry_pg`),
instead of SQLAlchemy's multi-row VALUES with per-parameter processing. The values still
go through each column type's own bind processing (UTC check, decimal scale check, JSON),
so what is stored, and what is refused, is the same on both paths.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from ampyre.db.repositories.base import AnyRow, insert_unique, paged
from ampyre.db.tables import cdrs
from ampyre.domain.money import Price, round_money
from ampyre.domain.rating.cdr import Cdr, SessionFacts
from ampyre.domain.rating.periods import ChargingPeriod
from ampyre.domain.rating.pricing import LineKind, PricedLine, VatTotal
from ampyre.domain.rating.tariff import Dimension, ReservationRestriction
from ampyre.services.records import CdrFilter, Page

_MONEY = {
    "total": "total",
    "energy": "energy_cost",
    "time": "time_cost",
    "parking": "parking_cost",
    "fixed": "fixed_cost",
}


class SqlCdrRepository:
    """``CdrRepository`` over one connection; never commits."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, cdr: Cdr) -> int:
        result = await insert_unique(
            self._conn,
            sa.insert(cdrs).values(**cdr_columns(cdr)).returning(cdrs.c.id),
            exists=lambda: self._taken(cdr),
            what=f"CDR {cdr.sequence} of transaction {cdr.session.transaction_id}",
        )
        new_id: int = result.scalar_one()
        return new_id

    async def add_many(self, records: Sequence[Cdr]) -> int:
        if not records:
            return 0
        rows = [cdr_columns(c) for c in records]
        dialect = self._conn.dialect
        if dialect.name == "postgresql":
            try:
                arrays = _pg_arrays(rows, dialect)
            except (ValueError, TypeError) as error:  # reported as SQLAlchemy reports it
                kind = f"{type(error).__module__}.{type(error).__qualname__}"
                message = f"({kind}) {error}"
                raise sa.exc.StatementError(message, _PG_INSERT_MANY, None, error) from error
            # Through SQLAlchemy's cursor, so the unit of work's transaction has begun.
            result = await self._conn.exec_driver_sql(_PG_INSERT_MANY, arrays)
            return len(result.all())
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(cdrs).on_conflict_do_nothing(
            index_elements=["transaction_id", "sequence"]
        )
        # Count what RETURNING gives back: an executemany's rowcount is not reliable.
        result = await self._conn.execute(statement.returning(cdrs.c.id), rows)
        return len(result.all())

    async def get(self, cdr_id: int) -> Cdr | None:
        row = (await self._conn.execute(sa.select(cdrs).where(cdrs.c.id == cdr_id))).first()
        return None if row is None else cdr_from_row(row)

    async def for_transaction(self, transaction_id: int) -> builtins.list[Cdr]:
        rows = await self._conn.execute(
            sa.select(cdrs).where(cdrs.c.transaction_id == transaction_id).order_by(cdrs.c.sequence)
        )
        return [cdr_from_row(row) for row in rows]

    async def list(self, flt: CdrFilter, page: Page) -> list[Cdr]:
        statement = sa.select(cdrs).order_by(cdrs.c.ended_at.desc(), cdrs.c.id.desc())
        if flt.station_id is not None:
            statement = statement.where(cdrs.c.station_id == flt.station_id)
        if flt.transaction_id is not None:
            statement = statement.where(cdrs.c.transaction_id == flt.transaction_id)
        if flt.ended_from is not None:
            statement = statement.where(cdrs.c.ended_at >= flt.ended_from)
        if flt.ended_to is not None:
            statement = statement.where(cdrs.c.ended_at < flt.ended_to)
        return [cdr_from_row(row) for row in await self._conn.execute(paged(statement, page))]

    async def _taken(self, cdr: Cdr) -> bool:
        condition = sa.and_(
            cdrs.c.transaction_id == cdr.session.transaction_id,
            cdrs.c.sequence == cdr.sequence,
        )
        if cdr.credit_reference_id is not None:
            condition = sa.or_(condition, cdrs.c.credit_reference_id == cdr.credit_reference_id)
        return (await self._conn.execute(sa.select(cdrs.c.id).where(condition))).first() is not None


_INSERTED = tuple(c for c in cdrs.columns if c.name not in ("id", "created_at"))
"""The columns :func:`cdr_columns` fills (``created_at`` is the server's default)."""
_PG_INSERT_MANY = (
    f"INSERT INTO cdrs ({', '.join(c.name for c in _INSERTED)})"  # noqa: S608  # constants
    " SELECT * FROM unnest("
    + ", ".join(
        f"${n}::{c.type.compile(dialect=postgresql.dialect())}[]"  # type: ignore[no-untyped-call]
        for n, c in enumerate(_INSERTED, start=1)
    )
    + ") ON CONFLICT (transaction_id, sequence) DO NOTHING RETURNING id"
)
"""First CDRs of a batch in one statement, one array per column; skipped duplicates do not
come back from RETURNING."""


def _pg_arrays(rows: Sequence[dict[str, Any]], dialect: Dialect) -> tuple[list[Any], ...]:
    """One list per column of ``_INSERTED``, each value bind-processed by its column type
    exactly as SQLAlchemy would for an ordinary insert."""
    arrays = []
    for column, process in zip(_INSERTED, _bind_processors(dialect), strict=True):
        values = [row[column.name] for row in rows]
        arrays.append(values if process is None else [process(v) for v in values])
    return tuple(arrays)


@lru_cache(maxsize=4)
def _bind_processors(dialect: Dialect) -> tuple[Callable[[Any], Any] | None, ...]:
    return tuple(c.type.dialect_impl(dialect).bind_processor(dialect) for c in _INSERTED)


def cdr_columns(cdr: Cdr) -> dict[str, Any]:
    s = cdr.session
    columns: dict[str, Any] = {
        "transaction_id": s.transaction_id,
        "sequence": cdr.sequence,
        "credit_reference_id": cdr.credit_reference_id,
        "station_id": s.station_id,
        "connector_id": s.connector_id,
        "id_tag": s.id_tag,
        "location_id": s.location_id,
        "time_zone": s.time_zone,
        "tariff_id": cdr.tariff_id,
        "tariff_version": cdr.tariff_version,
        "currency": cdr.currency,
        "started_at": s.started_at,
        "ended_at": s.ended_at,
        "energy_kwh": _volume(cdr.energy_kwh),
        "charging_s": _volume(cdr.charging_s),
        "parking_s": _volume(cdr.parking_s),
        "details": {
            "lines": [_line_out(line) for line in cdr.lines],
            "vat_totals": [
                {
                    "vat_percent": _text(v.vat_percent),
                    "excl_vat": str(v.excl_vat),
                    "incl_vat": str(v.incl_vat),
                }
                for v in cdr.vat_totals
            ],
            "periods": [_period_out(p) for p in cdr.periods],
        },
        "reason": cdr.reason,
    }
    for column, attribute in _MONEY.items():
        price: Price = getattr(cdr, attribute)
        columns[f"{column}_excl_vat"] = price.excl_vat
        columns[f"{column}_incl_vat"] = price.incl_vat
    return columns


def cdr_from_row(row: AnyRow) -> Cdr:
    details = row.details
    # PostgreSQL returns NUMERIC(18, 4) with four decimals ("5.2000"); the totals were
    # rounded to the currency's minor unit before they were stored, so this is exact and
    # gives the same text on both databases ("5.20").
    money = {
        attribute: Price(
            round_money(getattr(row, f"{column}_excl_vat"), row.currency),
            round_money(getattr(row, f"{column}_incl_vat"), row.currency),
        )
        for column, attribute in _MONEY.items()
    }
    return Cdr(
        session=SessionFacts(
            transaction_id=row.transaction_id,
            station_id=row.station_id,
            connector_id=row.connector_id,
            id_tag=row.id_tag,
            location_id=row.location_id,
            time_zone=row.time_zone,
            started_at=row.started_at,
            ended_at=row.ended_at,
        ),
        sequence=row.sequence,
        tariff_id=row.tariff_id,
        tariff_version=row.tariff_version,
        currency=row.currency,
        energy_kwh=row.energy_kwh,
        charging_s=row.charging_s,
        parking_s=row.parking_s,
        lines=tuple(_line_in(item) for item in details["lines"]),
        vat_totals=tuple(
            VatTotal(
                _decimal_or_none(v["vat_percent"]), Decimal(v["excl_vat"]), Decimal(v["incl_vat"])
            )
            for v in details["vat_totals"]
        ),
        periods=tuple(_period_in(item) for item in details["periods"]),
        credit_reference_id=row.credit_reference_id,
        reason=row.reason,
        id=row.id,
        created_at=row.created_at,
        **money,
    )


def _volume(value: Decimal) -> Decimal:
    """Volumes are exact to 1 µs and 1 mWh already; quantize to the column's scale."""
    return value.quantize(Decimal("0.000001"))


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _decimal_or_none(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _line_out(line: PricedLine) -> dict[str, Any]:
    return {
        "kind": line.kind.value,
        "dimension": None if line.dimension is None else line.dimension.value,
        "vat_percent": _text(line.vat_percent),
        "excl_vat": str(line.amount.excl_vat),
        "incl_vat": str(line.amount.incl_vat),
        "quantity": str(line.quantity),
        "billed_quantity": str(line.billed_quantity),
        "unit_price": str(line.unit_price),
        "element": line.element,
        "reservation": line.reservation,
    }


def _line_in(item: dict[str, Any]) -> PricedLine:
    return PricedLine(
        kind=LineKind(item["kind"]),
        dimension=None if item["dimension"] is None else Dimension(item["dimension"]),
        vat_percent=_decimal_or_none(item["vat_percent"]),
        amount=Price(Decimal(item["excl_vat"]), Decimal(item["incl_vat"])),
        quantity=Decimal(item["quantity"]),
        billed_quantity=Decimal(item["billed_quantity"]),
        unit_price=Decimal(item["unit_price"]),
        element=item["element"],
        reservation=item.get("reservation", False),
    )


_PERIOD_DECIMALS = (
    "energy_kwh",
    "charging_s",
    "parking_s",
    "reservation_s",
    "kwh_before",
    "elapsed_s",
    "min_power_kw",
    "max_power_kw",
    "min_current_a",
    "max_current_a",
)


def _period_out(period: ChargingPeriod) -> dict[str, Any]:
    out: dict[str, Any] = {"start": period.start.isoformat()}
    for name in _PERIOD_DECIMALS:
        out[name] = _text(getattr(period, name))
    out["reservation"] = None if period.reservation is None else period.reservation.value
    return out


def _period_in(item: dict[str, Any]) -> ChargingPeriod:
    values: dict[str, Any] = {name: _decimal_or_none(item[name]) for name in _PERIOD_DECIMALS}
    reservation = item.get("reservation")
    return ChargingPeriod(
        start=datetime.fromisoformat(item["start"]),
        reservation=None if reservation is None else ReservationRestriction(reservation),
        **values,
    )
