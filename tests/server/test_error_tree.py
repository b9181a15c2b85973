"""The server has one error tree under the project's root error, and one table that turns
it into HTTP statuses, xAPI answers and websocket close codes."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy.exc import TimeoutError as PoolTimeout

from protocol import tour as wire
from protocol.errors import RedhallError
from server.errors import close_code, error_middleware, http_status, xapi_response
from server.failures import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    ServerError,
    TooLarge,
    Unauthorized,
    Unsupported,
)
from server.live.loading import NoSuchTour, TourOver
from server.live.room import Refused
from server.lrs.documents import DocumentError
from server.lrs.http import XapiError
from server.lrs.rules import StatementError
from server.lrs.store import StatementConflict
from server.routes.live import _Closed

SERVER = Path(__file__).resolve().parents[2] / "server"
# control flow inside one route, never raised past it to a client
INTERNAL = {"server.routes.live._Gone"}


def _modules() -> list[str]:
    names = []
    for path in sorted(SERVER.rglob("*.py")):
        parts = path.relative_to(SERVER.parent).with_suffix("").parts
        if "migrations" in parts:
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_every_server_exception_derives_from_the_root() -> None:
    found = {}
    for name in _modules():
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseException) and cls.__module__ == name:
                found[f"{name}.{cls.__qualname__}"] = cls
    assert "server.lrs.rules.StatementError" in found  # the walk reached the subpackages
    assert "server.live.room.Refused" in found
    strays = sorted(name for name, cls in found.items()
                    if not issubclass(cls, RedhallError) and name not in INTERNAL)
    assert strays == []


def test_the_domain_errors_keep_their_names_under_the_tree() -> None:
    assert issubclass(StatementError, BadRequest) and issubclass(StatementError, ValueError)
    assert issubclass(StatementConflict, Conflict)
    assert issubclass(DocumentError, XapiError) and issubclass(XapiError, ServerError)
    assert issubclass(Refused, Forbidden)
    assert issubclass(NoSuchTour, NotFound) and issubclass(TourOver, Conflict)
    assert issubclass(ServerError, RedhallError)


def _references_http_errors(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr.startswith("HTTP") \
                and isinstance(node.value, ast.Name) and node.value.id == "web":
            found.append(f"web.{node.attr}")
        elif isinstance(node, ast.Name) and node.id == "json_error":
            found.append("json_error")
        elif isinstance(node, ast.ImportFrom) and node.module is not None \
                and node.module.startswith("aiohttp"):
            found += [alias.name for alias in node.names
                      if alias.name.startswith("HTTP") or alias.name == "web_exceptions"]
        elif isinstance(node, ast.alias) and node.name == "json_error":
            found.append("json_error")
    return found


def test_only_routes_and_the_error_middleware_speak_http_errors() -> None:
    offenders = {}
    for path in sorted(SERVER.rglob("*.py")):
        relative = path.relative_to(SERVER)
        if relative.parts[0] == "routes" or relative == Path("errors.py"):
            continue
        found = _references_http_errors(path.read_text(encoding="utf-8"))
        if found:
            offenders[str(relative)] = found
    assert offenders == {}


def test_the_scan_sees_what_it_looks_for() -> None:
    assert _references_http_errors("from server.errors import json_error\n"
                                   "raise web.HTTPNotFound()\n") == ["json_error",
                                                                      "web.HTTPNotFound"]


@pytest.mark.parametrize(("error", "status"), [
    (BadRequest("bad"), 400), (Unauthorized("who"), 401), (Forbidden("no"), 403),
    (NotFound("none"), 404), (Conflict("taken"), 409), (TooLarge("big", 10), 413),
    (StatementError("x: bad"), 400), (StatementConflict("abc"), 409),
    (XapiError(416, "range"), 416), (DocumentError(412, "etag"), 412),
])
def test_each_intent_has_one_status(error: ServerError, status: int) -> None:
    assert http_status(error) == status


async def test_a_not_found_is_answered_as_404_json(aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    async def missing(request: web.Request) -> web.Response:
        raise NotFound("no such tour")

    async def bad(request: web.Request) -> web.Response:
        raise BadRequest("invalid request body", fields=[{"field": "x", "message": "no"}])

    app = web.Application(middlewares=[error_middleware])
    app.router.add_get("/missing", missing)
    app.router.add_get("/bad", bad)
    client: TestClient = await aiohttp_client(app)
    response = await client.get("/missing")
    assert response.status == 404
    assert response.content_type == "application/json"
    assert await response.json() == {"error": "no such tour"}
    response = await client.get("/bad")
    assert response.status == 400
    assert await response.json() == {"error": "invalid request body",
                                     "fields": [{"field": "x", "message": "no"}]}


async def test_a_rush_on_the_database_pool_is_503_with_retry_after(aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    async def rushed(request: web.Request) -> web.Response:
        raise PoolTimeout("QueuePool limit of size 10 overflow 20 reached")

    app = web.Application(middlewares=[error_middleware])
    app.router.add_get("/api/rushed", rushed)
    client: TestClient = await aiohttp_client(app)
    response = await client.get("/api/rushed")
    assert response.status == 503 and response.headers["Retry-After"] == "5"
    assert "busy" in (await response.json())["error"]


def test_on_the_xapi_path_an_error_carries_the_version_header() -> None:
    response = xapi_response(NotFound("no document 'a' here"), "2.0.0")
    assert response.status == 404
    assert response.headers["X-Experience-API-Version"] == "2.0.0"
    assert response.text == '{"error": "no document \'a\' here"}'
    response = xapi_response(DocumentError(412, "If-Match does not match"), "1.0.3")
    assert response.status == 412
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


def test_a_websocket_refusal_closes_with_its_code() -> None:
    refusal = wire.Error(code="not_allowed", message="the tour is full")
    assert close_code(Refused(refusal)) == 1008
    assert _Closed(Refused(refusal), refusal).code == 1008
    assert _Closed(Unauthorized, refusal).code == 1008
    assert _Closed(TooLarge, refusal).code == 1009
    assert _Closed(Unsupported, refusal).code == 1003
