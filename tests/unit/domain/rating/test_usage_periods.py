"""build_periods: where a session is cut into charging periods, and what each period holds.

Rules: usage.py module docstring and DOMAIN.md §1 "Periods" (a new period at every event that
can change the price, thresholds interpolated between meter samples).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from rating_builders import (
    BERLIN,
    T0,
    D,
    element,
    energy,
    flat,
    minutes,
    parking,
    session,
    tariff,
    time_fee,
)

from ampyre.domain.rating.engine import rate_session
from ampyre.domain.rating.periods import ChargingPeriod
from ampyre.domain.rating.tariff import DayOfWeek, TariffElement
from ampyre.domain.rating.usage import MeterReading, SessionUsage, build_periods

FLAT_FREE: tuple[TariffElement, ...] = ()


def starts(periods: list[ChargingPeriod]) -> list[timedelta]:
    """Period starts as offsets from the first one."""
    return [p.start - periods[0].start for p in periods]


def local_times(periods: list[ChargingPeriod]) -> list[time]:
    return [p.start.astimezone(BERLIN).time() for p in periods]


def test_no_restriction_no_cut() -> None:
    periods = build_periods(session(T0, minutes(60), 3_000), FLAT_FREE, BERLIN)

    (only,) = periods
    assert only.start == T0
    assert (only.energy_kwh, only.charging_s, only.parking_s) == (D(3), D(3600), D(0))


def test_time_of_day_cut_in_the_location_time_zone() -> None:
    # 16:00 UTC is 17:00 in Berlin (CET): the 18:00 boundary is 17:00 UTC.
    start = datetime(2024, 1, 10, 16, 0, tzinfo=UTC)
    elements = (element(energy("0.40"), start_time=time(18, 0)),)

    periods = build_periods(session(start, minutes(180), 3_000), elements, BERLIN)

    assert [p.start for p in periods] == [start, datetime(2024, 1, 10, 17, 0, tzinfo=UTC)]
    assert [p.energy_kwh for p in periods] == [D(1), D(2)]


def test_time_of_day_window_wrapping_past_midnight_cuts_at_both_ends_and_midnight() -> None:
    start = datetime(2024, 5, 6, 20, 0, tzinfo=BERLIN)
    elements = (element(energy("0.20"), start_time=time(22, 0), end_time=time(6, 0)),)

    periods = build_periods(session(start, timedelta(hours=12), 12_000), elements, BERLIN)

    assert local_times(periods) == [time(20), time(22), time(0), time(6)]
    assert [p.energy_kwh for p in periods] == [D(2), D(2), D(6), D(2)]
    assert [p.kwh_before for p in periods] == [D(0), D(2), D(4), D(10)]
    assert [p.elapsed_s for p in periods] == [D(0), D(7200), D(14400), D(36000)]


def test_day_of_week_cuts_at_local_midnight() -> None:
    friday_2300 = datetime(2024, 5, 10, 23, 0, tzinfo=BERLIN)
    elements = (element(energy("0.20"), days_of_week=frozenset({DayOfWeek.SATURDAY})),)

    periods = build_periods(session(friday_2300, minutes(120), 2_000), elements, BERLIN)

    assert local_times(periods) == [time(23), time(0)]
    assert periods[1].start == datetime(2024, 5, 10, 22, 0, tzinfo=UTC)


def test_start_date_cuts_at_local_midnight() -> None:
    start = datetime(2024, 5, 10, 23, 30, tzinfo=BERLIN)
    elements = (element(energy("0.20"), start_date=date(2024, 5, 11)),)

    periods = build_periods(session(start, minutes(60), 1_000), elements, BERLIN)

    assert local_times(periods) == [time(23, 30), time(0)]


def test_kwh_threshold_is_interpolated_between_samples() -> None:
    # 1 kWh at 10 min, 4 kWh at 40 min: 2.5 kWh is reached at 25 min exactly.
    usage = session(T0, minutes(60), 5_000, [(minutes(10), 1_000), (minutes(40), 4_000)])
    elements = (element(energy("0.30"), min_kwh=D("2.5")),)

    periods = build_periods(usage, elements, BERLIN)

    assert starts(periods) == [minutes(0), minutes(25)]
    assert periods[1].kwh_before == D("2.5")
    assert periods[0].energy_kwh + periods[1].energy_kwh == D(5)


def test_kwh_threshold_between_microseconds_is_cut_at_the_later_one() -> None:
    # 3 kWh in 7 s: 1 kWh is reached at 2.333333… s, so the cut is at 2.333334 s (at
    # 2.333333 s the register would show 0.9999998… kWh: max_kwh 1 still holds there).
    usage = session(T0, timedelta(seconds=7), 3_000)
    elements = (element(energy("0.30"), max_kwh=D(1)),)

    periods = build_periods(usage, elements, BERLIN)

    assert starts(periods) == [timedelta(0), timedelta(microseconds=2_333_334)]
    assert periods[1].kwh_before == D(1)
    assert periods[0].energy_kwh == D(1)


def test_kwh_threshold_reached_exactly_at_a_sample() -> None:
    usage = session(T0, minutes(60), 3_000, [(minutes(20), 2_000)])
    elements = (element(energy("0.30"), max_kwh=D(2)),)

    periods = build_periods(usage, elements, BERLIN)

    assert starts(periods) == [minutes(0), minutes(20)]
    assert periods[1].kwh_before == D(2)


def test_kwh_threshold_never_reached_makes_no_cut() -> None:
    elements = (element(energy("0.30"), min_kwh=D(50)),)

    periods = build_periods(session(T0, minutes(60), 3_000), elements, BERLIN)

    assert len(periods) == 1


def test_duration_thresholds_cut_at_session_start_plus_duration() -> None:
    elements = (
        element(time_fee("1.00"), max_duration_s=1800),
        element(parking("2.00"), min_duration_s=2700),
    )

    periods = build_periods(session(T0, minutes(60), 3_000), elements, BERLIN)

    assert starts(periods) == [minutes(0), minutes(30), minutes(45)]
    assert [p.elapsed_s for p in periods] == [D(0), D(1800), D(2700)]


def test_reported_power_threshold_is_interpolated_linearly() -> None:
    # Reported power rises linearly 0 → 22 kW over an hour: 11 kW at 30 min.
    usage = session(T0, minutes(60), 11_000, power=[(minutes(0), "0"), (minutes(60), "22000")])
    elements = (element(energy("0.50"), min_power=D(11)),)

    periods = build_periods(usage, elements, BERLIN)

    assert starts(periods) == [minutes(0), minutes(30)]
    assert [p.max_power_kw for p in periods] == [D("5.5"), D("16.5")]  # at each midpoint
    assert [p.energy_kwh for p in periods] == [D("5.5"), D("5.5")]


def test_power_derived_from_the_register_changes_at_samples() -> None:
    # 0.5 kWh in 10 min (3 kW), 2 kWh in 10 min (12 kW), 0.5 kWh in 10 min (3 kW).
    usage = session(T0, minutes(30), 3_000, [(minutes(10), 500), (minutes(20), 2_500)])
    elements = (element(energy("0.50"), min_power=D(11)),)

    periods = build_periods(usage, elements, BERLIN)

    assert starts(periods) == [minutes(0), minutes(10), minutes(20)]
    assert [p.min_power_kw for p in periods] == [D(3), D(12), D(3)]


def test_no_power_measured_and_current_restriction_keeps_one_period() -> None:
    elements = (element(energy("0.50"), max_current=D(16)),)

    (only,) = build_periods(session(T0, minutes(30), 3_000), elements, BERLIN)

    assert only.min_current_a is None


def test_charging_then_parking_when_the_register_stops() -> None:
    usage = session(T0, minutes(60), 4_000, [(minutes(30), 4_000)])

    periods = build_periods(usage, FLAT_FREE, BERLIN)

    assert starts(periods) == [minutes(0), minutes(30)]
    assert (periods[0].energy_kwh, periods[0].charging_s, periods[0].parking_s) == (
        D(4),
        D(1800),
        D(0),
    )
    assert (periods[1].energy_kwh, periods[1].charging_s, periods[1].parking_s) == (
        D(0),
        D(0),
        D(1800),
    )


def test_parking_then_charging_again() -> None:
    usage = session(T0, minutes(60), 2_000, [(minutes(20), 1_000), (minutes(40), 1_000)])

    periods = build_periods(usage, FLAT_FREE, BERLIN)

    assert [(p.charging_s, p.parking_s) for p in periods] == [
        (D(1200), D(0)),
        (D(0), D(1200)),
        (D(1200), D(0)),
    ]


def test_energy_of_a_suspended_interval_goes_on_its_active_part() -> None:
    usage = session(T0, minutes(60), 3_000, suspended=[(minutes(20), minutes(40))])

    periods = build_periods(usage, FLAT_FREE, BERLIN)

    assert starts(periods) == [minutes(0), minutes(20), minutes(40)]
    assert [p.energy_kwh for p in periods] == [D("1.5"), D(0), D("1.5")]
    assert [p.parking_s for p in periods] == [D(0), D(1200), D(0)]


def test_overlapping_and_inverted_suspended_intervals_are_merged() -> None:
    # SuspendedEV 10–30 and SuspendedEVSE 20–40 overlap: one pause 10–40; 50–45 is empty.
    usage = session(
        T0,
        minutes(120),
        10_000,
        [(minutes(60), 6_000)],
        suspended=[
            (minutes(10), minutes(30)),
            (minutes(20), minutes(40)),
            (minutes(50), minutes(45)),
        ],
    )

    periods = build_periods(usage, FLAT_FREE, BERLIN)

    assert starts(periods) == [minutes(0), minutes(10), minutes(40)]
    # 6 kWh over the 30 active minutes of the first hour: 2 kWh before, 4 kWh after the pause.
    assert [p.energy_kwh for p in periods] == [D(2), D(0), D(8)]
    assert all(p.energy_kwh >= 0 for p in periods)


def test_suspension_covering_a_whole_interval_that_gained_energy_stays_charging() -> None:
    usage = session(T0, minutes(60), 3_000, suspended=[(minutes(-5), minutes(65))])

    (only,) = build_periods(usage, FLAT_FREE, BERLIN)

    assert (only.energy_kwh, only.charging_s) == (D(3), D(3600))


def test_fall_back_ambiguous_wall_time_is_cut_on_both_occurrences() -> None:
    # 2024-10-27 Berlin: 03:00 CEST (01:00 UTC) becomes 02:00 CET; 02:30 happens twice.
    start = datetime(2024, 10, 27, 0, 0, tzinfo=UTC)  # 02:00 CEST
    elements = (element(energy("0.50"), start_time=time(2, 30), end_time=time(3, 0)),)

    periods = build_periods(session(start, minutes(180), 3_000), elements, BERLIN)

    assert starts(periods) == [minutes(0), minutes(30), minutes(60), minutes(90), minutes(120)]
    assert local_times(periods) == [time(2), time(2, 30), time(2), time(2, 30), time(3)]


def test_fall_back_window_is_priced_on_both_occurrences() -> None:
    start = datetime(2024, 10, 27, 0, 0, tzinfo=UTC)
    t = tariff(
        element(energy("1.00"), start_time=time(2, 30), end_time=time(3, 0)),
        element(energy("0.10")),
    )

    priced = rate_session(t, session(start, minutes(180), 3_000), BERLIN)

    # 1 kWh/h: 30 min at 1.00 in CEST, 30 min at 1.00 in CET, 2 h at 0.10.
    assert priced.total.excl_vat == D("1.20")


def test_spring_forward_nonexistent_wall_time_cuts_at_the_jump() -> None:
    # 2024-03-31 Berlin: 02:00 CET (01:00 UTC) becomes 03:00 CEST; 02:30 does not exist.
    start = datetime(2024, 3, 31, 0, 0, tzinfo=UTC)  # 01:00 CET
    t = tariff(
        element(energy("1.00"), start_time=time(2, 30), end_time=time(4, 0)),
        element(energy("0.10")),
    )
    usage = session(start, minutes(180), 3_000)

    periods = build_periods(usage, t.priced_elements(), BERLIN)
    priced = rate_session(t, usage, BERLIN)

    assert datetime(2024, 3, 31, 1, 0, tzinfo=UTC) in [p.start for p in periods]
    assert datetime(2024, 3, 31, 2, 0, tzinfo=UTC) in [p.start for p in periods]
    # Local 03:00–04:00 CEST (01:00–02:00 UTC) is the only hour inside 02:30–04:00.
    assert priced.total.excl_vat == D("1.20")


def test_reading_going_backwards_is_ignored() -> None:
    good = session(T0, minutes(60), 4_000, [(minutes(20), 2_000), (minutes(40), 3_000)])
    glitch = session(
        T0, minutes(60), 4_000, [(minutes(20), 2_000), (minutes(30), 1_500), (minutes(40), 3_000)]
    )

    assert build_periods(glitch, FLAT_FREE, BERLIN) == build_periods(good, FLAT_FREE, BERLIN)
    assert len(build_periods(glitch, FLAT_FREE, BERLIN)) == 1


def test_reading_above_the_stop_reading_is_capped_at_it() -> None:
    usage = session(T0, minutes(60), 4_000, [(minutes(30), 9_000)])

    periods = build_periods(usage, FLAT_FREE, BERLIN)

    assert [(p.energy_kwh, p.charging_s, p.parking_s) for p in periods] == [
        (D(4), D(1800), D(0)),
        (D(0), D(0), D(1800)),
    ]


def test_readings_outside_the_session_and_without_register_are_ignored() -> None:
    usage = SessionUsage(
        started_at=T0,
        ended_at=T0 + minutes(60),
        meter_start_wh=1_000,
        meter_end_wh=3_000,
        readings=(
            MeterReading(T0 - minutes(5), register_wh=0),
            MeterReading(T0 + minutes(30), power_w=D(7000)),
            MeterReading(T0 + minutes(65), register_wh=9_000),
        ),
    )

    (only,) = build_periods(usage, FLAT_FREE, BERLIN)

    assert (only.energy_kwh, only.charging_s) == (D(2), D(3600))


def test_stop_reading_below_start_reading_means_no_energy() -> None:
    usage = session(T0, minutes(60), -500, meter_start_wh=10_000)

    (only,) = build_periods(usage, FLAT_FREE, BERLIN)

    assert (only.energy_kwh, only.parking_s) == (D(0), D(3600))


def test_zero_length_session_has_no_period_and_is_priced_by_flat_only() -> None:
    t = tariff(element(energy("0.30"), time_fee("1.00")), element(energy("0"), flat("0.50")))
    usage = session(T0, timedelta(0), 0)

    assert build_periods(usage, t.priced_elements(), BERLIN) == []
    priced = rate_session(t, usage, BERLIN)
    assert priced.total.excl_vat == D("0.50")
    assert priced.total_time_s == D(0)


def test_energy_of_a_session_without_duration_is_still_billed() -> None:
    # Stop timestamp equal to (or, with clock trouble, before) the start: 2 kWh were metered.
    t = tariff(element(energy("0.30"), time_fee("1.00")))

    for duration in (timedelta(0), timedelta(seconds=-5)):
        usage = session(T0, duration, 2_000)
        (only,) = build_periods(usage, t.priced_elements(), BERLIN)
        assert (only.start, only.energy_kwh, only.duration_s) == (T0, D(2), D(0))
        assert rate_session(t, usage, BERLIN).total.excl_vat == D("0.60")


def test_period_starts_are_utc_instants_even_for_local_session_times() -> None:
    start = datetime(2024, 3, 31, 1, 30, tzinfo=BERLIN)  # CET, 30 min before the jump
    usage = SessionUsage(start, start.astimezone(UTC) + minutes(60), 0, 1_000)
    elements = (element(energy("0.10"), start_time=time(3, 0)),)

    periods = build_periods(usage, elements, BERLIN)

    assert [p.start for p in periods] == [
        datetime(2024, 3, 31, 0, 30, tzinfo=UTC),
        datetime(2024, 3, 31, 1, 0, tzinfo=UTC),
    ]
    assert sum((p.duration_s for p in periods), Decimal(0)) == D(3600)
