"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


class UtcDateTime(sa.TypeDecorator[datetime]):
    """A ``DateTime(timezone=True)`` that only accepts and only returns aware UTC datetimes.

    PostgreSQL stores ``timestamptz`` natively. SQLite has no time zones: the value is stored
    as naive UTC text (whose lexical order is the time order, so comparisons and ORDER BY
    work) and UTC is attached again when read. Writing a naive datetime raises ``ValueError``
    because its meaning would depend on the machine's local zone.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored; use an aware UTC time")
        utc = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return utc.replace(tzinfo=None)
        return utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {value!r}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
"""64-bit surrogate key; plain INTEGER on SQLite so it aliases the rowid and autoincrements."""
