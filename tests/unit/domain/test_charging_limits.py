from datetime import UTC, datetime, timedelta

import pytest

from ampyre.domain.charging_limits import ChargingLimit, LimitedSession, RemoteStartRequest
from ampyre.domain.errors import ValidationFailed

T0 = datetime(2026, 11, 21, 18, 0, tzinfo=UTC)


def session(energy_wh: int | None = None, duration_s: int | None = None) -> LimitedSession:
    return LimitedSession(7, "CP-1", 10_000, T0, ChargingLimit(energy_wh, duration_s))


@pytest.mark.parametrize(
    ("energy", "duration"), [(None, None), (0, None), (-5, None), (None, 0), (None, 8 * 86400)]
)
def test_limits_must_be_positive_and_sensible(energy: int | None, duration: int | None) -> None:
    with pytest.raises(ValidationFailed):
        ChargingLimit(energy, duration)


def test_energy_limit_counts_from_the_meter_start() -> None:
    limited = session(energy_wh=2000)
    assert limited.reached(register_wh=11_999, now=T0) is None
    assert limited.reached(register_wh=12_000, now=T0) == "energy"
    assert limited.reached(register_wh=None, now=T0 + timedelta(days=1)) is None


def test_time_limit_and_whichever_comes_first() -> None:
    limited = session(energy_wh=2000, duration_s=45 * 60)
    assert limited.deadline() == T0 + timedelta(minutes=45)
    assert limited.reached(register_wh=10_500, now=T0 + timedelta(minutes=44)) is None
    assert limited.reached(register_wh=10_500, now=T0 + timedelta(minutes=45)) == "time"
    assert limited.reached(register_wh=12_500, now=T0 + timedelta(minutes=1)) == "energy"


def test_a_remote_start_matches_only_its_own_start_while_valid() -> None:
    request = RemoteStartRequest(
        1, "CP-1", "TAG", None, None, "ops", T0, T0 + timedelta(minutes=10)
    )
    assert request.matches(station_id="CP-1", id_tag="TAG", connector_id=2, at=T0)
    assert not request.matches(station_id="CP-2", id_tag="TAG", connector_id=2, at=T0)
    assert not request.matches(station_id="CP-1", id_tag="OTHER", connector_id=2, at=T0)
    assert not request.matches(
        station_id="CP-1", id_tag="TAG", connector_id=2, at=T0 + timedelta(minutes=11)
    )
    pinned = RemoteStartRequest(2, "CP-1", "TAG", 1, None, "ops", T0, T0 + timedelta(minutes=10))
    assert not pinned.matches(station_id="CP-1", id_tag="TAG", connector_id=2, at=T0)
