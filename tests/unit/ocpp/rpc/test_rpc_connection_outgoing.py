"""Outgoing CALLs: one outstanding per direction, FIFO, timeouts, answers and failures."""

import asyncio
from datetime import UTC
from typing import Any

import orjson
import pytest

from ampyre.ocpp.rpc import (
    CallErrorReceived,
    CallTimeout,
    ConnectionLost,
    ErrorKind,
    InvalidResponse,
    OcppError,
    OcppVersion,
    RpcCallFailed,
    RpcConnection,
    Side,
)

V16 = OcppVersion.V16
RESET_HARD = {"type": "Hard"}


async def test_call_returns_the_result_payload_and_logs_the_exchange(start: Any) -> None:
    h = start()
    call = asyncio.create_task(h.rpc.call("Reset", RESET_HARD))
    frame = await h.receive()
    assert frame[0] == 2
    assert frame[2:] == ["Reset", RESET_HARD]
    message_id = frame[1]
    assert isinstance(message_id, str)
    assert 0 < len(message_id) <= 36
    await h.send([3, message_id, {"status": "Accepted"}])
    assert await call == {"status": "Accepted"}
    [entry] = h.log.entries
    assert (entry.direction, entry.message_id, entry.action, entry.error_code) == (
        "out",
        message_id,
        "Reset",
        None,
    )
    assert entry.request is not None
    assert orjson.loads(entry.request) == frame
    assert entry.response == f'[3,"{message_id}",{{"status":"Accepted"}}]'
    assert entry.requested_at.tzinfo is UTC
    assert entry.answered_at is not None


async def test_message_ids_are_unique(start: Any) -> None:
    h = start()
    ids = set()
    for _ in range(50):
        call = asyncio.create_task(h.rpc.call("ClearCache", {}))
        frame = await h.receive()
        ids.add(frame[1])
        await h.send([3, frame[1], {"status": "Accepted"}])
        await call
    assert len(ids) == 50
    other = start()
    call = asyncio.create_task(other.rpc.call("ClearCache", {}))
    frame = await other.receive()
    assert frame[1] not in ids  # ids differ across connections too
    await other.send([3, frame[1], {"status": "Accepted"}])
    await call


async def test_second_call_is_not_sent_until_the_first_is_answered(start: Any) -> None:
    h = start()
    first = asyncio.create_task(h.rpc.call("Reset", RESET_HARD))
    second = asyncio.create_task(h.rpc.call("ClearCache", {}))
    third = asyncio.create_task(h.rpc.call("GetConfiguration", {"key": ["HeartbeatInterval"]}))
    frame_1 = await h.receive()
    await h.settle()
    assert h.nothing_received()
    assert frame_1[2] == "Reset"
    await h.send([3, frame_1[1], {"status": "Accepted"}])
    frame_2 = await h.receive()
    assert frame_2[2] == "ClearCache"
    await h.settle()
    assert h.nothing_received()
    await h.send([4, frame_2[1], "NotSupported", "", {}])
    frame_3 = await h.receive()
    assert frame_3[2] == "GetConfiguration"
    await h.send(
        [
            3,
            frame_3[1],
            {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]},
        ]
    )
    assert await first == {"status": "Accepted"}
    with pytest.raises(CallErrorReceived):
        await second
    assert (await third)["configurationKey"][0]["value"] == "300"


async def test_incoming_calls_are_answered_while_our_call_is_outstanding(start: Any) -> None:
    async def heartbeat(payload: dict[str, Any]) -> dict[str, Any]:
        return {"currentTime": "2026-11-21T10:00:00Z"}

    h = start(handlers={"Heartbeat": heartbeat})
    call = asyncio.create_task(h.rpc.call("Reset", RESET_HARD))
    ours = await h.receive()
    await h.send([2, "theirs", "Heartbeat", {}])
    assert (await h.receive())[:2] == [3, "theirs"]
    await h.send([3, ours[1], {"status": "Accepted"}])
    assert await call == {"status": "Accepted"}


async def test_callerror_answer_raises_call_error_received(start: Any) -> None:
    h = start()
    call = asyncio.create_task(h.rpc.call("Reset", RESET_HARD))
    frame = await h.receive()
    await h.send([4, frame[1], "NotSupported", "no reset here", {"why": "kiosk"}])
    with pytest.raises(CallErrorReceived) as raised:
        await call
    assert (raised.value.code, raised.value.description, raised.value.details) == (
        "NotSupported",
        "no reset here",
        {"why": "kiosk"},
    )
    assert isinstance(raised.value, RpcCallFailed)
    [entry] = h.log.entries
    assert (entry.direction, entry.error_code) == ("out", "NotSupported")


async def test_invalid_result_payload_raises_invalid_response(start: Any) -> None:
    h = start()
    call = asyncio.create_task(h.rpc.call("Reset", RESET_HARD))
    frame = await h.receive()
    await h.send([3, frame[1], {"status": "Maybe"}])
    with pytest.raises(InvalidResponse) as raised:
        await call
    assert raised.value.kind is ErrorKind.PROPERTY_CONSTRAINT_VIOLATION
    assert h.nothing_received()  # an answer is never answered
    assert len(h.log.entries) == 1


async def test_malformed_answer_to_the_pending_call_raises_invalid_response(start: Any) -> None:
    h = start()
    call = asyncio.create_task(h.rpc.call("Reset", RESET_HARD))
    frame = await h.receive()
    await h.send([3, frame[1], ["Accepted"]])
    with pytest.raises(InvalidResponse):
        await call
    await h.settle()
    assert h.nothing_received()


