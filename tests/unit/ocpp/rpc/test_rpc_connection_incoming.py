"""Incoming CALLs and garbage: what the connection answers and logs (OCPP-J 1.6 §4.2.3)."""

import asyncio
import logging
from datetime import UTC
from typing import Any

import orjson
import pytest

from ampyre.ocpp.rpc import ErrorKind, OcppError, OcppVersion, Side

V16 = OcppVersion.V16
V201 = OcppVersion.V201
NOW = "2026-11-21T10:00:00Z"


async def heartbeat(payload: dict[str, Any]) -> dict[str, Any]:
    return {"currentTime": NOW}


async def boot(payload: dict[str, Any]) -> dict[str, Any]:
    return {"status": "Accepted", "currentTime": NOW, "interval": 300}


async def meter_values(payload: dict[str, Any]) -> dict[str, Any]:
    return {}


CSMS_16 = {"Heartbeat": heartbeat, "BootNotification": boot, "MeterValues": meter_values}


async def test_valid_calls_are_answered_with_the_handler_result(
    start: Any, boot_16: dict[str, Any], meter_values_16: dict[str, Any]
) -> None:
    seen: list[dict[str, Any]] = []

    async def recording_meter_values(payload: dict[str, Any]) -> dict[str, Any]:
        seen.append(payload)
        return {}

    h = start(handlers=CSMS_16 | {"MeterValues": recording_meter_values})
    await h.send([2, "b-1", "BootNotification", boot_16])
    assert await h.receive() == [
        3,
        "b-1",
        {"status": "Accepted", "currentTime": NOW, "interval": 300},
    ]
    await h.send([2, "m-1", "MeterValues", meter_values_16])
    assert await h.receive() == [3, "m-1", {}]
    assert seen == [meter_values_16]


async def test_2_0_1_boot_and_meter_values_pass(
    start: Any, boot_201: dict[str, Any], meter_values_201: dict[str, Any]
) -> None:
    async def boot_201_handler(payload: dict[str, Any]) -> dict[str, Any]:
        return {"status": "Accepted", "currentTime": NOW, "interval": 300}

    h = start(
        version=V201, handlers={"BootNotification": boot_201_handler, "MeterValues": meter_values}
    )
    await h.send([2, "1", "BootNotification", boot_201])
    assert (await h.receive())[0] == 3
    await h.send([2, "2", "MeterValues", meter_values_201])
    assert await h.receive() == [3, "2", {}]


async def test_calls_are_handled_one_at_a_time_in_arrival_order(start: Any) -> None:
    events: list[str] = []

    async def slow_heartbeat(payload: dict[str, Any]) -> dict[str, Any]:
        events.append("start")
        await asyncio.sleep(0.01)
        events.append("end")
        return {"currentTime": NOW}

    h = start(handlers={"Heartbeat": slow_heartbeat})
    for number in range(3):
        await h.send([2, f"h{number}", "Heartbeat", {}])
    answers = [(await h.receive())[1] for _ in range(3)]
    assert answers == ["h0", "h1", "h2"]
    assert events == ["start", "end"] * 3


async def test_unknown_action_is_not_implemented(start: Any) -> None:
    h = start(handlers=CSMS_16)
    await h.send([2, "u1", "FlyToTheMoon", {}])
    assert await h.receive() == [4, "u1", "NotImplemented", "Unknown action 'FlyToTheMoon'", {}]
    # a 2.0.1-only action is unknown in 1.6
    await h.send([2, "u2", "TransactionEvent", {}])
    assert (await h.receive())[2] == "NotImplemented"


async def test_known_action_without_handler_is_not_supported(start: Any) -> None:
    h = start(handlers=CSMS_16)
    await h.send([2, "s1", "StatusNotification", {}])
    assert await h.receive() == [4, "s1", "NotSupported", "StatusNotification is not supported", {}]


async def test_action_sent_in_the_wrong_direction_is_not_supported(start: Any) -> None:
    async def reset(payload: dict[str, Any]) -> dict[str, Any]:
        return {"status": "Accepted"}

    # a CSMS never accepts Reset, even with a handler registered
    h = start(handlers=CSMS_16 | {"Reset": reset})
    await h.send([2, "r1", "Reset", {"type": "Hard"}])
    assert (await h.receive())[2] == "NotSupported"
    # the charge point side does
    cp = start(side=Side.CHARGE_POINT, handlers={"Reset": reset})
    await cp.send([2, "r2", "Reset", {"type": "Hard"}])
    assert await cp.receive() == [3, "r2", {"status": "Accepted"}]


