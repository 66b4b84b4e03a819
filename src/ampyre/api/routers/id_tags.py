"""/id-tags: RFID cards and other tokens drivers authorise with."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status

from ampyre.api.auth import acting
from ampyre.api.dependencies import Services
from ampyre.api.schemas.common import Paged, error_responses, page_params
from ampyre.api.schemas.id_tags import IdTagCreate, IdTagOut, IdTagPatch
from ampyre.services.access import Actor
from ampyre.services.access import Permission as P
from ampyre.services.records import Page

router = APIRouter(prefix="/id-tags", tags=["id tags"])

IdTagParam = Annotated[str, Path(description="The id tag (1-20 characters).")]
Reader = Annotated[Actor, acting(P.ID_TAGS_READ)]
Writer = Annotated[Actor, acting(P.ID_TAGS_WRITE)]


@router.get("", summary="List or search id tags")
async def list_tags(
    services: Services,
    actor: Reader,
    page: Annotated[Page, Depends(page_params)],
    search: Annotated[
        str | None, Query(max_length=20, description="Only tags containing this text.")
    ] = None,
) -> Paged[IdTagOut]:
    found = await services.id_tags.list_tags(actor, page, search=search)
    return Paged(
        items=[IdTagOut.from_domain(t) for t in found], limit=page.limit, offset=page.offset
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Add an id tag",
    responses=error_responses(409),
)
async def add_tag(body: IdTagCreate, services: Services, actor: Writer) -> IdTagOut:
    return IdTagOut.from_domain(await services.id_tags.do_add_tag(actor, body.to_domain()))


@router.get("/{id_tag}", summary="Get an id tag", responses=error_responses(404))
async def get_tag(id_tag: IdTagParam, services: Services, actor: Reader) -> IdTagOut:
    return IdTagOut.from_domain(await services.id_tags.get_tag(actor, id_tag))


@router.patch(
    "/{id_tag}",
    summary="Change an id tag (block, unblock, expiry, parent)",
    responses=error_responses(404),
)
async def update_tag(
    id_tag: IdTagParam, body: IdTagPatch, services: Services, actor: Writer
) -> IdTagOut:
    changed = await services.id_tags.do_update_tag(actor, id_tag, body.to_update())
    return IdTagOut.from_domain(changed)


@router.delete(
    "/{id_tag}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an id tag",
    responses=error_responses(404),
)
async def delete_tag(id_tag: IdTagParam, services: Services, actor: Writer) -> None:
    await services.id_tags.do_delete_tag(actor, id_tag)
