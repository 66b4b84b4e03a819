"""Errors the sandbox's API answers with: ``{"error": {"code": ..., "message": ...}}``.

400 the request cannot be right (bad amount, amount above the authorisation), 401 the API
key is missing or wrong, 404 no such object, 409 the object's state forbids the request or
an idempotency key was reused for a different request. A declined card is not an error: the
payment comes back with status ``declined``.
"""

from __future__ import annotations

from ampyre.payments.sandbox.objects import JsonObject


class SandboxError(Exception):
    """A request the sandbox refuses; nothing was changed."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> JsonObject:
        return {"error": {"code": self.code, "message": self.message}}


def invalid(code: str, message: str) -> SandboxError:
    return SandboxError(400, code, message)


def not_found(kind: str, object_id: str) -> SandboxError:
    return SandboxError(404, "resource_missing", f"no such {kind}: {object_id!r}")


def conflict(code: str, message: str) -> SandboxError:
    return SandboxError(409, code, message)
