"""Whether a tariff element's restrictions hold for a charging period (OCPI 2.2.1 §11.4.6).

The period is judged by the facts at its start; the period builder cuts a new period at every
instant where any of these answers could change, so the start speaks for the whole period.
"""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal

from ampyre.domain.rating.periods import ChargingPeriod
from ampyre.domain.rating.tariff import DayOfWeek, ReservationRestriction, Restrictions

MIDNIGHT = time(0, 0)


def restrictions_hold(r: Restrictions, period: ChargingPeriod, local_start: datetime) -> bool:
    """All of the restrictions hold for the period; ``local_start`` is its start, local time.

    An element without a reservation restriction never prices a reservation period, and one
    with it only prices reservation periods: a ``RESERVATION`` element prices reservations,
    whether they were used or expired, a ``RESERVATION_EXPIRES`` element only expired ones.
    So an expired reservation takes a dimension the expiry element lacks (e.g. its TIME)
    from the reservation element, as OCPI 2.2.1's reservation examples price it.
    """
    if r.reservation is not period.reservation and not (
        r.reservation is ReservationRestriction.RESERVATION
        and period.reservation is ReservationRestriction.RESERVATION_EXPIRES
    ):
        return False
    if (r.start_time is not None or r.end_time is not None) and not time_of_day_holds(
        r.start_time, r.end_time, local_start.time()
    ):
        return False
    if r.start_date is not None and local_start.date() < r.start_date:
        return False
    if r.end_date is not None and local_start.date() >= r.end_date:
        return False
    if r.days_of_week and DayOfWeek.of(local_start.date()) not in r.days_of_week:
        return False
    if r.min_kwh is not None and period.kwh_before < r.min_kwh:
        return False
    if r.max_kwh is not None and period.kwh_before >= r.max_kwh:
        return False
    if r.min_duration_s is not None and period.elapsed_s < r.min_duration_s:
        return False
    if r.max_duration_s is not None and period.elapsed_s >= r.max_duration_s:
        return False
    if (r.min_power is not None or r.max_power is not None) and not _within(
        period.min_power_kw, period.max_power_kw, r.min_power, r.max_power
    ):
        return False
    if r.min_current is not None or r.max_current is not None:
        return _within(period.min_current_a, period.max_current_a, r.min_current, r.max_current)
    return True


def time_of_day_holds(start: time | None, end: time | None, at: time) -> bool:
    """``start`` inclusive, ``end`` exclusive; an end before the start wraps past midnight.

    A missing start means from midnight, a missing end means until midnight; "00:00" as an
    end also means until midnight (OCPI's "20:00"–"00:00").
    """
    begin = start or MIDNIGHT
    if end is None or end == MIDNIGHT:
        return at >= begin
    if begin < end:
        return begin <= at < end
    return at >= begin or at < end


def _within(
    low: Decimal | None, high: Decimal | None, minimum: Decimal | None, maximum: Decimal | None
) -> bool:
    """Instantaneous values: every value in the period is >= minimum and < maximum.

    A period may know only one side (an OCPI CDR with MAX_CURRENT alone): that value then
    stands for both. A period with no value at all matches no such restriction.
    """
    low, high = (low if low is not None else high), (high if high is not None else low)
    if low is None or high is None:
        return False
    if minimum is not None and low < minimum:
        return False
    return not (maximum is not None and high >= maximum)