async def test_timeout_frees_the_slot_and_a_late_answer_is_ignored(start: Any) -> None:
    h = start()
    with pytest.raises(CallTimeout) as raised:
        await h.rpc.call("Reset", RESET_HARD, timeout=0.05)
    late_id = (await h.receive())[1]
    assert raised.value.message_id == late_id
    follow_up = asyncio.create_task(h.rpc.call("ClearCache", {}))
    frame = await h.receive()
    assert frame[2] == "ClearCache"
    await h.send([3, late_id, {"status": "Rejected"}])  # late answer to the Reset
    await h.settle()
    assert not follow_up.done()
    await h.send([3, frame[1], {"status": "Accepted"}])
    assert await follow_up == {"status": "Accepted"}
    timed_out, late, answered = h.log.entries
    assert (timed_out.action, timed_out.response, timed_out.answered_at) == ("Reset", None, None)
    assert (late.action, late.message_id, late.request) == (
        None,
        late_id,
        f'[3,"{late_id}",{{"status":"Rejected"}}]',
    )
    assert (answered.action, answered.direction) == ("ClearCache", "out")


async def test_connection_default_timeout_applies(start: Any) -> None:
    h = start(call_timeout=0.02)
    with pytest.raises(CallTimeout):
        await h.rpc.call("ClearCache", {})


async def test_pending_and_queued_calls_fail_with_connection_lost(start: Any) -> None:
    h = start()
    first = asyncio.create_task(h.rpc.call("Reset", RESET_HARD))
    second = asyncio.create_task(h.rpc.call("ClearCache", {}))
    await h.receive()
    await h.peer.close()  # the peer goes away
    await asyncio.wait_for(h.task, 1.0)
    with pytest.raises(ConnectionLost):
        await first
    with pytest.raises(ConnectionLost):
        await second
    assert h.rpc.closed
    with pytest.raises(ConnectionLost):
        await h.rpc.call("ClearCache", {})
    [entry] = h.log.entries
    assert (entry.action, entry.response) == ("Reset", None)


async def test_close_fails_the_pending_call_and_ends_run(start: Any) -> None:
    h = start()
    call = asyncio.create_task(h.rpc.call("Reset", RESET_HARD))
    await h.receive()
    await h.rpc.close(4000, "bye")
    with pytest.raises(ConnectionLost):
        await call
    await asyncio.wait_for(h.task, 1.0)
    assert h.peer.close_code == 4000


async def test_invalid_outgoing_payload_raises_locally_and_sends_nothing(start: Any) -> None:
    h = start()
    with pytest.raises(OcppError) as raised:
        await h.rpc.call("Reset", {"type": "Gentle"})
    assert raised.value.kind is ErrorKind.PROPERTY_CONSTRAINT_VIOLATION
    with pytest.raises(OcppError) as raised:
        await h.rpc.call("BootNotification", {"chargePointVendor": "v", "chargePointModel": "m"})
    assert raised.value.kind is ErrorKind.NOT_SUPPORTED  # a CSMS does not boot
    with pytest.raises(OcppError) as raised:
        await h.rpc.call("Teleport", {})
    assert raised.value.kind is ErrorKind.NOT_IMPLEMENTED
    await h.settle()
    assert h.nothing_received()
    assert h.log.entries == []


async def test_handler_calling_its_own_connection_fails_fast(start: Any) -> None:
    holder: dict[str, RpcConnection] = {}

    async def boot(payload: dict[str, Any]) -> dict[str, Any]:
        await holder["rpc"].call("ClearCache", {})
        return {"status": "Accepted", "currentTime": "2026-11-21T10:00:00Z", "interval": 60}

    h = start(handlers={"BootNotification": boot})
    holder["rpc"] = h.rpc
    await h.send([2, "b1", "BootNotification", {"chargePointVendor": "v", "chargePointModel": "m"}])
    assert (await h.receive())[:3] == [4, "b1", "InternalError"]


async def test_two_connections_talk_to_each_other(
    make_pair: Any, boot_16: dict[str, Any], meter_values_16: dict[str, Any]
) -> None:
    csms_end, station_end = make_pair()
    received: list[str] = []

    async def boot(payload: dict[str, Any]) -> dict[str, Any]:
        received.append(payload["chargePointVendor"])
        return {"status": "Accepted", "currentTime": "2026-11-21T10:00:00Z", "interval": 60}

    async def meter_values(payload: dict[str, Any]) -> dict[str, Any]:
        return {}

    async def reset(payload: dict[str, Any]) -> dict[str, Any]:
        return {"status": "Accepted" if payload["type"] == "Soft" else "Rejected"}

    csms = RpcConnection(
        csms_end,
        version=V16,
        side=Side.CSMS,
        handlers={"BootNotification": boot, "MeterValues": meter_values},
    )
    station = RpcConnection(
        station_end, version=V16, side=Side.CHARGE_POINT, handlers={"Reset": reset}
    )
    tasks = [asyncio.create_task(csms.run()), asyncio.create_task(station.run())]
    answer, reset_answer = await asyncio.gather(
        station.call("BootNotification", boot_16), csms.call("Reset", {"type": "Soft"})
    )
    assert answer["status"] == "Accepted"
    assert reset_answer == {"status": "Accepted"}
    assert await station.call("MeterValues", meter_values_16) == {}
    assert received == ["Alfen BV"]
    await station.close()
    await asyncio.wait_for(asyncio.gather(*tasks), 1.0)
    assert csms.closed
