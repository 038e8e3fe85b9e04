"""RFC 9457 problem responses for every error, and the cap on request bodies."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from catalogue.errors import CatalogueError
from catalogue.web.render import error_page, file_size

log = logging.getLogger("ctd")
PROBLEM = "application/problem+json"
_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           405: "Method Not Allowed", 409: "Conflict", 413: "Content Too Large",
           422: "Unprocessable Content", 500: "Internal Server Error"}


def problem(status: int, detail: str, request_path: str | None = None,
            errors: list[dict] | None = None, title: str | None = None) -> JSONResponse:
    body = {"type": "about:blank", "title": title or _TITLES.get(status, "Error"),
            "status": status, "detail": detail}
    if request_path:
        body["instance"] = request_path
    if errors:
        body["errors"] = errors
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _validation_errors(error: RequestValidationError) -> tuple[int, list[dict]]:
    errors, status = [], 422
    for item in error.errors():
        if item.get("type") == "json_invalid":
            status = 400
        location = [str(p) for p in item.get("loc", ()) if p != "body"]
        errors.append({"field": ".".join(location) or None, "message": item.get("msg")})
    return status, errors


def _wants_page(request: Request) -> bool:
    """A browser asking for a page, not a client of the API."""
    return (not request.url.path.startswith("/api/")
            and "text/html" in request.headers.get("accept", ""))


def install(app: FastAPI) -> None:
    @app.exception_handler(CatalogueError)
    async def catalogue_error(request: Request, error: CatalogueError):
        return problem(error.status, error.detail, request.url.path, error.errors, error.title)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError):
        status, errors = _validation_errors(error)
        detail = ("Le corps de la requête n'est pas du JSON valide." if status == 400
                  else "La requête ne respecte pas le format attendu.")
        return problem(status, detail, request.url.path, errors)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException):
        if error.status_code == 404 and _wants_page(request):
            return error_page(request, 404, "Aucune page ne se trouve à cette adresse. "
                                            "Revenez à l'accueil ou cherchez un jeu de données.")
        return problem(error.status_code, str(error.detail), request.url.path)

    @app.exception_handler(IntegrityError)
    async def integrity_error(request: Request, error: IntegrityError):
        # Two requests raced for the same unique value; the loser's transaction is rolled back.
        return problem(409, "Conflit avec une donnée existante (valeur déjà prise).",
                       request.url.path)

    @app.exception_handler(DataError)
    async def data_error(request: Request, error: DataError):
        # A value the database cannot hold (a NUL character, a number out of range).
        return problem(422, "Une valeur envoyée ne peut pas être enregistrée telle quelle "
                            "(caractère NUL, nombre hors limites…).", request.url.path)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception):
        log.exception("unexpected error on %s", request.url.path)
        return problem(500, "Erreur interne du serveur.", request.url.path)


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, announced or streamed."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if _wants_page(request):  # a form's file: the page says it in words
            too_large = error_page(request, 413, "Le fichier envoyé est trop volumineux : la "
                                                 f"limite est de {file_size(self.limit)}.")
        else:
            too_large = problem(413, f"Le corps de la requête dépasse {self.limit} octets.",
                                scope.get("path"))
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await too_large(scope, receive, send)
            return
        received, started, refused = 0, False, False

        async def counting_receive():
            # Past the limit, answer 413 at once and tell the app the client has gone.
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit and not started:
                    refused = True
                    await too_large(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message):
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counting_receive, guarded_send)
