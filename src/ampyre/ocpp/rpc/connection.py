"""One OCPP-J connection: answers the peer's CALLs and correlates our CALLs with their answers.

Symmetric: the CSMS gateway and the charge point simulator both use it (OCPP-J 1.6 §4,
OCPP 2.0.1 part 4 "RPC framework").

Incoming CALLs are handled inline in the read loop, strictly one at a time and in arrival order.
A handler therefore must not await `call()` on its own connection (the answer could never be
read): `call()` detects this and raises RuntimeError. A handler that needs to call the peer
schedules that in a task, which then runs after the handler's answer has been sent.

Outgoing CALLs: at most one is outstanding per connection (1.6 §4.1.1 "Synchronicity"); further
`call()`s wait in FIFO order. The timeout runs from the moment the CALL is sent; when it expires
the slot is freed and a late answer is logged and ignored.

Answers (CALLRESULT/CALLERROR) are never answered, even when malformed. A CALLRESULT whose
payload violates the Response schema, or a malformed answer carrying the pending id, fails the
call with InvalidResponse; an answer with an unknown id is logged and ignored.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ampyre.ocpp.rpc.actions import Side, actions_received_by, actions_sent_by, all_actions
from ampyre.ocpp.rpc.errors import (
    CallErrorReceived,
    CallTimeout,
    ConnectionLost,
    ErrorKind,
    InvalidResponse,
    OcppError,
    error_code,
)
from ampyre.ocpp.rpc.exchange_log import Direction, ExchangeLog, LoggedExchange
from ampyre.ocpp.rpc.frames import (
    CALL,
    Call,
    CallError,
    CallResult,
    FrameError,
    encode_call,
    encode_error,
    encode_result,
    parse_frame,
)
from ampyre.ocpp.rpc.schemas import registry_for
from ampyre.ocpp.rpc.transport import Transport, TransportClosed
from ampyre.ocpp.rpc.versions import OcppVersion

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
"""Answers a CALL payload with the CALLRESULT payload; raises OcppError to answer a CALLERROR."""

_MAX_ACTION_IN_DESCRIPTION = 40


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _short(text: str) -> str:
    return text if len(text) <= _MAX_ACTION_IN_DESCRIPTION else text[:37] + "..."


@dataclass(slots=True)
class _PendingCall:
    message_id: str
    action: str
    request: str
    requested_at: datetime | None
    future: asyncio.Future[dict[str, Any]]
    logged: bool = False


@functools.cache
def _known_actions(version: OcppVersion) -> frozenset[str]:
    """One shared set per version (a set per connection costs ~1 KiB each)."""
    return all_actions(version)


class RpcConnection:
    """The RPC endpoint of one connection; see the module docstring for the rules."""

    __slots__ = (
        "_call_lock",
        "_call_timeout",
        "_close_requested",
        "_closed",
        "_handlers",
        "_id_prefix",
        "_ids",
        "_known",
        "_last_timed_out",
        "_log",
        "_on_frame",
        "_pending",
        "_reader",
        "_receivable",
        "_registry",
        "_sendable",
        "_transport",
        "_validate",
        "side",
        "version",
    )

    def __init__(
        self,
        transport: Transport,
        *,
        version: OcppVersion,
        side: Side,
        handlers: Mapping[str, Handler],
        call_timeout: float = 30.0,
        exchange_log: ExchangeLog | None = None,
        validate: bool = True,
        on_frame: Callable[[], object] | None = None,
    ) -> None:
        """`call_timeout` is in seconds; `on_frame` runs for every received frame (last seen)."""
        self.version = version
        self.side = side
        self._transport = transport
        self._handlers = handlers
        self._call_timeout = call_timeout
        self._log = exchange_log
        self._validate = validate
        self._on_frame = on_frame
        self._registry = registry_for(version)
        self._known = _known_actions(version)
        self._receivable = actions_received_by(side, version)
        self._sendable = actions_sent_by(side, version)
        self._call_lock = asyncio.Lock()
        self._pending: _PendingCall | None = None
        self._id_prefix = secrets.token_hex(4)
        self._ids = itertools.count(1)
        self._reader: asyncio.Task[None] | None = None
        self._closed = False
        self._close_requested = False
        self._last_timed_out: str | None = None

    @property
    def closed(self) -> bool:
        return self._closed

    async def run(self) -> None:
        """Read and dispatch frames until the transport closes, then fail the pending call.

        Never raises because of what the peer sends.
        """
        self._reader = asyncio.current_task()
        receive = self._transport.receive_text
        try:
            while True:
                try:
                    text = await receive()
                except TransportClosed:
                    break
                if self._on_frame is not None:
                    self._notify_frame(self._on_frame)
                try:
                    await self._dispatch(text)
                except TransportClosed:
                    break
                except Exception:
                    logger.exception("Unexpected failure dispatching a frame; frame dropped")
        finally:
            self._closed = True
            self._fail_pending()

    async def call(
        self,
        action: str,
        payload: dict[str, Any],
        *,
        timeout: float | None = None,  # noqa: ASYNC109  # a per-call deadline is the RPC contract
    ) -> dict[str, Any]:
        """Send a CALL and return the CALLRESULT payload.

        Raises OcppError locally (nothing sent) when validation is on and the action is unknown,
        not one this side may send, or the payload is invalid. Raises CallErrorReceived,
        InvalidResponse, CallTimeout or ConnectionLost (all RpcCallFailed) otherwise.
        `timeout` (seconds) overrides the connection's call timeout.
        """
        if self._closed:
            raise ConnectionLost("connection is closed")
        if self._reader is not None and asyncio.current_task() is self._reader:
            raise RuntimeError("a handler must not await call() on its own connection")
        if self._validate:
            self._check_outgoing(action, payload)
        limit = self._call_timeout if timeout is None else timeout
        async with self._call_lock:
            if self._closed:
                raise ConnectionLost("connection is closed")
            message_id = f"{self._id_prefix}-{next(self._ids)}"
            request = encode_call(message_id, action, payload)
            future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
            pending = _PendingCall(
                message_id, action, request, _utcnow() if self._log is not None else None, future
            )
            self._pending = pending
            try:
                async with asyncio.timeout(limit):
                    await self._transport.send_text(request)
                    return await future
            except TimeoutError:
                if future.done() and not future.cancelled():
                    return future.result()  # the answer arrived just as the deadline passed
                self._last_timed_out = message_id
                raise CallTimeout(action, message_id, limit) from None
            except TransportClosed:
                raise ConnectionLost("connection closed while sending") from None
            finally:
                self._pending = None
                self._settle_abandoned(pending)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the transport and fail the pending call with ConnectionLost (idempotent)."""
        self._closed = True
        self._fail_pending()
        if not self._close_requested:
            self._close_requested = True
            await self._transport.close(code, reason)

    # -- incoming frames -------------------------------------------------------------------

    @staticmethod
    def _notify_frame(callback: Callable[[], object]) -> None:
        try:
            callback()
        except Exception:
            logger.exception("on_frame callback failed")

    async def _dispatch(self, text: str) -> None:
        try:
            frame = parse_frame(text, self.version)
        except FrameError as error:
            await self._on_bad_frame(text, error)
            return
        if type(frame) is Call:
            await self._on_call(frame, text)
        elif type(frame) is CallResult:
            self._on_result(frame, text)
        elif type(frame) is CallError:
            self._on_error(frame, text)

    async def _on_call(self, call: Call, text: str) -> None:
        requested_at = _utcnow() if self._log is not None else None
        code: str | None = None
        try:
            answer = await self._answer(call)
        except OcppError as error:
            code = error_code(error.kind, self.version)
            answer = self._encode_error(call.message_id, code, error)
        await self._transport.send_text(answer)
        if requested_at is not None:
            self._record("in", call.message_id, call.action, text, answer, requested_at, code)

    async def _answer(self, call: Call) -> str:
        action = call.action
        if action not in self._known:
            raise OcppError(ErrorKind.NOT_IMPLEMENTED, f"Unknown action '{_short(action)}'")
        handler = self._handlers.get(action)
        if handler is None or action not in self._receivable:
            raise OcppError(ErrorKind.NOT_SUPPORTED, f"{action} is not supported")
        if self._validate:
            self._registry.validate_request(action, call.payload)
        try:
            response = await handler(call.payload)
        except OcppError:
            raise
        except Exception:
            logger.exception("Handler for %s failed (message id %s)", action, call.message_id)
            raise OcppError(ErrorKind.INTERNAL_ERROR, f"Internal error handling {action}") from None
        try:
            if not isinstance(response, dict):
                raise TypeError(f"handler returned {type(response).__name__}, not a dict")
            if self._validate:
                self._registry.validate_response(action, response)
            return encode_result(call.message_id, response)
        except (OcppError, TypeError):
            logger.exception("Handler for %s produced an invalid response", action)
            raise OcppError(ErrorKind.INTERNAL_ERROR, f"Internal error handling {action}") from None

    def _encode_error(self, message_id: str, code: str, error: OcppError) -> str:
        try:
            return encode_error(message_id, code, error.description, error.details)
        except TypeError:
            logger.exception("OcppError details are not JSON; sending the error without them")
            return encode_error(message_id, code, error.description)

    async def _on_bad_frame(self, text: str, error: FrameError) -> None:
        if error.message_type is not None and error.message_type != CALL:
            # An answer frame (CALLRESULT/CALLERROR) is never answered, even when malformed.
            pending = self._pending
            if (
                pending is not None
                and pending.message_id == error.message_id
                and not pending.logged
            ):
                self._settle(pending, text, None, InvalidResponse(error.kind, error.description))
                return
            logger.warning("Ignoring malformed answer frame: %s", error.description)
            self._record_unusable(error.message_id, text, None, None)
            return
        code = error_code(error.kind, self.version)
        answer = encode_error(error.message_id, code, error.description)
        logger.info("Answering malformed frame with %s: %s", code, error.description)
        await self._transport.send_text(answer)
        self._record_unusable(error.message_id, text, answer, code)

    def _on_result(self, result: CallResult, text: str) -> None:
        pending = self._matching(result.message_id, text)
        if pending is None:
            return
        if self._validate:
            try:
                self._registry.validate_response(pending.action, result.payload)
            except OcppError as invalid:
                logger.warning("Invalid %s response: %s", pending.action, invalid.description)
                failure = InvalidResponse(invalid.kind, invalid.description)
                self._settle(pending, text, None, failure)
                return
        self._settle(pending, text, None, result.payload)

    def _on_error(self, error: CallError, text: str) -> None:
        pending = self._matching(error.message_id, text)
        if pending is not None:
            failure = CallErrorReceived(error.code, error.description, error.details)
            self._settle(pending, text, error.code, failure)

    def _matching(self, message_id: str, text: str) -> _PendingCall | None:
        pending = self._pending
        if pending is not None and pending.message_id == message_id and not pending.logged:
            return pending
        if message_id == self._last_timed_out:
            logger.info("Ignoring late answer to timed-out call %s", message_id)
        else:
            logger.warning("Ignoring answer with unknown message id %s", _short(message_id))
        self._record_unusable(message_id, text, None, None)
        return None

    # -- outgoing calls --------------------------------------------------------------------

    def _check_outgoing(self, action: str, payload: dict[str, Any]) -> None:
        if action not in self._known:
            raise OcppError(ErrorKind.NOT_IMPLEMENTED, f"Unknown action '{_short(action)}'")
        if action not in self._sendable:
            raise OcppError(ErrorKind.NOT_SUPPORTED, f"{self.side.value} cannot send {action}")
        self._registry.validate_request(action, payload)

    def _settle(
        self,
        pending: _PendingCall,
        response: str,
        code: str | None,
        outcome: dict[str, Any] | Exception,
    ) -> None:
        """Complete the pending call with its answer and log the exchange."""
        if not pending.future.done():
            if isinstance(outcome, Exception):
                pending.future.set_exception(outcome)
            else:
                pending.future.set_result(outcome)
        pending.logged = True
        if pending.requested_at is not None:
            self._record(
                "out",
                pending.message_id,
                pending.action,
                pending.request,
                response,
                pending.requested_at,
                code,
            )

    def _settle_abandoned(self, pending: _PendingCall) -> None:
        """Log a call that ended without an answer; consume an outcome nobody awaited."""
        future = pending.future
        if future.done() and not future.cancelled():
            future.exception()
        if pending.logged:
            return
        pending.logged = True
        if pending.requested_at is not None:
            self._record_entry(
                LoggedExchange(
                    "out",
                    pending.message_id,
                    pending.action,
                    pending.request,
                    None,
                    pending.requested_at,
                    None,
                    None,
                )
            )

    def _fail_pending(self) -> None:
        pending = self._pending
        if pending is not None and not pending.future.done():
            pending.future.set_exception(ConnectionLost("connection closed"))

    # -- exchange log ----------------------------------------------------------------------

    def _record(
        self,
        direction: Direction,
        message_id: str,
        action: str | None,
        request: str,
        response: str | None,
        requested_at: datetime,
        code: str | None,
    ) -> None:
        self._record_entry(
            LoggedExchange(
                direction, message_id, action, request, response, requested_at, _utcnow(), code
            )
        )

    def _record_unusable(
        self, message_id: str, text: str, answer: str | None, code: str | None
    ) -> None:
        if self._log is not None:
            now = _utcnow()
            self._record_entry(LoggedExchange("in", message_id, None, text, answer, now, now, code))

    def _record_entry(self, entry: LoggedExchange) -> None:
        if self._log is None:
            return
        try:
            self._log.record(entry)
        except Exception:
            logger.exception("Exchange log rejected an entry")
