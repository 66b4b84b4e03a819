"""Errors raised by domain rules and use cases when a request cannot be honoured."""

from __future__ import annotations


class DomainError(Exception):
    """A request broke a rule; ``code`` is a stable machine-readable name (snake_case)."""

    code: str = "invalid_request"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class NotFound(DomainError):
    """The thing asked for does not exist (or is not visible to the caller)."""

    code = "not_found"


class Conflict(DomainError):
    """The thing exists already, or its state forbids the change."""

    code = "conflict"


class ValidationFailed(DomainError):
    """Input is well-formed but its values are not acceptable."""

    code = "validation_failed"


class Forbidden(DomainError):
    """The caller's role does not allow the action."""

    code = "forbidden"
