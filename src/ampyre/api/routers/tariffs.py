"""/tariffs and /tariff-assignments: prices, their versions, and where they apply."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Response, status
from pydantic import AwareDatetime

from ampyre.api.auth import acting
from ampyre.api.dependencies import Services
from ampyre.api.schemas.common import Paged, error_responses, page_params
from ampyre.api.schemas.tariffs import (
    AssignmentModel,
    AssignmentOut,
    ResolvedOut,
    TariffCreateModel,
    TariffOut,
    TariffRenameModel,
    TariffVersionCreateModel,
    exact_json,
)
from ampyre.domain.errors import NotFound, ValidationFailed
from ampyre.domain.rating.tariff import version_in_force
from ampyre.formats.ocpi_tariff import dumps_ocpi, parse_ocpi_tariff, tariff_to_ocpi
from ampyre.formats.tariff_document import tariff_from_document, tariff_to_document
from ampyre.services.access import Actor
from ampyre.services.access import Permission as P
from ampyre.services.records import Page

router = APIRouter(tags=["tariffs"])

TariffParam = Annotated[str, Path(description="The tariff id (OCPI Tariff.id).")]
Reader = Annotated[Actor, acting(P.TARIFFS_READ)]
Writer = Annotated[Actor, acting(P.TARIFFS_WRITE)]
ExactBody = Annotated[Any, Depends(exact_json)]


def _json_body(schema: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI for a body read by ``exact_json`` (FastAPI cannot see it in the signature).

    The model's own definitions are inlined: they are not among the document's components.
    """
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(definitions[ref.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": inline(schema)}},
        }
    }


