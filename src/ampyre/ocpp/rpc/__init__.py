"""OCPP-J RPC layer: frames, CALLERROR codes, schema validation and the RpcConnection.

Transport-agnostic and symmetric: used by the CSMS gateway and the charge point simulator.
"""

from ampyre.ocpp.rpc.actions import (
    Side,
    actions_from_charge_point,
    actions_from_csms,
    actions_received_by,
    actions_sent_by,
    all_actions,
)
from ampyre.ocpp.rpc.connection import Handler, RpcConnection
from ampyre.ocpp.rpc.errors import (
    CallErrorReceived,
    CallTimeout,
    ConnectionLost,
    ErrorKind,
    InvalidResponse,
    OcppError,
    RpcCallFailed,
    error_code,
)
from ampyre.ocpp.rpc.exchange_log import Direction, ExchangeLog, LoggedExchange
from ampyre.ocpp.rpc.frames import (
    Call,
    CallError,
    CallResult,
    Frame,
    FrameError,
    encode_call,
    encode_error,
    encode_result,
    parse_frame,
)
from ampyre.ocpp.rpc.schemas import SchemaRegistry, registry_for
from ampyre.ocpp.rpc.transport import Transport, TransportClosed, WebsocketsTransport
from ampyre.ocpp.rpc.versions import OcppVersion, choose_subprotocol

__all__ = [
    "Call",
    "CallError",
    "CallErrorReceived",
    "CallResult",
    "CallTimeout",
    "ConnectionLost",
    "Direction",
    "ErrorKind",
    "ExchangeLog",
    "Frame",
    "FrameError",
    "Handler",
    "InvalidResponse",
    "LoggedExchange",
    "OcppError",
    "OcppVersion",
    "RpcCallFailed",
    "RpcConnection",
    "SchemaRegistry",
    "Side",
    "Transport",
    "TransportClosed",
    "WebsocketsTransport",
    "actions_from_charge_point",
    "actions_from_csms",
    "actions_received_by",
    "actions_sent_by",
    "all_actions",
    "choose_subprotocol",
    "encode_call",
    "encode_error",
    "encode_result",
    "error_code",
    "parse_frame",
    "registry_for",
]
