from datetime import UTC, datetime, timedelta

import pytest

from ampyre.domain.errors import ValidationFailed
from ampyre.domain.transactions import (
    StartRequest,
    StopReason,
    Transaction,
    TransactionFlag,
    is_offline_start,
)

T0 = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def make_transaction(**changes: object) -> Transaction:
    values: dict[str, object] = {
        "id": 7,
        "station_id": "CP-1",
        "connector_id": 1,
        "id_tag": "TAG1",
        "meter_start_wh": 1000,
        "started_at": T0,
        "start_received_at": T0,
        "start_key": "k",
    }
    values.update(changes)
    return Transaction(**values)  # type: ignore[arg-type]


def test_start_key_is_stable_and_distinguishes_starts() -> None:
    request = StartRequest("CP-1", 1, "TAG1", 1000, T0, T0)
    again = StartRequest("CP-1", 1, "TAG1", 1000, T0, T0 + timedelta(minutes=30))
    other = StartRequest("CP-1", 1, "TAG1", 1001, T0, T0)
    assert request.start_key == again.start_key
    assert request.start_key != other.start_key
    assert len(request.start_key) <= 40


def test_start_request_rejects_connector_zero_and_negative_meter() -> None:
    with pytest.raises(ValidationFailed):
        StartRequest("CP-1", 0, "TAG1", 0, T0, T0)
    with pytest.raises(ValidationFailed):
        StartRequest("CP-1", 1, "TAG1", -1, T0, T0)


def test_stop_is_idempotent() -> None:
    tx = make_transaction()
    assert tx.stop(meter_stop_wh=5000, at=T0, received_at=T0, reason=StopReason.LOCAL)
    assert not tx.stop(meter_stop_wh=9000, at=T0, received_at=T0, reason=StopReason.REMOTE)
    assert tx.meter_stop_wh == 5000
    assert tx.stop_reason is StopReason.LOCAL
    assert tx.energy_wh == 4000


def test_register_going_backwards_is_flagged_not_used() -> None:
    tx = make_transaction()
    tx.note_reading(3000, T0)
    tx.note_reading(2500, T0 + timedelta(minutes=1))
    assert tx.last_meter_wh == 3000
    assert TransactionFlag.REGISTER_WENT_BACKWARDS in tx.flags


def test_stop_below_start_is_flagged_and_energy_never_negative() -> None:
    tx = make_transaction()
    tx.stop(meter_stop_wh=900, at=T0, received_at=T0, reason=StopReason.LOCAL)
    assert TransactionFlag.REGISTER_WENT_BACKWARDS in tx.flags
    assert tx.energy_wh == 0


def test_close_as_stuck_uses_last_reading_and_flags() -> None:
    tx = make_transaction()
    tx.note_reading(4200, T0 + timedelta(minutes=20))
    assert tx.close_as_stuck(at=T0 + timedelta(hours=2), reason=StopReason.REBOOT)
    assert tx.meter_stop_wh == 4200
    assert tx.stopped_at == T0 + timedelta(minutes=20)
    assert TransactionFlag.CLOSED_BY_CSMS in tx.flags
    assert not tx.close_as_stuck(at=T0, reason=StopReason.REBOOT)


def test_offline_start_threshold() -> None:
    assert not is_offline_start(T0, T0 + timedelta(seconds=299))
    assert is_offline_start(T0, T0 + timedelta(seconds=301))
