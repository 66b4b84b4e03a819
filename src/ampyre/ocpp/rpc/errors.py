"""CALLERROR codes and the exceptions of the RPC layer.

Error codes are spelt per version (OCPP-J 1.6 §4.2.3, OCPP 2.0.1 part 4 CALLERROR): 1.6 has the
misspellings "FormationViolation" and "OccurenceConstraintViolation", 2.0.1 corrects them and
adds "MessageTypeNotSupported" and "RpcFrameworkError".
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from ampyre.ocpp.rpc.versions import OcppVersion


class ErrorKind(Enum):
    """A CALLERROR reason independent of its version-specific spelling."""

    NOT_IMPLEMENTED = "NotImplemented"
    NOT_SUPPORTED = "NotSupported"
    INTERNAL_ERROR = "InternalError"
    PROTOCOL_ERROR = "ProtocolError"
    SECURITY_ERROR = "SecurityError"
    FORMAT_VIOLATION = "FormatViolation"
    PROPERTY_CONSTRAINT_VIOLATION = "PropertyConstraintViolation"
    OCCURRENCE_CONSTRAINT_VIOLATION = "OccurrenceConstraintViolation"
    TYPE_CONSTRAINT_VIOLATION = "TypeConstraintViolation"
    GENERIC_ERROR = "GenericError"
    MESSAGE_TYPE_NOT_SUPPORTED = "MessageTypeNotSupported"
    RPC_FRAMEWORK_ERROR = "RpcFrameworkError"


# OCPP 1.6 has no codes for the two framework errors 2.0.1 introduced:
# - RPC_FRAMEWORK_ERROR (the frame is not a readable RPC message: bad JSON, not an array, no usable
#   message id) -> "FormationViolation", which 1.6 defines as "syntactically incorrect or not
#   conform the PDU structure", the closest description of a malformed frame.
# - MESSAGE_TYPE_NOT_SUPPORTED (a well-formed array with an unknown MessageTypeId) ->
#   "ProtocolError": the syntax is fine but the exchange is not one the protocol defines.
_V16_CODES: dict[ErrorKind, str] = {kind: kind.value for kind in ErrorKind} | {
    ErrorKind.FORMAT_VIOLATION: "FormationViolation",
    ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION: "OccurenceConstraintViolation",
    ErrorKind.RPC_FRAMEWORK_ERROR: "FormationViolation",
    ErrorKind.MESSAGE_TYPE_NOT_SUPPORTED: "ProtocolError",
}
_V201_CODES: dict[ErrorKind, str] = {kind: kind.value for kind in ErrorKind}
_CODES: dict[OcppVersion, dict[ErrorKind, str]] = {
    OcppVersion.V16: _V16_CODES,
    OcppVersion.V201: _V201_CODES,
}


def error_code(kind: ErrorKind, version: OcppVersion) -> str:
    """The exact CALLERROR ErrorCode string for `kind` in `version`."""
    return _CODES[version][kind]


class OcppError(Exception):
    """Raised by handlers (and validation) to answer a CALLERROR of `kind`.

    `description` goes on the wire, so it must be short and never contain internals;
    `details` must be a JSON object (a dict of JSON-native values).
    """

    def __init__(
        self, kind: ErrorKind, description: str = "", details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{kind.value}: {description}" if description else kind.value)
        self.kind = kind
        self.description = description
        self.details: dict[str, Any] = details if details is not None else {}


class RpcCallFailed(Exception):
    """An outgoing CALL did not produce a valid CALLRESULT."""


class CallErrorReceived(RpcCallFailed):
    """The peer answered the CALL with a CALLERROR; `code` is spelt as received."""

    def __init__(self, code: str, description: str, details: dict[str, Any]) -> None:
        super().__init__(f"{code}: {description}" if description else code)
        self.code = code
        self.description = description
        self.details = details


class InvalidResponse(RpcCallFailed):
    """The peer's answer could not be used.

    Raised when the CALLRESULT payload violates the action's Response schema (`kind` is the
    violation, as it would be answered for a request) or when the answer frame matching the
    pending message id is malformed. The peer is not told: OCPP-J forbids answering a
    CALLRESULT/CALLERROR, so only the caller learns about it.
    """

    def __init__(self, kind: ErrorKind, description: str) -> None:
        super().__init__(f"{kind.value}: {description}")
        self.kind = kind
        self.description = description


class CallTimeout(RpcCallFailed):
    """No answer arrived within the call timeout; a late answer is ignored."""

    def __init__(self, action: str, message_id: str, timeout: float) -> None:
        super().__init__(f"{action} (message id {message_id}) unanswered after {timeout:g} s")
        self.action = action
        self.message_id = message_id
        self.timeout = timeout


class ConnectionLost(RpcCallFailed):
    """The call could not complete because the connection is (or became) closed."""