@pytest.mark.parametrize(
    ("version", "code"),
    [(V16, "OccurenceConstraintViolation"), (V201, "OccurrenceConstraintViolation")],
)
async def test_missing_required_field_spelling_per_version(
    start: Any, version: OcppVersion, code: str
) -> None:
    h = start(version=version, handlers={"Heartbeat": heartbeat, "MeterValues": meter_values})
    payload = {"connectorId": 1} if version is V16 else {"evseId": 1}
    await h.send([2, "x1", "MeterValues", payload])
    assert await h.receive() == [4, "x1", code, "meterValue: required but missing", {}]


async def test_wrong_type_is_type_constraint_violation(
    start: Any, meter_values_16: dict[str, Any]
) -> None:
    h = start(handlers=CSMS_16)
    meter_values_16["transactionId"] = "1742"
    await h.send([2, "t1", "MeterValues", meter_values_16])
    assert await h.receive() == [
        4,
        "t1",
        "TypeConstraintViolation",
        "transactionId: expected integer",
        {},
    ]


async def test_bad_enum_is_property_constraint_violation(
    start: Any, meter_values_16: dict[str, Any]
) -> None:
    h = start(handlers=CSMS_16)
    meter_values_16["meterValue"][0]["sampledValue"][4]["phase"] = "L4"
    await h.send([2, "e1", "MeterValues", meter_values_16])
    answer = await h.receive()
    assert answer[:3] == [4, "e1", "PropertyConstraintViolation"]
    assert answer[3] == "meterValue[0].sampledValue[4].phase: not one of the allowed values"


async def test_payload_that_is_not_an_object_is_a_formation_violation_in_1_6(start: Any) -> None:
    h = start(handlers=CSMS_16)
    await h.send('[2,"f1","Heartbeat",[]]')
    assert (await h.receive())[:3] == [4, "f1", "FormationViolation"]


async def test_validation_can_be_switched_off(start: Any) -> None:
    h = start(handlers=CSMS_16, validate=False)
    await h.send([2, "v1", "MeterValues", {"connectorId": "one"}])
    assert await h.receive() == [3, "v1", {}]


async def test_handler_ocpp_error_becomes_that_callerror(start: Any) -> None:
    async def refusing(payload: dict[str, Any]) -> dict[str, Any]:
        raise OcppError(ErrorKind.SECURITY_ERROR, "not yet accepted", {"retryAfter": 30})

    h = start(handlers={"Heartbeat": refusing})
    await h.send([2, "o1", "Heartbeat", {}])
    assert await h.receive() == [4, "o1", "SecurityError", "not yet accepted", {"retryAfter": 30}]


