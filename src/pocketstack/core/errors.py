"""The neutral error family. Logic raises these; each service renders its own wire format."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    status = 500
    title = "Internal Server Error"

    def __init__(self, message: str | None = None, *, kind: str | None = None,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        self.message = message or self.title
        self.kind = kind  # a service-specific type name, e.g. neutron's "PortNotFound"
        self.headers = headers or {}
        self.extra = extra
        super().__init__(self.message)


class BadRequest(ApiError):
    status, title = 400, "Bad Request"


class ValidationFailed(BadRequest):
    """A request body or query failed its schema."""

    def __init__(self, message: str, *, field: str | None = None, detail: str | None = None) -> None:
        super().__init__(message)
        self.field, self.detail = field, detail


class Unauthorized(ApiError):
    status, title = 401, "Unauthorized"


class Forbidden(ApiError):
    status, title = 403, "Forbidden"


class NotFound(ApiError):
    status, title = 404, "Not Found"

    def __init__(self, message: str | None = None, *, resource: str | None = None,
                 id: str | None = None, **kw: Any) -> None:
        if message is None and resource is not None:
            message = f"Could not find {resource}: {id}." if id is not None else f"Could not find {resource}."
        super().__init__(message, **kw)
        self.resource, self.id = resource, id


class MethodNotAllowed(ApiError):
    status, title = 405, "Method Not Allowed"


class NotAcceptable(ApiError):
    status, title = 406, "Not Acceptable"


class Conflict(ApiError):
    status, title = 409, "Conflict"


class Gone(ApiError):
    status, title = 410, "Gone"


class LengthRequired(ApiError):
    status, title = 411, "Length Required"


class PreconditionFailed(ApiError):
    status, title = 412, "Precondition Failed"


class PayloadTooLarge(ApiError):
    status, title = 413, "Request Entity Too Large"


class OverLimit(PayloadTooLarge):
    """Quota exceeded (413 in nova/cinder; services may render it as 403 or 409)."""


class UnsupportedMediaType(ApiError):
    status, title = 415, "Unsupported Media Type"


class RangeNotSatisfiable(ApiError):
    status, title = 416, "Requested Range Not Satisfiable"


class UnprocessableEntity(ApiError):
    status, title = 422, "Unprocessable Entity"


class Locked(ApiError):
    status, title = 423, "Locked"


class InternalError(ApiError):
    status, title = 500, "Internal Server Error"


class NotImplementedYet(ApiError):
    status, title = 501, "Not Implemented"


class ServiceUnavailable(ApiError):
    status, title = 503, "Service Unavailable"
