"""Validation of OCPP payloads against the official JSON schemas.

The schemas come from the `ocpp` package (`ocpp/v16/schemas/{Action}.json` and
`{Action}Response.json`; `ocpp/v201/schemas/{Action}Request.json` and `{Action}Response.json`).
1.6 files are draft-04 (the security-extension ones draft-06), 2.0.1 files draft-06; the draft is
taken from each file's `$schema`. Each schema is compiled with jsonschema_rs once, on first use.

`format` is enforced: OCPP requires ISO 8601 timestamps and the schemas say "date-time", which
jsonschema_rs checks as RFC 3339 (the ISO 8601 profile OCPP uses): "2026-11-21T10:00:00Z",
"+01:00" offsets and any number of fractional digits pass; a timestamp without offset or with a
space instead of "T" is a PropertyConstraintViolation, so handlers only ever see unambiguous
instants. `multipleOf: 0.1` (1.6 charging limits) is checked with a tolerance by jsonschema_rs,
so values like 21.4 pass although they are not exact binary multiples.

Outgoing payloads must hold JSON-native values (Decimal is accepted too); anything else is a
TypeConstraintViolation raised locally.
"""

from __future__ import annotations

import functools
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import jsonschema_rs
import orjson

from ampyre.ocpp.rpc.actions import actions_from_charge_point, actions_from_csms
from ampyre.ocpp.rpc.errors import ErrorKind, OcppError
from ampyre.ocpp.rpc.versions import OcppVersion

__all__ = [
    "SchemaRegistry",
    "actions_from_charge_point",
    "actions_from_csms",
    "registry_for",
]

_PACKAGE_DIRS = {OcppVersion.V16: "v16", OcppVersion.V201: "v201"}
_REQUEST_SUFFIX = {OcppVersion.V16: "", OcppVersion.V201: "Request"}
_RESPONSE_SUFFIX = "Response"

_KIND_BY_KEYWORD: dict[str, ErrorKind] = {
    "type": ErrorKind.TYPE_CONSTRAINT_VIOLATION,
    "required": ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION,
    "additionalProperties": ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION,
    "additionalItems": ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION,
    "minItems": ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION,
    "maxItems": ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION,
    "minProperties": ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION,
    "maxProperties": ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION,
    "enum": ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
    "const": ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
    "maxLength": ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
    "minLength": ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
    "pattern": ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
    "format": ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
    "minimum": ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
    "maximum": ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
    "exclusiveMinimum": ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
    "exclusiveMaximum": ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
    "multipleOf": ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
}

_MAX_NAME_IN_DESCRIPTION = 40
MAX_DESCRIPTION_LENGTH = 255
"""2.0.1 limits errorDescription to 255 characters; the same limit is applied to 1.6."""


class SchemaRegistry:
    """The compiled request and response validators of one OCPP version."""

    def __init__(self, version: OcppVersion) -> None:
        self.version = version
        self._directory: Traversable = resources.files("ocpp") / _PACKAGE_DIRS[version] / "schemas"
        self._request_suffix = _REQUEST_SUFFIX[version]
        self._requests: dict[str, jsonschema_rs.Validator] = {}
        self._responses: dict[str, jsonschema_rs.Validator] = {}
        self.actions: frozenset[str] = self._actions_with_schemas()
        """Every action that has a request and a response schema in this version."""

    def _actions_with_schemas(self) -> frozenset[str]:
        names = {entry.name for entry in self._directory.iterdir()}
        tail = _RESPONSE_SUFFIX + ".json"
        return frozenset(
            name[: -len(tail)]
            for name in names
            if name.endswith(tail) and f"{name[: -len(tail)]}{self._request_suffix}.json" in names
        )

    def _compile(self, action: str, suffix: str) -> jsonschema_rs.Validator:
        if action not in self.actions:
            raise OcppError(ErrorKind.NOT_IMPLEMENTED, f"Unknown action '{_short(action)}'")
        schema = orjson.loads((self._directory / f"{action}{suffix}.json").read_bytes())
        return jsonschema_rs.validator_for(schema, validate_formats=True)

    def request_validator(self, action: str) -> jsonschema_rs.Validator:
        """The compiled validator of the action's request (raises OcppError NOT_IMPLEMENTED)."""
        validator = self._requests.get(action)
        if validator is None:
            validator = self._requests[action] = self._compile(action, self._request_suffix)
        return validator

    def response_validator(self, action: str) -> jsonschema_rs.Validator:
        """The compiled validator of the action's response (raises OcppError NOT_IMPLEMENTED)."""
        validator = self._responses.get(action)
        if validator is None:
            validator = self._responses[action] = self._compile(action, _RESPONSE_SUFFIX)
        return validator

    def validate_request(self, action: str, payload: dict[str, Any]) -> None:
        """Raise OcppError (kind per the CALLERROR code definitions of both versions) if invalid."""
        validator = self._requests.get(action) or self.request_validator(action)
        _validate(validator, payload)

    def validate_response(self, action: str, payload: dict[str, Any]) -> None:
        """Raise OcppError if `payload` is not a valid response to `action`."""
        validator = self._responses.get(action) or self.response_validator(action)
        _validate(validator, payload)

    def warm(self) -> None:
        """Compile every schema of the version now (about 10 ms) instead of on first use."""
        for action in self.actions:
            self.request_validator(action)
            self.response_validator(action)


