"""OCPP-J frames: parsing and encoding (OCPP-J 1.6 §4.1-4.2, OCPP 2.0.1 part 4).

`[2, id, action, payload]` CALL, `[3, id, payload]` CALLRESULT,
`[4, id, code, description, details]` CALLERROR. The message id is a string of 1..36 characters.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson

from ampyre.ocpp.rpc.errors import ErrorKind
from ampyre.ocpp.rpc.versions import OcppVersion

CALL = 2
CALLRESULT = 3
CALLERROR = 4

MAX_MESSAGE_ID_LENGTH = 36
UNKNOWN_MESSAGE_ID = "-1"
"""Message id of a CALLERROR when the offending frame's id cannot be read (2.0.1 part 4)."""


@dataclass(slots=True)
class Call:
    message_id: str
    action: str
    payload: dict[str, Any]


@dataclass(slots=True)
class CallResult:
    message_id: str
    payload: dict[str, Any]


@dataclass(slots=True)
class CallError:
    message_id: str
    code: str
    description: str
    details: dict[str, Any]


Frame = Call | CallResult | CallError


class FrameError(Exception):
    """A frame that is not a valid OCPP-J message.

    `message_id` is the id to answer with ("-1" when none can be recovered). `message_type` is
    the frame's MessageTypeId when it was a recognised one (2, 3 or 4), else None; a malformed
    CALLRESULT/CALLERROR must never be answered, so the receiver needs to know.
    """

    def __init__(
        self,
        kind: ErrorKind,
        message_id: str,
        description: str,
        message_type: int | None = None,
    ) -> None:
        super().__init__(description)
        self.kind = kind
        self.message_id = message_id
        self.description = description
        self.message_type = message_type


def _is_message_id(value: object) -> bool:
    return type(value) is str and 0 < len(value) <= MAX_MESSAGE_ID_LENGTH


def _known_type(value: object) -> int | None:
    if type(value) is int and CALL <= value <= CALLERROR:
        return value
    return None


def parse_frame(text: str, version: OcppVersion) -> Frame:
    """Decode one WebSocket text message into a frame, or raise FrameError.

    The checks and kinds are identical for both versions; only the spelling of the resulting
    error code differs (see `errors.error_code`). A received CALLERROR may omit `details` or
    send null: it is read as an empty object, since rejecting it would only hide the peer's error.
    """
    try:
        message = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise FrameError(
            ErrorKind.RPC_FRAMEWORK_ERROR, UNKNOWN_MESSAGE_ID, "Frame is not valid JSON"
        ) from None
    if type(message) is not list:
        raise FrameError(
            ErrorKind.RPC_FRAMEWORK_ERROR, UNKNOWN_MESSAGE_ID, "Frame is not a JSON array"
        )
    length = len(message)
    if length < 2:
        raise FrameError(
            ErrorKind.RPC_FRAMEWORK_ERROR, UNKNOWN_MESSAGE_ID, "Frame has no message id"
        )
    message_type = message[0]
    message_id = message[1]
    if not _is_message_id(message_id):
        raise FrameError(
            ErrorKind.RPC_FRAMEWORK_ERROR,
            UNKNOWN_MESSAGE_ID,
            "Message id must be a string of 1 to 36 characters",
            _known_type(message_type),
        )
    if type(message_type) is not int:
        raise FrameError(
            ErrorKind.RPC_FRAMEWORK_ERROR, message_id, "MessageTypeId is not an integer"
        )
    if message_type == CALL:
        return _call(message, message_id)
    if message_type == CALLRESULT:
        return _call_result(message, message_id)
    if message_type == CALLERROR:
        return _call_error(message, message_id)
    raise FrameError(
        ErrorKind.MESSAGE_TYPE_NOT_SUPPORTED,
        message_id,
        f"MessageTypeId {message_type} is not supported",
    )


def _call(message: list[Any], message_id: str) -> Call:
    if len(message) != 4:
        raise FrameError(
            ErrorKind.RPC_FRAMEWORK_ERROR, message_id, "CALL must have 4 elements", CALL
        )
    action = message[2]
    if type(action) is not str or not action:
        raise FrameError(
            ErrorKind.RPC_FRAMEWORK_ERROR, message_id, "CALL action must be a string", CALL
        )
    payload = message[3]
    if type(payload) is not dict:
        raise FrameError(
            ErrorKind.FORMAT_VIOLATION, message_id, "CALL payload must be a JSON object", CALL
        )
    return Call(message_id, action, payload)


def _call_result(message: list[Any], message_id: str) -> CallResult:
    if len(message) != 3:
        raise FrameError(
            ErrorKind.RPC_FRAMEWORK_ERROR,
            message_id,
            "CALLRESULT must have 3 elements",
            CALLRESULT,
        )
    payload = message[2]
    if type(payload) is not dict:
        raise FrameError(
            ErrorKind.FORMAT_VIOLATION,
            message_id,
            "CALLRESULT payload must be a JSON object",
            CALLRESULT,
        )
    return CallResult(message_id, payload)


def _call_error(message: list[Any], message_id: str) -> CallError:
    length = len(message)
    if length not in (4, 5):
        raise FrameError(
            ErrorKind.RPC_FRAMEWORK_ERROR, message_id, "CALLERROR must have 5 elements", CALLERROR
        )
    code = message[2]
    description = message[3]
    details = message[4] if length == 5 else None
    if type(code) is not str or type(description) is not str:
        raise FrameError(
            ErrorKind.RPC_FRAMEWORK_ERROR,
            message_id,
            "CALLERROR code and description must be strings",
            CALLERROR,
        )
    if details is None:
        details = {}
    elif type(details) is not dict:
        raise FrameError(
            ErrorKind.RPC_FRAMEWORK_ERROR,
            message_id,
            "CALLERROR details must be a JSON object",
            CALLERROR,
        )
    return CallError(message_id, code, description, details)


def _encode_extra(value: object) -> orjson.Fragment:
    """Encode a Decimal as its exact decimal text (money and limits must not pass via float)."""
    if isinstance(value, Decimal) and value.is_finite():
        return orjson.Fragment(str(value))
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_OPTIONS = orjson.OPT_UTC_Z


def _dumps(frame: list[Any]) -> str:
    return orjson.dumps(frame, default=_encode_extra, option=_OPTIONS).decode()


def encode_call(message_id: str, action: str, payload: dict[str, Any]) -> str:
    """`[2, id, action, payload]`; payload values are JSON-native, Decimal or aware datetime."""
    return _dumps([CALL, message_id, action, payload])


def encode_result(message_id: str, payload: dict[str, Any]) -> str:
    """`[3, id, payload]`."""
    return _dumps([CALLRESULT, message_id, payload])


def encode_error(
    message_id: str, code: str, description: str = "", details: dict[str, Any] | None = None
) -> str:
    """`[4, id, code, description, details]`; details default to `{}` as the spec requires."""
    return _dumps([CALLERROR, message_id, code, description, details if details else {}])
