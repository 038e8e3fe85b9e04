"""Errors of the catalogue's logic. The API turns them into RFC 9457 problems and the CLI
into French messages, so their ``detail`` is written for people, in French."""

from __future__ import annotations


class CatalogueError(Exception):
    status = 400
    title = "Bad Request"

    def __init__(self, detail: str, *, errors: list[dict] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class Invalid(CatalogueError):
    status = 422
    title = "Unprocessable Content"

    def __init__(self, detail: str, *, field: str | None = None):
        super().__init__(detail, errors=[{"field": field, "message": detail}] if field else None)


class Unauthorized(CatalogueError):
    status = 401
    title = "Unauthorized"


class Forbidden(CatalogueError):
    status = 403
    title = "Forbidden"


class NotFound(CatalogueError):
    status = 404
    title = "Not Found"


class Conflict(CatalogueError):
    status = 409
    title = "Conflict"


class TooLarge(CatalogueError):
    status = 413
    title = "Content Too Large"


class Unavailable(CatalogueError):
    status = 503
    title = "Service Unavailable"
