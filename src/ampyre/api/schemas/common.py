"""Shared pieces: the error envelope, pagination, UTC times, partial updates."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Generic, Self, TypeVar

from fastapi import Query
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)

from ampyre.services.records import Page
from ampyre.services.updates import KEEP, Keep

T = TypeVar("T")

MAX_PAGE_SIZE = 1000


def _utc_text(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


UtcTime = Annotated[
    datetime,
    PlainSerializer(_utc_text, return_type=str, when_used="json"),
    WithJsonSchema(
        {"type": "string", "format": "date-time", "examples": ["2025-03-01T12:00:00Z"]},
        mode="serialization",
    ),
]
"""A response time: ISO 8601 in UTC with a ``Z`` suffix."""


class ApiModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    """Unknown fields in a request are an error, so a typo never passes silently."""


class ErrorBody(BaseModel):
    code: str = Field(description="Stable machine-readable name, e.g. `not_found`.")
    message: str = Field(description="What went wrong, for a person to read.")
    details: list[dict[str, Any]] | None = Field(
        default=None,
        description="Per-item problems: `field` and `message` for invalid requests, "
        "`line`, `message` and `station_id` (stations) or `column` (charging tokens) for "
        "CSV imports.",
    )


class ErrorEnvelope(BaseModel):
    error: ErrorBody

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"error": {"code": "not_found", "message": "station CP1 does not exist"}}]
        }
    )


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for error statuses, all in the error envelope."""
    return {status: {"model": ErrorEnvelope} for status in statuses}


class Paged(BaseModel, Generic[T]):
    items: list[T]
    limit: int = Field(description="The page size asked for.")
    offset: int = Field(description="How many items were skipped.")


def page_params(
    limit: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page (1-1000).")
    ] = 100,
    offset: Annotated[int, Query(ge=0, description="Items to skip.")] = 0,
) -> Page:
    return Page(limit=limit, offset=offset)


class PatchModel(ApiModel):
    """A partial update: fields left out stay as stored.

    Fields listed in ``not_nullable`` may be left out but not sent as null.
    """

    not_nullable: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _refuse_null(self) -> Self:
        for name in self.not_nullable:
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null; leave it out to keep it")
        return self


def given(model: BaseModel, name: str, value: T) -> T | Keep:
    """``value`` if the request mentioned field ``name`` (even as null), else ``KEEP``."""
    return value if name in model.model_fields_set else KEEP


def given_value(model: BaseModel, name: str, value: T | None) -> T | Keep:
    """Like :func:`given` for a field that cannot be cleared: None means ``KEEP``."""
    return KEEP if value is None or name not in model.model_fields_set else value
