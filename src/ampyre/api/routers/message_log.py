"""/message-log: every OCPP exchange, for support and disputes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime

from ampyre.api.auth import acting
from ampyre.api.dependencies import Services
from ampyre.api.schemas.common import Paged, page_params
from ampyre.api.schemas.message_log import LoggedFrameOut
from ampyre.services.access import Actor
from ampyre.services.access import Permission as P
from ampyre.services.records import Page

router = APIRouter(prefix="/message-log", tags=["message log"])


@router.get("", summary="Search the OCPP message log, newest first")
async def message_log(
    services: Services,
    actor: Annotated[Actor, acting(P.MESSAGE_LOG_READ)],
    page: Annotated[Page, Depends(page_params)],
    station_id: Annotated[str | None, Query()] = None,
    action: Annotated[str | None, Query(examples=["BootNotification"])] = None,
    since: Annotated[
        AwareDatetime | None, Query(alias="from", description="Requested at or after.")
    ] = None,
    until: Annotated[
        AwareDatetime | None, Query(alias="to", description="Requested before.")
    ] = None,
) -> Paged[LoggedFrameOut]:
    frames = await services.queries.message_log(
        actor, page, station_id=station_id, action=action, since=since, until=until
    )
    return Paged(
        items=[LoggedFrameOut.from_domain(f) for f in frames],
        limit=page.limit,
        offset=page.offset,
    )
