"""The worked examples of DOMAIN.md §1 (EUR, excl. / incl. VAT), rated from meter data."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from rating_builders import (
    BERLIN,
    T0,
    D,
    element,
    energy,
    flat,
    minutes,
    price,
    session,
    tariff,
    time_fee,
)

from ampyre.domain.rating.engine import rate_session
from ampyre.domain.rating.periods import ChargingPeriod
from ampyre.domain.rating.pricing import LineKind
from ampyre.domain.rating.restrictions import restrictions_hold, time_of_day_holds
from ampyre.domain.rating.tariff import Dimension, Restrictions
from ampyre.domain.rating.usage import SessionUsage


def test_example_1_energy_with_vat() -> None:
    priced = rate_session(
        tariff(element(energy("0.25", "10"))), session(T0, minutes(90), 20_000), UTC
    )

    assert priced.rounded_totals()["total_cost"] == price("5.00", "5.50")
    assert priced.energy_kwh == D(20)
    assert [(v.vat_percent, v.excl_vat, v.incl_vat) for v in priced.vat_totals()] == [
        (D(10), D("5.00"), D("5.50"))
    ]


def test_example_2_flat_fee_at_its_own_vat_rate() -> None:
    t = tariff(element(energy("0.25", "10"), flat("0.50", "20")))

    priced = rate_session(t, session(T0, minutes(90), 20_000), UTC)

    totals = priced.rounded_totals()
    assert totals["total_cost"] == price("5.50", "6.10")
    assert totals["total_fixed_cost"] == price("0.50", "0.60")
    assert totals["total_energy_cost"] == price("5.00", "5.50")
    assert {v.vat_percent: (v.excl_vat, v.incl_vat) for v in priced.vat_totals()} == {
        D(10): (D("5.00"), D("5.50")),
        D(20): (D("0.50"), D("0.60")),
    }


def test_example_3_time_with_step_size() -> None:
    t = tariff(element(time_fee("2.00", "10", step=60)))

    exact = rate_session(t, session(T0, timedelta(hours=2.5), 10_000), UTC)
    # 2 h 29 min 0.5 s are billed as 2 h 30 min (blocks of 60 s).
    short = rate_session(t, session(T0, timedelta(hours=2, minutes=29, seconds=0.5), 10_000), UTC)

    assert exact.rounded_totals()["total_cost"] == price("5.00", "5.50")
    assert short.total == price("5.00", "5.50")
    (line,) = short.lines
    assert line.billed_quantity == D(9000)
    assert line.quantity == D("8940.5")


def test_example_4_max_price_clamps_excl_and_incl() -> None:
    t = tariff(
        element(flat("0.50", "20"), energy("0.25", "10")),
        max_price=price("10.00", "11.00"),
    )

    priced = rate_session(t, session(T0, timedelta(hours=3), 50_000), UTC)

    # Before clamping: 0.50 + 12.50 = 13.00 excl., 0.60 + 13.75 = 14.35 incl.
    assert priced.total == price("10.00", "11.00")
    assert priced.dimension_cost(Dimension.ENERGY) == price("12.50", "13.75")
    adjustments = [line for line in priced.lines if line.kind is LineKind.MAX_PRICE]
    assert {line.vat_percent for line in adjustments} == {D(10), D(20)}
    assert sum(line.amount.excl_vat for line in adjustments) == D("-3.00")
    assert sum(line.amount.incl_vat for line in adjustments) == D("-3.35")


def test_example_5_night_window_wraps_past_midnight() -> None:
    night = Restrictions(start_time=time(22, 0), end_time=time(6, 0))
    at_2330 = datetime(2024, 5, 6, 23, 30, tzinfo=BERLIN)
    at_0600 = datetime(2024, 5, 7, 6, 0, tzinfo=BERLIN)

    assert time_of_day_holds(night.start_time, night.end_time, time(23, 30))
    assert not time_of_day_holds(night.start_time, night.end_time, time(6, 0))
    assert restrictions_hold(night, ChargingPeriod(start=at_2330), at_2330)
    assert not restrictions_hold(night, ChargingPeriod(start=at_0600), at_0600)


def test_example_5_session_priced_across_the_night_window() -> None:
    t = tariff(
        element(energy("0.20"), start_time=time(22, 0), end_time=time(6, 0)),
        element(energy("0.30")),
    )
    start = datetime(2024, 5, 6, 21, 0, tzinfo=BERLIN)  # 1 kWh per hour until 07:00
    usage = session(start, timedelta(hours=10), 10_000)

    priced = rate_session(t, usage, BERLIN)

    # 21–22 and 06–07 at 0.30, 22–06 (8 kWh) at 0.20.
    assert priced.total.excl_vat == D("2.20")
    by_element = {line.element: line.quantity for line in priced.lines}
    assert by_element == {0: D(8), 1: D(2)}
    local_starts = [p.start.astimezone(BERLIN).time() for p in priced.periods]
    assert local_starts == [time(21), time(22), time(0), time(6)]


def test_example_6_dst_night_bills_real_elapsed_time() -> None:
    start = datetime(2024, 3, 31, 0, 30, tzinfo=BERLIN)  # CET
    end = datetime(2024, 3, 31, 4, 30, tzinfo=BERLIN)  # CEST: 4 h on the wall clock
    # Both in the location's zone: Python's ``end - start`` would say 4 h here.
    usage = SessionUsage(started_at=start, ended_at=end, meter_start_wh=0, meter_end_wh=9_000)

    priced = rate_session(tariff(element(time_fee("1.00"))), usage, BERLIN)

    assert priced.total == price("3.00", "3.00")
    assert priced.total_time_s == D(10_800)
    assert priced.charging_s == D(10_800)


def test_example_6_with_a_clock_window_across_the_gap() -> None:
    # 1.00/h until 03:00 local, 2.00/h after: the clock jumps 02:00 → 03:00 at 01:00 UTC.
    t = tariff(
        element(time_fee("1.00"), start_time=time(0, 0), end_time=time(3, 0)),
        element(time_fee("2.00")),
    )
    start = datetime(2024, 3, 31, 0, 30, tzinfo=BERLIN)

    priced = rate_session(t, session(start, timedelta(hours=3), 9_000), BERLIN)

    # 1.5 h real time before the jump at 1.00, 1.5 h after it at 2.00.
    assert priced.total.excl_vat == D("4.50")
    assert datetime(2024, 3, 31, 1, 0, tzinfo=UTC) in [p.start for p in priced.periods]
