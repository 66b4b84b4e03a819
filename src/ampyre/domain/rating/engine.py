"""Rating a metered session: cut it into periods for the tariff, then price the periods.

This is the one engine: live cost, CDRs and ``ampyre tariffs price`` (which brings OCPI
periods instead of meter data) all end in :func:`~ampyre.domain.rating.pricing.price_session`.
"""

from __future__ import annotations

from datetime import tzinfo

from ampyre.domain.rating.pricing import PricedSession, price_session
from ampyre.domain.rating.tariff import Tariff
from ampyre.domain.rating.usage import SessionUsage, build_periods


def rate_session(tariff: Tariff, usage: SessionUsage, tz: tzinfo) -> PricedSession:
    """Price a session from its meter data; ``tz`` is the location's time zone."""
    periods = build_periods(usage, tariff.priced_elements(), tz)
    return price_session(
        tariff, periods, session_start=usage.started_at, session_end=usage.ended_at, tz=tz
    )
