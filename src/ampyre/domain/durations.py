"""Exact durations: ``timedelta.total_seconds()`` is a float, money needs exact seconds.

Subtract UTC instants: Python subtracts datetimes that share a tzinfo by wall clock, so a
DST night would count the clock's jump as time.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

MICROSECONDS_PER_SECOND = 1_000_000


def microseconds(delta: timedelta) -> int:
    """The duration in whole microseconds (exact: a timedelta has no finer unit)."""
    return (delta.days * 86_400 + delta.seconds) * MICROSECONDS_PER_SECOND + delta.microseconds


def exact_seconds(delta: timedelta) -> Decimal:
    """The duration in seconds, as an exact Decimal."""
    return Decimal(microseconds(delta)).scaleb(-6)