async def test_crashing_handler_answers_internal_error_without_leaking(
    start: Any, caplog: pytest.LogCaptureFixture
) -> None:
    async def crashing(payload: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("password=hunter2 in db url")

    h = start(handlers={"Heartbeat": crashing})
    with caplog.at_level(logging.ERROR):
        await h.send([2, "c1", "Heartbeat", {}])
        answer = await h.receive()
    assert answer == [4, "c1", "InternalError", "Internal error handling Heartbeat", {}]
    assert "hunter2" not in orjson.dumps(answer).decode()
    assert any(record.exc_info for record in caplog.records)
    # the connection keeps serving
    await h.send([2, "c2", "Heartbeat", {}])
    assert (await h.receive())[:2] == [4, "c2"]


@pytest.mark.parametrize(
    "bad_response",
    [{"currentTime": "yesterday"}, {}, {"currentTime": NOW, "extra": 1}, None, [NOW]],
)
async def test_invalid_handler_response_answers_internal_error_and_is_logged(
    start: Any, caplog: pytest.LogCaptureFixture, bad_response: Any
) -> None:
    async def broken(payload: dict[str, Any]) -> Any:
        return bad_response

    h = start(handlers={"Heartbeat": broken})
    with caplog.at_level(logging.ERROR):
        await h.send([2, "i1", "Heartbeat", {}])
        assert (await h.receive())[:3] == [4, "i1", "InternalError"]
    assert any("invalid response" in r.getMessage() and r.exc_info for r in caplog.records)


async def test_garbage_is_answered_with_minus_one_and_never_stops_the_loop(start: Any) -> None:
    h = start(handlers=CSMS_16)
    garbage = [
        "",
        "}{",
        "null",
        "[]",
        '{"a":1}',
        "[" * 200_000,
        "x" * 1_000_000,
        '[2,123,"Heartbeat",{}]',
        f'[2,"{"a" * 37}","Heartbeat",{{}}]',
    ]
    for text in garbage:
        await h.send(text)
        answer = await h.receive()
        assert answer[:3] == [4, "-1", "FormationViolation"], text[:40]
    await h.send([2, "alive", "Heartbeat", {}])
    assert await h.receive() == [3, "alive", {"currentTime": NOW}]
    assert not h.task.done()


async def test_2_0_1_framework_errors(start: Any) -> None:
    h = start(version=V201, handlers={"Heartbeat": heartbeat})
    await h.send("not json")
    assert (await h.receive())[:3] == [4, "-1", "RpcFrameworkError"]
    await h.send([2, 123, "Heartbeat", {}])
    assert (await h.receive())[:3] == [4, "-1", "RpcFrameworkError"]
    await h.send([7, "m7", "Heartbeat", {}])
    assert (await h.receive())[:3] == [4, "m7", "MessageTypeNotSupported"]
    await h.send([2, "f1", "Heartbeat", "payload"])
    assert (await h.receive())[:3] == [4, "f1", "FormatViolation"]


async def test_unknown_message_type_in_1_6_is_a_protocol_error(start: Any) -> None:
    h = start(handlers=CSMS_16)
    await h.send([5, "m5", {}])
    assert (await h.receive())[:3] == [4, "m5", "ProtocolError"]


async def test_answers_are_never_answered(start: Any) -> None:
    h = start(handlers=CSMS_16)
    await h.send([3, "nobody-asked", {}])
    await h.send([4, "nobody-asked", "GenericError", "", {}])
    await h.send([3, 17, {}])
    await h.send('[4,"x",1,2,3]')
    await h.send([3, "x", "not an object"])
    await h.settle()
    assert h.nothing_received()
    assert len(h.log.entries) == 5
    assert all(e.action is None and e.response is None for e in h.log.entries)


async def test_exchange_log_records_incoming_calls_and_garbage(start: Any) -> None:
    h = start(handlers=CSMS_16)
    await h.send('[2,"in-1","Heartbeat",{}]')
    ok = await h.receive()
    await h.send([2, "in-2", "Authorize", {"idTag": "04A2B3C4"}])
    await h.receive()
    await h.send("garbage")
    await h.receive()
    assert len(h.log.entries) == 3
    first, second, third = h.log.entries
    assert (first.direction, first.message_id, first.action, first.error_code) == (
        "in",
        "in-1",
        "Heartbeat",
        None,
    )
    assert first.request == '[2,"in-1","Heartbeat",{}]'
    assert first.response is not None
    assert orjson.loads(first.response) == ok
    assert first.requested_at.tzinfo is UTC
    assert first.answered_at is not None
    assert first.answered_at >= first.requested_at
    assert (second.action, second.error_code) == ("Authorize", "NotSupported")
    assert (third.action, third.message_id, third.request, third.error_code) == (
        None,
        "-1",
        "garbage",
        "FormationViolation",
    )


async def test_on_frame_runs_for_every_received_frame(start: Any) -> None:
    h = start(handlers=CSMS_16)
    await h.send([2, "1", "Heartbeat", {}])
    await h.send("garbage")
    await h.send([3, "unknown", {}])
    await h.settle()
    assert len(h.frames_seen) == 3


async def test_a_failing_exchange_log_does_not_break_the_connection(start: Any) -> None:
    h = start(handlers=CSMS_16)

    def exploding(entry: Any) -> None:
        raise OSError("disk full")

    h.log.record = exploding
    await h.send([2, "1", "Heartbeat", {}])
    assert (await h.receive())[0] == 3
    await h.send([2, "2", "Heartbeat", {}])
    assert (await h.receive())[0] == 3
