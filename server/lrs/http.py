"""What every xAPI resource shares: the request as one :class:`Call` (whether it came as
itself or through the alternate request syntax), the version header, Basic auth, JSON
parsing that refuses repeated keys, and parameter parsing."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from multidict import CIMultiDict

from server.errors import xapi_response
from server.failures import WithStatus
from server.keys import LRS_CLIENTS
from server.lrs.clients import Client
from server.lrs.rules import StatementError, timestamp
from server.validation import read_limited

MAX_BODY = 8 * 1024**2
MAX_DEPTH = 64  # nesting of JSON objects and lists (extensions are free-form)
_ALTERNATE_HEADERS = {"authorization", "x-experience-api-version", "content-type",
                      "content-length", "if-match", "if-none-match"}
# what the alternate syntax also reads from the request's own headers
_REAL_HEADERS = {"authorization", "x-experience-api-version", "if-match", "if-none-match",
                 "accept-language"}


class XapiError(WithStatus):
    """A request an xAPI resource refuses, with the status the specification gives it;
    answered by :func:`answer` through :func:`server.errors.xapi_response`."""


@dataclass
class Call:
    """One xAPI request, whether it came as itself or through the alternate syntax."""

    app: web.Application
    method: str
    params: dict[str, str]
    headers: Mapping[str, str]
    body: bytes
    version: str = "1.0.3"


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        keys = sorted(key for key, _ in pairs)
        raise StatementError(f"the JSON object repeats a key ({', '.join(keys)})")
    return found


def _no_constants(name: str) -> Any:
    raise StatementError(f"{name} is not a JSON value")


def parse_json(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise XapiError(400, "the body must be UTF-8 JSON") from None
    if "\x00" in text or "\\u0000" in text:
        raise XapiError(400, "text may not contain NUL characters (\\u0000)")
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates,
                           parse_constant=_no_constants)
    except StatementError as exc:
        raise XapiError(400, str(exc)) from None
    except RecursionError:
        raise XapiError(400, f"JSON is nested at most {MAX_DEPTH} levels deep") from None
    except ValueError as exc:
        raise XapiError(400, f"the body is not valid JSON: {exc}") from None
    _check_tree(value, surrogates="\\u" in text.lower())
    return value


def _check_tree(value: Any, *, surrogates: bool) -> None:
    """Refuses JSON nested deeper than ``MAX_DEPTH`` and, with ``surrogates``, strings
    with an unpaired surrogate (escaped as \\udXXX: no Unicode character, and no database
    stores it). Iterative, so any depth json.loads allows is looked at safely."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise XapiError(400, f"JSON is nested at most {MAX_DEPTH} levels deep")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack += [(child, depth + 1) for child in children]
        elif surrogates and isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise XapiError(400, "text may not contain unpaired surrogates "
                                     "(\\ud800-\\udfff): they are no Unicode characters"
                                ) from None


def flag(params: dict[str, str], name: str) -> bool:
    value = params.get(name, "false")
    if value not in ("true", "false"):
        raise XapiError(400, f"{name} must be true or false")
    return value == "true"


def time_param(params: dict[str, str], name: str) -> datetime | None:
    if name not in params:
        return None
    try:
        timestamp(params[name], name)
        value = datetime.fromisoformat(params[name])
    except (StatementError, ValueError) as exc:
        raise XapiError(400, f"{name} must be an ISO 8601 timestamp ({exc})") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def version(headers: Mapping[str, str]) -> str:
    given = headers.get("X-Experience-API-Version")
    if given is None:
        raise XapiError(400, "send the X-Experience-API-Version header (1.0.3 or 2.0.0)")
    parts = given.split(".")
    if parts[:2] == ["1", "0"] and len(parts) <= 3 and all(p.isdigit() for p in parts):
        return "1.0.3"
    if parts[:2] == ["2", "0"] and len(parts) == 3 and parts[2].isdigit():
        return "2.0.0"
    raise XapiError(400, f"X-Experience-API-Version {given!r} is not supported; "
                         "use 1.0.x or 2.0.x")


async def client_of(call: Call) -> Client:
    header = call.headers.get("Authorization")
    if not header:
        raise XapiError(401, "authenticate with HTTP Basic credentials of an LRS client")
    client = await call.app[LRS_CLIENTS].authenticate(header)
    if client is None:
        raise XapiError(401, "unknown, revoked or expired LRS credentials")
    return client


async def read_body(request: web.Request) -> bytes:
    """The body, at most MAX_BODY bytes, declared or chunked: 413 beyond, the rest unread."""
    return await read_limited(request, MAX_BODY)


async def alternate(request: web.Request,
                    methods: tuple[str, ...] = ("GET", "PUT", "POST")) -> Call:
    """The alternate request syntax: POST ?method=X with parameters and content as form
    fields (for clients that can send neither PUT nor custom headers). Authorization, the
    version and the preconditions may come as form fields or as real request headers; a
    form field wins. The content's type is only ever a form field (the request's own
    Content-Type is the form's)."""
    method = request.query["method"].upper()
    if len(request.query) > 1 or method not in methods:
        return Call(request.app, "POST", {"method": method, **dict(request.query)},
                    request.headers, b"")  # rejected by the parameter checks
    fields = dict(parse_qsl((await read_body(request)).decode("utf-8", "replace"),
                            keep_blank_values=True))
    headers: CIMultiDict[str] = CIMultiDict(
        (name, value) for name, value in request.headers.items()
        if name.lower() in _REAL_HEADERS)
    params: dict[str, str] = {}
    content = fields.pop("content", "")
    for name, value in fields.items():
        if name.lower() in _ALTERNATE_HEADERS:
            headers[name] = value  # replaces a real header of that name
        else:
            params[name] = value
    headers.setdefault("Content-Type", "application/json")
    return Call(request.app, method, params, headers, content.encode("utf-8"))


Handler = Callable[[Call, Client], Awaitable[web.StreamResponse]]


def may_read(client: Client, what: str) -> None:
    if not client.scopes & {"read", "read_mine"}:
        raise XapiError(403, f"LRS client {client.name!r} may not read {what}")


def may_write(client: Client, what: str) -> None:
    if "write" not in client.scopes:
        raise XapiError(403, f"LRS client {client.name!r} may not {what}")


async def answer(call: Call, handle: Handler) -> web.StreamResponse:
    """Checks the version header and the credentials, runs ``handle``, and turns an
    :class:`XapiError` into its status, a :class:`StatementError` into 400, each with
    ``{"error": reason}`` (by :func:`server.errors.xapi_response`)."""
    try:
        call.version = version(call.headers)
        client = await client_of(call)
        response = await handle(call, client)
    except (XapiError, StatementError) as exc:  # StatementError: a malformed statement,
        return xapi_response(exc, call.version)  # agent, IRI, UUID or part
    response.headers["X-Experience-API-Version"] = call.version
    return response


def request_call(request: web.Request, method: str, body: bytes) -> Call:
    return Call(request.app, method, dict(request.query), request.headers, body)
