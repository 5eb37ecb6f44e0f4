"""Open311 GeoReport v2 routes under /open311/v2, in JSON or XML as the
path's extension says, with the specification's error format.

They are left out of the OpenAPI document on purpose: the published
specification (http://wiki.open311.org/GeoReport_v2) is their contract,
with its own error shape ([{code, description}]) rather than problem+json;
docs/public.md describes them. Admins issue and revoke the api_keys under
/api/v1/open311/apps (in the OpenAPI document, problem+json as usual).
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import HTTPException, ValidationException
from litestar.plugins.problem_details import ProblemDetailsException

from casework.access.auth import requires
from casework.errors import problem_of
from casework.open311 import service
from casework.open311.schemas import AppCreate, AppIssued, AppList, AppRead, Open311Error
from casework.public.schemas import APPLICATION_MAX_BYTES

# Litestar adds "; charset=utf-8" to a text/ type: naming it here too sent it twice.
MEDIA = {"json": "application/json", "xml": "text/xml"}
# The specification's XML element for each item of a list.
ITEM = {"endpoints": "endpoint", "formats": "format", "attributes": "attribute", "values": "value"}


def _element(parent: ElementTree.Element, tag: str, value: Any) -> None:
    node = ElementTree.SubElement(parent, tag)
    if isinstance(value, list):
        for item in value:
            _element(node, ITEM.get(tag, "item"), item)
    elif isinstance(value, dict):
        for key, inner in value.items():
            _element(node, key, inner)
    elif isinstance(value, bool):
        node.text = "true" if value else "false"
    elif value is not None:
        node.text = str(value)


def _xml(root: str, item: str | None, value: Any) -> bytes:
    tree = ElementTree.Element(root)
    builtins = msgspec.to_builtins(value)
    if item is None:
        for key, inner in builtins.items():
            _element(tree, key, inner)
    else:
        for entry in builtins:
            _element(tree, item, entry)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ElementTree.tostring(tree, encoding="unicode").encode()


def _split(name: str) -> tuple[str, str]:
    stem, dot, fmt = name.rpartition(".")
    if not dot or fmt not in MEDIA:
        raise service.Open311Failure(404, "add .json or .xml to the path")
    return stem, fmt


def _answer(value: Any, fmt: str, root: str, item: str | None, status: int = 200) -> Response[Any]:
    body = msgspec.json.encode(value) if fmt == "json" else _xml(root, item, value)
    return Response(body, media_type=MEDIA[fmt], status_code=status, headers={"Cache-Control": "no-store"})


def _failure(failure: service.Open311Failure, fmt: str) -> Response[Any]:
    return _answer([Open311Error(code=failure.code, description=failure.description)], fmt, "errors", "error",
                   status=failure.code)


def _spec_error(request: Request, exc: Exception) -> Response[Any]:
    """Whatever else refuses a request on these routes (the body limit, a
    malformed form, a value PostgreSQL cannot store, our own bug) is told in
    the specification's format too, with the status and logging the rest of
    the service gives it (errors.py)."""
    problem = problem_of(exc)
    fmt = request.url.path.rpartition(".")[2]
    response = _failure(service.Open311Failure(problem.status_code, problem.detail or ""),
                        fmt if fmt in MEDIA else "json")
    for name, value in (problem.headers or {}).items():  # Retry-After on a 503
        response.headers[name] = value
    return response


async def _serve(fmt_of: str, work: Any, root: str, item: str | None, status: int = 200) -> Response[Any]:
    fmt = fmt_of.rpartition(".")[2] if fmt_of.rpartition(".")[2] in MEDIA else "json"
    try:
        return _answer(await work(), fmt, root, item, status)
    except service.Open311Failure as failure:
        return _failure(failure, fmt)


class Open311Controller(Controller):
    path = "/open311/v2"
    include_in_schema = False
    opt = {"exclude_from_auth": True}
    # Every class the problem-details plugin handles app-wide, or the closer match there would win.
    exception_handlers = {kind: _spec_error for kind in (ProblemDetailsException, ValidationException,
                                                        HTTPException, Exception)}

    @get(["/discovery.json", "/discovery.xml"])
    async def discovery(self, request: Request) -> Response[Any]:
        base = str(request.base_url).rstrip("/")

        async def work() -> Any:
            return service.discovery(base)
        return await _serve(request.url.path, work, "discovery", None)

    @get(["/services.json", "/services.xml"])
    async def services(self, request: Request) -> Response[Any]:
        return await _serve(request.url.path, service.services, "services", "service")

    @get("/services/{name:str}")
    async def service_definition(self, request: Request, name: str) -> Response[Any]:
        async def work() -> Any:
            code, _fmt = _split(name)
            return await service.service_definition(code)
        return await _serve(name, work, "service_definition", None)

    @get(["/requests.json", "/requests.xml"])
    async def list_requests(self, request: Request) -> Response[Any]:
        params = {k: v for k, v in request.query_params.items()}

        async def work() -> Any:
            return await service.list_requests(params)
        return await _serve(request.url.path, work, "service_requests", "request")

    @post(["/requests.json", "/requests.xml"], status_code=201, request_max_body_size=APPLICATION_MAX_BYTES)
    async def create_request(self, request: Request) -> Response[Any]:
        async def work() -> Any:
            form = await request.form()
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
            return [await service.create_request(fields, request.client.host if request.client else "unknown")]
        return await _serve(request.url.path, work, "service_requests", "request", status=201)

    @get("/requests/{name:str}")
    async def get_request(self, request: Request, name: str) -> Response[Any]:
        async def work() -> Any:
            request_id, _fmt = _split(name)
            return await service.get_request(request_id)
        return await _serve(name, work, "service_requests", "request")

    @get("/tokens/{name:str}")
    async def token(self, request: Request, name: str) -> Response[Any]:
        async def work() -> Any:
            token_id, _fmt = _split(name)
            return await service.token(token_id)
        return await _serve(name, work, "service_requests", "request")


class Open311AppController(Controller):
    path = "/api/v1/open311/apps"
    tags = ["open311"]
    guards = [requires("open311.manage")]

    @get("/", summary="Apps allowed to file through Open311 (keys never shown again)")
    async def list_apps(self) -> AppList:
        return await service.list_apps()

    @post("/", status_code=201, summary="Register an app; its api_key is shown this once")
    async def issue_app(self, request: Request, data: AppCreate) -> AppIssued:
        return await service.issue_app(data, actor=request.user)

    @post("/{app_id:int}/revoke", status_code=200, summary="Revoke an app's api_key at once")
    async def revoke_app(self, request: Request, app_id: int) -> AppRead:
        return await service.revoke_app(app_id, actor=request.user)
