"""/charging-tokens: RFID cards, app tokens and vehicle ids of contracts; CSV import of cards."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response, status

from ampyre.api.auth import acting
from ampyre.api.dependencies import Services
from ampyre.api.errors import ApiError
from ampyre.api.schemas.charging_tokens import (
    ImportedOut,
    ReasonModel,
    TokenCreate,
    TokenOut,
    row_error_details,
)
from ampyre.api.schemas.common import Paged, error_responses, page_params
from ampyre.domain.tokens import TokenKind, TokenStatus
from ampyre.formats.token_csv import MAX_BYTES, MAX_ROWS
from ampyre.services.access import Actor
from ampyre.services.access import Permission as P
from ampyre.services.records import Page, TokenFilter

router = APIRouter(prefix="/charging-tokens", tags=["charging tokens"])

UidParam = Annotated[str, Path(max_length=20, description="The token's uid (the idTag).")]
Reader = Annotated[Actor, acting(P.CUSTOMERS_READ)]
Writer = Annotated[Actor, acting(P.CUSTOMERS_WRITE)]
Reason = Annotated[ReasonModel | None, Body()]

_CSV_TYPES = ("text/csv", "text/plain", "application/csv")
_EXAMPLE = (
    "uid,contract_id,printed_number,expires_at,card_fee\n"
    "04A2B3C4D5E6F7,PL-AMP-C00000001-1,1000 0001,2028-12-31T23:59:59Z,\n"
)


def _filter(
    contract_id: Annotated[str | None, Query(max_length=40, description="An eMAID.")] = None,
    customer_id: Annotated[str | None, Query(max_length=36)] = None,
    kind: Annotated[TokenKind | None, Query()] = None,
    status: Annotated[TokenStatus | None, Query()] = None,
    search: Annotated[
        str | None, Query(max_length=64, description="Part of the uid or printed number.")
    ] = None,
) -> TokenFilter:
    return TokenFilter(contract_id or None, customer_id or None, kind, status, search or None)


@router.get("", summary="List or search charging tokens", responses=error_responses(422))
async def list_tokens(
    services: Services,
    actor: Reader,
    flt: Annotated[TokenFilter, Depends(_filter)],
    page: Annotated[Page, Depends(page_params)],
) -> Paged[TokenOut]:
    """Oldest first; every filter narrows the list."""
    found = await services.charging_tokens.list(actor, flt, page)
    return Paged(
        items=[TokenOut.from_domain(t) for t in found], limit=page.limit, offset=page.offset
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Issue a token to a contract",
    responses=error_responses(404, 409, 422),
)
async def issue(body: TokenCreate, services: Services, actor: Writer) -> TokenOut:
    """The contract must not have ended; the uid must be neither a token nor an operator id
    tag (409 `uid_taken`)."""
    token = await services.charging_tokens.do_issue(
        actor,
        body.kind,
        body.contract_id,
        uid=body.uid,
        printed_number=body.printed_number,
        expires_at=body.expires_at,
        card_fee=body.card_fee,
    )
    return TokenOut.from_domain(token)


@router.post(
    "/import",
    status_code=status.HTTP_201_CREATED,
    summary="Import RFID cards (or other tokens) from CSV",
    description=(
        "The body is a CSV file (`Content-Type: text/csv`), UTF-8 with or without BOM, "
        "separated by commas or semicolons. The first line names the columns: `uid` and "
        "`contract_id` (an eMAID) are required; `kind` (rfid, app, vehicle; default rfid), "
        "`printed_number`, `expires_at` (ISO 8601 with a zone) and `card_fee` (true/false; "
        "empty: the plan decides) are optional. "
        f"At most {MAX_ROWS} rows and {MAX_BYTES} bytes.\n\n"
        "Every row is checked: if any is bad, nothing is imported and the answer is 422 "
        "`import_rejected` with `error.details` listing each problem (`line`, `column`, "
        "`message`; the header is line 1; the first 1000 problems). With `dry_run=true` the "
        "file is only checked (200)."
    ),
    responses={200: {"model": ImportedOut}, **error_responses(413, 415, 422)},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}, "example": _EXAMPLE}},
        }
    },
)
async def import_tokens(
    request: Request,
    response: Response,
    services: Services,
    actor: Writer,
    dry_run: Annotated[bool, Query(description="Only check the file.")] = False,
) -> ImportedOut:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in _CSV_TYPES:
        raise ApiError(415, "unsupported_media_type", "send the file as Content-Type: text/csv")
    report = await services.charging_tokens.do_import(
        actor, await _read_limited(request), dry_run=dry_run
    )
    if report.rejected:
        listed = (
            f" (the first {len(report.errors)} are listed)"
            if len(report.errors) < report.error_count
            else ""
        )
        raise ApiError(
            422,
            "import_rejected",
            f"{report.error_count} problems in {report.bad_rows} of {report.rows} rows"
            f"{listed}; nothing was imported",
            row_error_details(report.errors),
        )
    if dry_run:
        response.status_code = status.HTTP_200_OK
    return ImportedOut(rows=report.rows, imported=report.imported, dry_run=report.dry_run)


@router.get("/{uid}", summary="Get a charging token", responses=error_responses(404))
async def get_token(uid: UidParam, services: Services, actor: Reader) -> TokenOut:
    return TokenOut.from_domain(await services.charging_tokens.get(actor, uid))


@router.post(
    "/{uid}/block",
    summary="Block a token (stations refuse it from the next authorisation)",
    responses=error_responses(404, 409),
)
async def block(uid: UidParam, services: Services, actor: Writer, body: Reason = None) -> TokenOut:
    reason = body.reason if body else None
    return TokenOut.from_domain(await services.charging_tokens.do_block(actor, uid, reason))


@router.post(
    "/{uid}/unblock", summary="Unblock a blocked token", responses=error_responses(404, 409)
)
async def unblock(
    uid: UidParam, services: Services, actor: Writer, body: Reason = None
) -> TokenOut:
    reason = body.reason if body else None
    return TokenOut.from_domain(await services.charging_tokens.do_unblock(actor, uid, reason))


@router.post(
    "/{uid}/lost",
    summary="Report a token lost or stolen (disabled for good)",
    responses=error_responses(404, 409),
)
async def report_lost(
    uid: UidParam, services: Services, actor: Writer, body: Reason = None
) -> TokenOut:
    reason = body.reason if body else None
    return TokenOut.from_domain(await services.charging_tokens.do_report_lost(actor, uid, reason))


async def _read_limited(request: Request) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BYTES:
            raise ApiError(413, "request_too_large", f"the CSV must be at most {MAX_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
