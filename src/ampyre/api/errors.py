"""Every error leaves the API as ``{"error": {"code": ..., "message": ..., "details"?: [...]}}``.

Domain errors map to HTTP statuses here (and only here); request validation errors, unknown
routes and unexpected failures get the same envelope, so a client parses one shape.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ampyre.domain.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from ampyre.services.access import Unauthenticated
from ampyre.services.errors import CommandFailed, CommandTimeout, StationNotConnected
from ampyre.services.payment_port import PaymentProviderRejected, PaymentProviderUnavailable

log = logging.getLogger(__name__)

_DOMAIN_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (StationNotConnected, 409),
    (Conflict, 409),
    (ValidationFailed, 422),
    (CommandFailed, 502),
    (CommandTimeout, 504),
    (PaymentProviderRejected, 502),
    (PaymentProviderUnavailable, 503),
)
"""Most specific first; any other ``DomainError`` is a 400."""

_HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    415: "unsupported_media_type",
}


class ApiError(Exception):
    """An error the HTTP layer itself raises (e.g. wrong media type), in the same envelope."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def error_response(
    status: int,
    code: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return JSONResponse({"error": jsonable_encoder(body)}, status_code=status, headers=headers)


def status_of(error: DomainError) -> int:
    for kind, status in _DOMAIN_STATUS:
        if isinstance(error, kind):
            return status
    return 400


def _field_path(location: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in location)


async def _domain_error(request: Request, exc: DomainError) -> JSONResponse:
    status = status_of(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return error_response(status, exc.code, exc.message, headers=headers)


async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
    return error_response(exc.status, exc.code, exc.message, exc.details)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    details = [
        {"field": _field_path(tuple(error.get("loc", ()))), "message": error.get("msg", "")}
        for error in exc.errors()
    ]
    message = "; ".join(f"{d['field']}: {d['message']}" for d in details)
    return error_response(422, "validation_failed", message or "invalid request", details)


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    status = exc.status_code
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    message = exc.detail if isinstance(exc.detail, str) and exc.detail != phrase else None
    if status == 404 and message is None:
        message = f"no such API endpoint: {request.method} {request.url.path}"
    code = _HTTP_CODES.get(status, phrase.lower().replace(" ", "_"))
    return error_response(status, code, message or phrase, headers=exc.headers)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error in %s %s", request.method, request.url.path)
    return error_response(500, "internal_error", "an unexpected error occurred")


def install_error_handlers(app: FastAPI) -> None:
    app.exception_handler(DomainError)(_domain_error)
    app.exception_handler(ApiError)(_api_error)
    app.exception_handler(RequestValidationError)(_validation_error)
    app.exception_handler(StarletteHTTPException)(_http_error)
    app.exception_handler(Exception)(_unexpected_error)