@functools.cache
def registry_for(version: OcppVersion) -> SchemaRegistry:
    """The process-wide registry of `version`."""
    return SchemaRegistry(version)


def _validate(validator: jsonschema_rs.Validator, payload: dict[str, Any]) -> None:
    try:
        validator.validate(payload)
    except jsonschema_rs.ValidationError as error:
        raise _violation(error) from None
    except ValueError:
        # jsonschema_rs refuses Python values JSON cannot represent (datetime, bytes, ...).
        raise OcppError(
            ErrorKind.TYPE_CONSTRAINT_VIOLATION, "payload holds a value that is not JSON"
        ) from None


def _violation(error: jsonschema_rs.ValidationError) -> OcppError:
    kind = error.kind
    keyword = kind.name
    segments = list(error.instance_path)
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Required):
        segments.append(kind.property)
    path = _format_path(segments)
    return OcppError(
        _KIND_BY_KEYWORD.get(keyword, ErrorKind.FORMAT_VIOLATION),
        _clip(f"{path}: {_explain(kind)}"),
    )


def _explain(kind: jsonschema_rs.ValidationErrorKind) -> str:
    match kind:
        case jsonschema_rs.ValidationErrorKind.Type(types):
            return f"expected {' or '.join(types)}"
        case jsonschema_rs.ValidationErrorKind.Required():
            return "required but missing"
        case jsonschema_rs.ValidationErrorKind.AdditionalProperties(unexpected):
            names = ", ".join(f"'{_short(name)}'" for name in unexpected[:3])
            return f"unexpected property {names}"
        case jsonschema_rs.ValidationErrorKind.MinItems(limit):
            return f"fewer than {limit} items"
        case jsonschema_rs.ValidationErrorKind.MaxItems(limit):
            return f"more than {limit} items"
        case jsonschema_rs.ValidationErrorKind.Enum():
            return "not one of the allowed values"
        case jsonschema_rs.ValidationErrorKind.MaxLength(limit):
            return f"longer than {limit} characters"
        case jsonschema_rs.ValidationErrorKind.MinLength(limit):
            return f"shorter than {limit} characters"
        case jsonschema_rs.ValidationErrorKind.Format(format_name):
            return f"not a valid {format_name}"
        case jsonschema_rs.ValidationErrorKind.Minimum(limit):
            return f"less than {limit}"
        case jsonschema_rs.ValidationErrorKind.Maximum(limit):
            return f"greater than {limit}"
        case jsonschema_rs.ValidationErrorKind.MultipleOf(multiple_of):
            return f"not a multiple of {multiple_of}"
        case jsonschema_rs.ValidationErrorKind.Pattern():
            return "does not match the required pattern"
    return f"violates '{kind.name}'"


def _format_path(segments: list[str | int]) -> str:
    if not segments:
        return "payload"
    parts: list[str] = []
    for segment in segments:
        if isinstance(segment, int):
            parts.append(f"[{segment}]")
        else:
            parts.append(f".{_short(segment)}" if parts else _short(segment))
    return "".join(parts)


def _short(name: str) -> str:
    if len(name) <= _MAX_NAME_IN_DESCRIPTION:
        return name
    return name[: _MAX_NAME_IN_DESCRIPTION - 3] + "..."


def _clip(description: str) -> str:
    if len(description) <= MAX_DESCRIPTION_LENGTH:
        return description
    return description[: MAX_DESCRIPTION_LENGTH - 3] + "..."
