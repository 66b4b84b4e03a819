"""Meter samples ⇄ ``meter_values`` rows (one row per sampled value).

Each row keeps the sampled value exactly as received (text, unit, signed data) plus
``energy_wh``: the sample's import register reading in Wh, set on exactly the one value of a
sample that :func:`ampyre.domain.metering.register_reading_wh` would pick (the total rather
than a phase). So ``max(energy_wh)`` over a transaction is its highest register reading.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ampyre.db.repositories.base import AnyRow
from ampyre.db.tables import transactions
from ampyre.domain.errors import ValidationFailed
from ampyre.domain.metering import (
    ENERGY_REGISTER,
    MeterSample,
    ReadingContext,
    SampledValue,
    ValueFormat,
    energy_wh,
)
from ampyre.services.records import MeterBatch, StoredSample

METER_VALUE_COLUMNS = (
    "transaction_id",
    "station_id",
    "connector_id",
    "timestamp",
    "received_at",
    "measurand",
    "phase",
    "unit",
    "context",
    "location",
    "format",
    "value",
    "signed_data",
    "energy_wh",
)
"""The order of the fields in :func:`meter_value_tuples`."""


def meter_value_tuples(batch: MeterBatch) -> list[tuple[Any, ...]]:
    """The ``meter_values`` rows of one MeterValues / Start / Stop message, as tuples in
    :data:`METER_VALUE_COLUMNS` order."""
    rows: list[tuple[Any, ...]] = []
    transaction_id, station_id = batch.transaction_id, batch.station_id
    connector_id, received_at = batch.connector_id, batch.received_at
    for sample in batch.samples:
        register_index, register_wh = _register_value(sample)
        timestamp = sample.timestamp
        for index, value in enumerate(sample.values):
            rows.append(
                (
                    transaction_id,
                    station_id,
                    connector_id,
                    timestamp,
                    received_at,
                    value.measurand,
                    value.phase,
                    value.unit,
                    value.context.value,
                    value.location,
                    value.format.value,
                    value.value,
                    value.signed_data,
                    register_wh if index == register_index else None,
                )
            )
    return rows


def meter_value_rows(batch: MeterBatch) -> list[dict[str, Any]]:
    """The ``meter_values`` rows of one MeterValues / Start / Stop message."""
    return [dict(zip(METER_VALUE_COLUMNS, row, strict=True)) for row in meter_value_tuples(batch)]


_MAX_REGISTER_DIGITS = 15
"""Readings of 10^15 or more (in their unit) are nonsense; they are kept as text only."""


def _value_wh(value: SampledValue) -> int | None:
    if value.measurand != ENERGY_REGISTER:
        return None
    number = value.numeric()
    if number is None or (number != 0 and number.adjusted() >= _MAX_REGISTER_DIGITS):
        return None
    try:
        return energy_wh(number, value.unit)
    except ValidationFailed:
        return None


def _register_value(sample: MeterSample) -> tuple[int | None, int | None]:
    """Index and Wh of the value ``register_reading_wh`` reads: the first usable total, else
    the first usable per-phase register; (None, None) when there is none.
    """
    first_phase: tuple[int | None, int | None] = (None, None)
    for index, value in enumerate(sample.values):
        wh = _value_wh(value)
        if wh is None:
            continue
        if value.phase is None:
            return index, wh
        if first_phase[0] is None:
            first_phase = (index, wh)
    return first_phase


def stored_samples(rows: Iterable[AnyRow]) -> list[StoredSample]:
    """Group rows ordered by (timestamp, received_at, id) back into samples.

    Consecutive rows with the same station, connector, transaction, timestamp and receive
    time form one sample; values keep their stored order.
    """
    samples: list[StoredSample] = []
    for _, group in itertools.groupby(rows, key=_sample_key):
        sample_rows = list(group)
        head = sample_rows[0]
        samples.append(
            StoredSample(
                station_id=head.station_id,
                connector_id=head.connector_id,
                transaction_id=head.transaction_id,
                received_at=head.received_at,
                sample=MeterSample(
                    timestamp=head.timestamp,
                    values=tuple(_sampled_value(row) for row in sample_rows),
                ),
            )
        )
    return samples


def _sample_key(row: AnyRow) -> tuple[Any, ...]:
    return (row.station_id, row.connector_id, row.transaction_id, row.timestamp, row.received_at)


def _sampled_value(row: AnyRow) -> SampledValue:
    return SampledValue(
        value=row.value,
        measurand=row.measurand,
        unit=row.unit,
        phase=row.phase,
        context=ReadingContext(row.context),
        location=row.location,
        format=ValueFormat(row.format),
        signed_data=row.signed_data,
    )


def reading_is_newer(
    wh: sa.ColumnElement[int], at: sa.ColumnElement[datetime]
) -> sa.ColumnElement[bool]:
    """SQL condition: the reading (``wh``, ``at``) beats the transaction's stored one.

    Readings are ordered by value, then time: a higher register wins; an equal register with
    a later time only advances ``last_meter_at`` (the meter is still reporting). A lower
    register never replaces a higher one, and nothing below ``meter_start_wh`` is taken, so
    ``last_meter_wh`` is the highest plausible reading seen, as in
    :meth:`ampyre.domain.transactions.Transaction.note_reading`.
    """
    last_wh, last_at = transactions.c.last_meter_wh, transactions.c.last_meter_at
    return sa.and_(
        wh >= transactions.c.meter_start_wh,
        sa.or_(
            last_wh.is_(None),
            wh > last_wh,
            sa.and_(wh == last_wh, sa.or_(last_at.is_(None), at > last_at)),
        ),
    )
