"""POST /stations/import: register many stations from a CSV file in one go."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from ampyre.api.auth import acting
from ampyre.api.dependencies import Services
from ampyre.api.errors import ApiError
from ampyre.api.schemas.common import error_responses
from ampyre.api.schemas.stations import ImportReportOut
from ampyre.services.access import Actor
from ampyre.services.access import Permission as P
from ampyre.services.station_import import parse_station_csv

router = APIRouter(prefix="/stations", tags=["stations"])

MAX_CSV_BYTES = 16 * 1024 * 1024
_CSV_TYPES = ("text/csv", "text/plain", "application/csv")
_EXAMPLE = "id,password,location_id,name\nCP-0001,pa55word-pa55word-01,krk-depot-1,Gate 1\n"


@router.post(
    "/import",
    summary="Import stations from CSV",
    description=(
        "The body is a UTF-8 CSV file (`Content-Type: text/csv`) with the columns "
        "`id,password[,location_id,name]`; the header line is optional. Every row is "
        "checked first: if any is invalid, nothing is imported and the answer is 422 with "
        "`error.details` listing each bad row (`line`, `station_id`, `message`). With "
        "`skip_invalid=true` the valid rows are imported and the bad ones listed in `errors`."
    ),
    responses=error_responses(413, 415),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}, "example": _EXAMPLE}},
        }
    },
)
async def import_stations(
    request: Request,
    services: Services,
    actor: Annotated[Actor, acting(P.STATIONS_WRITE)],
    skip_invalid: Annotated[
        bool, Query(description="Import the valid rows even if some are invalid.")
    ] = False,
) -> ImportReportOut:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in _CSV_TYPES:
        raise ApiError(415, "unsupported_media_type", "send the file as Content-Type: text/csv")
    body = await _read_limited(request)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(
            422, "validation_failed", f"the CSV is not UTF-8 (byte {exc.start})"
        ) from exc
    report = await services.imports.do_import_stations(
        actor, parse_station_csv(text), skip_invalid=skip_invalid
    )
    if report.rejected:
        out = ImportReportOut.from_report(report)
        raise ApiError(
            422,
            "import_rejected",
            f"{len(report.errors)} of {report.rows} rows are invalid; nothing was imported",
            [error.model_dump() for error in out.errors],
        )
    return ImportReportOut.from_report(report)


async def _read_limited(request: Request) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_CSV_BYTES:
            raise ApiError(
                413, "request_too_large", f"the CSV must be at most {MAX_CSV_BYTES} bytes"
            )
        chunks.append(chunk)
    return b"".join(chunks)
