"""Checks that keep one bad telemetry item from failing a whole batch.

Items are checked when they arrive (:func:`check_status`, :func:`check_meter_batch`,
:func:`storable_frame`, :func:`check_connection_event`): one that no database could store
raises ``UnstorableItem`` to its own caller and never joins a batch.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ampyre.domain.errors import ValidationFailed
from ampyre.domain.stations import StatusReport, validate_station_id
from ampyre.services.records import ConnectionEvent, LoggedFrame, MeterBatch

MAX_INT32 = 2**31 - 1
MAX_INT64 = 2**63 - 1
FRAME_DIRECTIONS = frozenset({"in", "out"})
CONNECTION_EVENTS = frozenset({"connected", "disconnected"})
MAX_OCPP_VERSION_LENGTH = 16
"""``stations.ocpp_version`` is a VARCHAR(16)."""


class UnstorableItem(ValueError):
    """An item no database could store: naive time, NUL character, number out of range, or
    a malformed station id."""


def check_status(report: StatusReport) -> None:
    """Raise ``UnstorableItem`` unless every field of ``report`` can be stored."""
    _check_station_id(report.station_id)
    _check_int(report.connector_id, "connector id", 0, MAX_INT32)
    check_time(report.received_at, "received_at")
    check_time(report.station_time, "station_time")
    for text in (
        report.station_id,
        report.status.value,
        report.error_code,
        report.info,
        report.vendor_id,
        report.vendor_error_code,
    ):
        _check_text(text)


def check_meter_batch(batch: MeterBatch) -> None:
    """Raise ``UnstorableItem`` unless every value of ``batch`` can be stored."""
    _check_station_id(batch.station_id)
    _check_int(batch.connector_id, "connector id", 0, MAX_INT32)
    if batch.transaction_id is not None:
        _check_int(batch.transaction_id, "transaction id", 1, MAX_INT32)
    check_time(batch.received_at, "received_at")
    check_time(batch.register_at, "register_at")
    for sample in batch.samples:
        check_time(sample.timestamp, "sample timestamp")
        for value in sample.values:
            for text in (value.value, value.measurand, value.unit, value.phase, value.location):
                _check_text(text)
            _check_text(value.signed_data)


def check_connection_event(event: ConnectionEvent, ocpp_version: str | None) -> None:
    """Raise ``UnstorableItem`` unless ``event`` (and the version a connect sets) can be
    stored."""
    _check_station_id(event.station_id)
    if event.event not in CONNECTION_EVENTS:
        raise UnstorableItem(f"connection event {event.event!r} is not one of {CONNECTION_EVENTS}")
    check_time(event.at, "at")
    _check_text(event.detail)
    _check_text(ocpp_version)
    if ocpp_version is not None and len(ocpp_version) > MAX_OCPP_VERSION_LENGTH:
        raise UnstorableItem(f"OCPP version {ocpp_version!r} is longer than 16 characters")


def storable_frame(frame: LoggedFrame) -> LoggedFrame:
    """``frame`` ready to store; raises ``UnstorableItem`` for a bad station id, direction
    or time. Frame texts are kept verbatim except for characters no database text can hold
    (NUL, unpaired surrogates), which become U+FFFD; such a frame is not valid JSON anyway.
    """
    _check_station_id(frame.station_id)
    if frame.direction not in FRAME_DIRECTIONS:
        raise UnstorableItem(f"frame direction {frame.direction!r} is not 'in' or 'out'")
    check_time(frame.requested_at, "requested_at")
    check_time(frame.answered_at, "answered_at")
    if (
        _is_storable(frame.request)
        and _is_storable(frame.response)
        and _is_storable(frame.message_id)
        and _is_storable(frame.action)
        and _is_storable(frame.error_code)
    ):
        return frame
    return replace(
        frame,
        message_id=_clean(frame.message_id),
        action=_clean(frame.action),
        request=_clean(frame.request),
        response=_clean(frame.response),
        error_code=_clean(frame.error_code),
    )


def check_time(value: datetime | None, what: str) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise UnstorableItem(f"{what} {value!r} is a naive datetime")


def _check_station_id(station_id: str) -> None:
    try:
        validate_station_id(station_id)
    except ValidationFailed as exc:
        raise UnstorableItem(exc.message) from exc


def _check_int(value: int, what: str, low: int, high: int) -> None:
    if not low <= value <= high:
        raise UnstorableItem(f"{what} {value} is outside {low}..{high}")


def _check_text(text: str | None) -> None:
    if not _is_storable(text):
        raise UnstorableItem(f"text {text!r} contains NUL or unpaired surrogate characters")


def _is_storable(text: str | None) -> bool:
    if text is None:
        return True
    if "\x00" in text:
        return False
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    cleaned = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return cleaned.replace("\x00", "\ufffd")
