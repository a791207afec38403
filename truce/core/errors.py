"""Domain errors raised by services and selectors.

Every error names the field at fault (or None for the whole request) so the
API, forms and CLI can all say exactly what to fix.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code

    def as_dict(self) -> dict[str, object]:
        return {"error": {"code": self.code, "message": self.message, "field": self.field}}


class InvalidInput(DomainError):
    status = 422
    code = "invalid"


class NotFound(DomainError):
    """Also what a user gets for a record they may not see: never a 403."""

    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class PermissionDenied(DomainError):
    """For writes to a record the user can see but may not change."""

    status = 403
    code = "forbidden"


def invalid_from_validation_error(exc: ValidationError) -> InvalidInput:
    """Turn Django's ValidationError into one InvalidInput naming the first field."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            messages = [m for e in errors for m in e.messages]
            name = None if field == "__all__" else field
            return InvalidInput("; ".join(messages), field=name)
    return InvalidInput("; ".join(exc.messages))
