from datetime import UTC, datetime
from decimal import Decimal

import orjson
import pytest

from ampyre.ocpp.rpc import (
    Call,
    CallError,
    CallResult,
    ErrorKind,
    FrameError,
    OcppVersion,
    encode_call,
    encode_error,
    encode_result,
    parse_frame,
)

V16 = OcppVersion.V16


def test_parses_the_three_frame_types() -> None:
    assert parse_frame('[2,"a1","Heartbeat",{}]', V16) == Call("a1", "Heartbeat", {})
    assert parse_frame('[3,"a1",{"currentTime":"x"}]', V16) == CallResult(
        "a1", {"currentTime": "x"}
    )
    assert parse_frame('[4,"a1","NotSupported","no",{"k":1}]', V16) == CallError(
        "a1", "NotSupported", "no", {"k": 1}
    )


def test_callerror_without_details_or_with_null_details_reads_as_empty_object() -> None:
    assert parse_frame('[4,"a1","GenericError","x"]', V16) == CallError(
        "a1", "GenericError", "x", {}
    )
    assert parse_frame('[4,"a1","GenericError","x",null]', V16) == CallError(
        "a1", "GenericError", "x", {}
    )


@pytest.mark.parametrize(
    ("text", "kind", "message_id", "message_type"),
    [
        ("not json", ErrorKind.RPC_FRAMEWORK_ERROR, "-1", None),
        ('[2,"a1","Heartbeat",{}', ErrorKind.RPC_FRAMEWORK_ERROR, "-1", None),
        ('{"a":1}', ErrorKind.RPC_FRAMEWORK_ERROR, "-1", None),
        ('"text"', ErrorKind.RPC_FRAMEWORK_ERROR, "-1", None),
        ("[]", ErrorKind.RPC_FRAMEWORK_ERROR, "-1", None),
        ("[2]", ErrorKind.RPC_FRAMEWORK_ERROR, "-1", None),
        ('[2,123,"Heartbeat",{}]', ErrorKind.RPC_FRAMEWORK_ERROR, "-1", 2),
        ('[2,null,"Heartbeat",{}]', ErrorKind.RPC_FRAMEWORK_ERROR, "-1", 2),
        ('[2,"","Heartbeat",{}]', ErrorKind.RPC_FRAMEWORK_ERROR, "-1", 2),
        (f'[2,"{"x" * 37}","Heartbeat",{{}}]', ErrorKind.RPC_FRAMEWORK_ERROR, "-1", 2),
        ("[3,7,{}]", ErrorKind.RPC_FRAMEWORK_ERROR, "-1", 3),
        ('["2","a1","Heartbeat",{}]', ErrorKind.RPC_FRAMEWORK_ERROR, "a1", None),
        ('[2.0,"a1","Heartbeat",{}]', ErrorKind.RPC_FRAMEWORK_ERROR, "a1", None),
        ('[true,"a1","Heartbeat",{}]', ErrorKind.RPC_FRAMEWORK_ERROR, "a1", None),
        ('[5,"a1","Heartbeat",{}]', ErrorKind.MESSAGE_TYPE_NOT_SUPPORTED, "a1", None),
        ('[1,"a1"]', ErrorKind.MESSAGE_TYPE_NOT_SUPPORTED, "a1", None),
        ('[2,"a1","Heartbeat"]', ErrorKind.RPC_FRAMEWORK_ERROR, "a1", 2),
        ('[2,"a1","Heartbeat",{},{}]', ErrorKind.RPC_FRAMEWORK_ERROR, "a1", 2),
        ('[2,"a1",42,{}]', ErrorKind.RPC_FRAMEWORK_ERROR, "a1", 2),
        ('[2,"a1","",{}]', ErrorKind.RPC_FRAMEWORK_ERROR, "a1", 2),
        ('[2,"a1","Heartbeat",[]]', ErrorKind.FORMAT_VIOLATION, "a1", 2),
        ('[2,"a1","Heartbeat",null]', ErrorKind.FORMAT_VIOLATION, "a1", 2),
        ('[3,"a1"]', ErrorKind.RPC_FRAMEWORK_ERROR, "a1", 3),
        ('[3,"a1","ok"]', ErrorKind.FORMAT_VIOLATION, "a1", 3),
        ('[4,"a1","GenericError"]', ErrorKind.RPC_FRAMEWORK_ERROR, "a1", 4),
        ('[4,"a1",1,"x",{}]', ErrorKind.RPC_FRAMEWORK_ERROR, "a1", 4),
        ('[4,"a1","GenericError","x",[]]', ErrorKind.RPC_FRAMEWORK_ERROR, "a1", 4),
    ],
)
def test_invalid_frames_raise_frame_error(
    text: str, kind: ErrorKind, message_id: str, message_type: int | None
) -> None:
    with pytest.raises(FrameError) as raised:
        parse_frame(text, V16)
    assert raised.value.kind is kind
    assert raised.value.message_id == message_id
    assert raised.value.message_type == message_type
    assert raised.value.description


def test_a_36_character_id_is_accepted() -> None:
    message_id = "x" * 36
    assert parse_frame(f'[2,"{message_id}","Heartbeat",{{}}]', V16) == Call(
        message_id, "Heartbeat", {}
    )


def test_deeply_nested_and_huge_inputs_raise_frame_error_not_crash() -> None:
    with pytest.raises(FrameError):
        parse_frame("[" * 100_000, V16)
    with pytest.raises(FrameError):
        parse_frame("[" * 5_000 + "]" * 5_000, V16)
    with pytest.raises(FrameError):
        parse_frame("x" * 2_000_000, V16)


def test_encoders_produce_ocpp_j_arrays() -> None:
    assert orjson.loads(encode_call("7", "Heartbeat", {})) == [2, "7", "Heartbeat", {}]
    assert orjson.loads(encode_result("7", {"a": 1})) == [3, "7", {"a": 1}]
    assert orjson.loads(encode_error("7", "NotSupported")) == [4, "7", "NotSupported", "", {}]
    assert orjson.loads(encode_error("7", "GenericError", "why", {"k": "v"})) == [
        4,
        "7",
        "GenericError",
        "why",
        {"k": "v"},
    ]


def test_decimal_is_encoded_with_its_exact_digits_and_utc_datetimes_with_z() -> None:
    moment = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    text = encode_result("1", {"limit": Decimal("16.10"), "at": moment})
    assert text == '[3,"1",{"limit":16.10,"at":"2026-11-21T10:00:00Z"}]'


def test_values_json_cannot_hold_are_refused() -> None:
    with pytest.raises(TypeError):
        encode_result("1", {"x": Decimal("NaN")})
    with pytest.raises(TypeError):
        encode_result("1", {"x": object()})
