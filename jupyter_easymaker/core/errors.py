"""Errors the services raise; handlers turn them into HTTP answers."""
from __future__ import annotations


class DomainError(Exception):
    http_status = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def to_dict(self) -> dict:
        body = {"error": self.message, "reason": type(self).__name__}
        if self.field:
            body["field"] = self.field
        return body


class InvalidInput(DomainError):
    """A request field is wrong; ``field`` names it (dotted path)."""

    http_status = 422


class NotFound(DomainError):
    http_status = 404


class Conflict(DomainError):
    """The request clashes with what is stored (duplicate name, deletion guard,
    a transition the state machine refuses)."""

    http_status = 409


class InvalidTransition(Conflict):
    pass
