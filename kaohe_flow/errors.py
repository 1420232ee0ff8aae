"""Refusals a service raises; pages and the API turn them into messages and status codes."""
from flask import jsonify


class ServiceError(Exception):
    """A refusal with an HTTP status, a machine word and a sentence for people."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, code: str | None = None, status: int | None = None, fields=None,
                 extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.status = status or self.status
        self.fields = fields or {}
        self.extra = extra or {}  # more keys of the API's `error` (e.g. the duplicate's `document`)


class BadRequest(ServiceError):
    status, code = 400, "bad_request"


class Unauthorized(ServiceError):
    status, code = 401, "unauthorized"


class Forbidden(ServiceError):
    status, code = 403, "forbidden"


class NotFound(ServiceError):
    status, code = 404, "not_found"


class Conflict(ServiceError):
    status, code = 409, "conflict"


class Invalid(ServiceError):
    status, code = 422, "invalid"


STALE_MESSAGE = "此页面已被他人修改，请刷新后重试"


def stale() -> Conflict:
    return Conflict(STALE_MESSAGE, "stale_version")


def from_verdict(verdict) -> ServiceError:
    """The refusal that a permission verdict stands for."""
    kind = {403: Forbidden, 404: NotFound}.get(verdict.status, Conflict)
    return kind(verdict.message, verdict.code)


def error_response(status: int, code: str, message: str, **extra):
    """The contract's error shape; an import's refusal adds the bad `rows` inside `error`."""
    return jsonify({"error": {"code": code, "message": message, **extra}}), status
