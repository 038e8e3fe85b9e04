"""CKAN Action API v3 over HTTP: ``/api/3/action/<name>`` (and ``/api/action/<name>``, which
ckanapi calls), GET with query parameters or POST with a JSON or form body, answers in CKAN's
envelope ``{"help", "success", "result"}`` and errors as CKAN gives them (not RFC 9457: these
clients read CKAN's shape)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.concurrency import run_in_threadpool

from catalogue import auth, ckan
from catalogue.api.deps import SessionDep, base_url
from catalogue.errors import CatalogueError, Invalid
from catalogue.schemas import has_nul

router = APIRouter(tags=["ckan"])

# HTTP status → CKAN error type.
ERROR_TYPES = {400: "Search Query Error", 401: "Authorization Error",
               403: "Authorization Error", 404: "Not Found Error", 409: "Validation Error",
               422: "Validation Error"}


class BadRequest(Exception):
    """A request CKAN would refuse before running the action (unknown action, bad body)."""


def _answer(help_url: str, status: int, result: Any = None,
            error: dict | None = None) -> JSONResponse:
    body = {"help": help_url, "success": error is None}
    if error is None:
        body["result"] = result
    else:
        body["error"] = error
    return JSONResponse(body, status_code=status)


def _error(error: CatalogueError) -> tuple[int, dict]:
    status = {401: 403, 422: 409}.get(error.status, error.status)
    kind = ERROR_TYPES.get(status, "Validation Error")
    body = {"__type": kind, "message": f"{kind}: {error.detail}"}
    if status == 409:  # CKAN's validation errors map each field to its messages
        for item in error.errors:
            body.setdefault(item["field"], []).append(item["message"])
    return status, body


async def _params(request: Request) -> dict[str, Any]:
    """Query parameters, overridden by a JSON object or form body."""
    params: dict[str, Any] = dict(request.query_params)
    if request.method != "POST":
        return params
    body = await request.body()
    if not body.strip():
        return params
    if request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        return params | {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        data = json.loads(body)
    except ValueError as error:
        raise BadRequest(f"Bad request - JSON Error: {error}") from None
    if not isinstance(data, dict):
        raise BadRequest("Bad request - JSON Error: un objet JSON est attendu.")
    return params | data


def _actor(session, request: Request) -> auth.Actor:
    """CKAN clients send the bare token in ``Authorization`` (or ``X-CKAN-API-Key``);
    ``Bearer <token>`` is accepted too."""
    header = (request.headers.get("authorization")
              or request.headers.get("x-ckan-api-key") or "").strip()
    if not header:
        return auth.ANONYMOUS
    scheme, _, rest = header.partition(" ")
    token = rest.strip() if scheme.lower() == "bearer" else header
    return auth.authenticate(session, token)


def _run(session, name: str, params: dict, request: Request, base: str) -> Any:
    if has_nul(params):
        raise Invalid("Les paramètres ne peuvent pas contenir de caractère NUL.")
    call = ckan.Call(params=params, actor=_actor(session, request), base=base)
    try:
        return ckan.run(session, name, call)
    except DataError:
        session.rollback()
        raise Invalid("Paramètre hors des valeurs admises par la base de données.") from None


async def action(name: str, request: Request, session: SessionDep):
    """Read actions of CKAN's Action API: status_show, package_list, package_search,
    package_show, resource_show, current_package_list_with_resources, organization_list,
    organization_show, group_list, group_show (themes), tag_list, license_list, help_show."""
    base = base_url(request)
    help_url = f"{base}/api/3/action/help_show?name={name}"
    try:
        if name not in ckan.ACTIONS:
            raise BadRequest(f"Bad request - Action name not known: {name}")
        params = await _params(request)
        result = await run_in_threadpool(_run, session, name, params, request, base)
    except BadRequest as error:
        return _answer(help_url, 400, error={"__type": "Bad Request", "message": str(error)})
    except CatalogueError as error:
        status, body = _error(error)
        return _answer(help_url, status, error=body)
    return _answer(help_url, 200, result)


# ckanapi calls /api/action/…, the unversioned path CKAN also serves.
for _path in ("/api/3/action/{name}", "/api/action/{name}"):
    for _method in ("GET", "POST"):
        router.add_api_route(
            _path, action, methods=[_method], summary=f"CKAN Action API v3 ({_method})",
            operation_id=f"ckan_{_method.lower()}{'_v3' if '/3/' in _path else ''}",
            include_in_schema="/3/" in _path)