def _aware(value: Any, field: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationFailed(f"{field}: must be an ISO 8601 date-time with a time zone")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValidationFailed(f"{field}: {value!r} is not an ISO 8601 date-time") from exc
    if parsed.tzinfo is None:
        raise ValidationFailed(f"{field}: needs a time zone (e.g. 2027-01-01T00:00:00Z)")
    return parsed


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValidationFailed("the request body must be a JSON object")
    return body


@router.get("/tariffs", summary="List tariffs")
async def list_tariffs(
    services: Services, actor: Reader, page: Annotated[Page, Depends(page_params)]
) -> Paged[TariffOut]:
    found = await services.tariffs.list_tariffs(actor, page)
    return Paged(
        items=[TariffOut.from_domain(t) for t in found], limit=page.limit, offset=page.offset
    )


@router.post(
    "/tariffs",
    status_code=status.HTTP_201_CREATED,
    summary="Create a tariff (its first version)",
    responses=error_responses(409),
    openapi_extra=_json_body(TariffCreateModel.model_json_schema()),
)
async def create_tariff(body: ExactBody, services: Services, actor: Writer) -> TariffOut:
    """Amounts may be JSON numbers or strings; both are read exactly."""
    data = _object(body)
    unknown = sorted(set(data) - {"id", "name", "tariff", "valid_from", "valid_until"})
    if unknown:
        raise ValidationFailed(f"{unknown[0]}: unknown field")
    tariff_id, name = data.get("id"), data.get("name")
    if not isinstance(tariff_id, str) or not isinstance(name, str):
        raise ValidationFailed("id and name are required strings")
    created = await services.tariffs.do_create_tariff(
        actor,
        tariff_id,
        name,
        tariff_from_document(data.get("tariff")),
        valid_from=_aware(data.get("valid_from"), "valid_from"),
        valid_until=_aware(data.get("valid_until"), "valid_until"),
    )
    return TariffOut.from_domain(created)


@router.post(
    "/tariffs/ocpi",
    status_code=status.HTTP_201_CREATED,
    summary="Import an OCPI 2.2.1 Tariff object",
    responses=error_responses(409),
    openapi_extra=_json_body({"type": "object", "description": "An OCPI 2.2.1 Tariff object."}),
)
async def import_ocpi_tariff(
    body: ExactBody,
    services: Services,
    actor: Writer,
    name: Annotated[str | None, Query(max_length=255, description="Default: the id.")] = None,
) -> TariffOut:
    parsed = parse_ocpi_tariff(_object(body))
    if not parsed.id:
        raise ValidationFailed("id: an imported OCPI tariff needs an id")
    created = await services.tariffs.do_create_tariff(
        actor,
        parsed.id,
        name or parsed.id,
        parsed.tariff,
        valid_from=parsed.valid_from,
        valid_until=parsed.valid_until,
    )
    return TariffOut.from_domain(created)


@router.get(
    "/tariffs/{tariff_id}",
    summary="Get a tariff with all its versions",
    responses=error_responses(404),
)
async def get_tariff(tariff_id: TariffParam, services: Services, actor: Reader) -> TariffOut:
    return TariffOut.from_domain(await services.tariffs.get_tariff(actor, tariff_id))


@router.get(
    "/tariffs/{tariff_id}/ocpi",
    summary="A tariff version as an OCPI 2.2.1 Tariff object",
    responses={
        200: {
            "description": "An OCPI 2.2.1 Tariff object.",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        **error_responses(404),
    },
)
async def export_ocpi_tariff(
    tariff_id: TariffParam,
    services: Services,
    actor: Reader,
    version: Annotated[int | None, Query(ge=1, description="Default: in force now.")] = None,
    country_code: Annotated[str, Query(pattern=r"^[A-Z]{2}$")] = "NL",
    party_id: Annotated[str, Query(pattern=r"^[A-Z0-9]{3}$")] = "AMP",
) -> Response:
    """A grace period becomes a free PARKING_TIME element limited by max_duration and a
    per-minute price a per-hour one; amounts are exact JSON numbers (OCPI's type), written
    by ``dumps_ocpi`` because the default encoder would turn a Decimal into a string."""
    stored = await services.tariffs.get_tariff(actor, tariff_id)
    if version is None:
        chosen = version_in_force(list(stored.versions), services.clock.now())
    else:
        chosen = next((v for v in stored.versions if v.number == version), None)
    if chosen is None:
        raise NotFound(f"tariff {tariff_id} has no such version (or none in force now)")
    document = tariff_to_ocpi(
        chosen.tariff,
        id=stored.id,
        country_code=country_code,
        party_id=party_id,
        valid_from=chosen.valid_from,
        valid_until=chosen.valid_until,
        last_updated=chosen.valid_from or stored.created_at or services.clock.now(),
    )
    return Response(dumps_ocpi(document), media_type="application/json")


@router.post(
    "/tariffs/{tariff_id}/versions",
    status_code=status.HTTP_201_CREATED,
    summary="Change prices from a moment on (a new version)",
    responses=error_responses(404),
    openapi_extra=_json_body(TariffVersionCreateModel.model_json_schema()),
)
async def add_version(
    tariff_id: TariffParam, body: ExactBody, services: Services, actor: Writer
) -> TariffOut:
    """Sessions that started before ``valid_from`` keep the old prices to their end."""
    data = _object(body)
    unknown = sorted(set(data) - {"tariff", "valid_from"})
    if unknown:
        raise ValidationFailed(f"{unknown[0]}: unknown field")
    updated = await services.tariffs.do_add_version(
        actor,
        tariff_id,
        tariff_from_document(data.get("tariff")),
        valid_from=_aware(data.get("valid_from"), "valid_from"),
    )
    return TariffOut.from_domain(updated)


@router.patch("/tariffs/{tariff_id}", summary="Rename a tariff", responses=error_responses(404))
async def rename_tariff(
    tariff_id: TariffParam, body: TariffRenameModel, services: Services, actor: Writer
) -> TariffOut:
    return TariffOut.from_domain(await services.tariffs.do_rename(actor, tariff_id, body.name))


@router.delete(
    "/tariffs/{tariff_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an unused tariff",
    responses=error_responses(404, 409),
)
async def delete_tariff(tariff_id: TariffParam, services: Services, actor: Writer) -> None:
    await services.tariffs.do_delete_tariff(actor, tariff_id)


@router.get("/tariff-assignments", summary="Where each tariff applies")
async def list_assignments(services: Services, actor: Reader) -> list[AssignmentOut]:
    return [AssignmentOut.from_domain(a) for a in await services.tariffs.list_assignments(actor)]


@router.post(
    "/tariff-assignments",
    status_code=status.HTTP_201_CREATED,
    summary="Assign a tariff to a station, group, location, operator, partner or network",
    responses=error_responses(404, 409),
)
async def assign(
    body: Annotated[AssignmentModel, Body()], services: Services, actor: Writer
) -> AssignmentOut:
    """Resolution order: a plan's special prices first, then station → station group →
    location → operator → partner → network (see docs/tariffs.md)."""
    return AssignmentOut.from_domain(await services.tariffs.do_assign(actor, body.to_domain()))


@router.delete(
    "/tariff-assignments/{assignment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove an assignment",
    responses=error_responses(404),
)
async def unassign(assignment_id: int, services: Services, actor: Writer) -> None:
    await services.tariffs.do_unassign(actor, assignment_id)


@router.get(
    "/tariff-resolution",
    summary="Which tariff would price a session at a station",
    responses=error_responses(404),
)
async def resolve(
    services: Services,
    actor: Reader,
    station_id: Annotated[str, Query(max_length=48)],
    plan_id: Annotated[str | None, Query(max_length=64)] = None,
    partner_id: Annotated[str | None, Query(max_length=64)] = None,
    at: Annotated[AwareDatetime | None, Query(description="Session start; default now.")] = None,
) -> ResolvedOut:
    found = await services.tariffs.resolve(
        actor, station_id, at=at, plan_id=plan_id, partner_id=partner_id
    )
    return ResolvedOut(
        tariff_id=found.tariff_id,
        tariff_name=found.tariff_name,
        version=found.version.number,
        assignment=AssignmentOut.from_domain(found.assignment),
        tariff=tariff_to_document(found.version.tariff),
    )
