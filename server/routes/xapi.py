"""The xAPI Learning Record Store: ``/xapi/statements`` (PUT, POST, GET, HEAD, and the
alternate request syntax) and ``/xapi/about``, for xAPI 1.0.3 and 2.0.0 clients that
authenticate with HTTP Basic credentials (see ``redhall lrs-client``)."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from email.utils import format_datetime
from typing import Any

from aiohttp import web

from server.keys import SESSIONS, SETTINGS
from server.lrs import attachments, in_flight, store
from server.lrs.attachments import Part
from server.lrs.clients import Client
from server.lrs.http import (
    MAX_BODY,
    Call,
    XapiError,
    alternate,
    answer,
    flag,
    may_read,
    may_write,
    parse_json,
    read_body,
    request_call,
    time_param,
)
from server.lrs.rules import StatementError, actor, check_statement, iri, uuid
from server.lrs.shape import accept_languages, agent_key, formatted
from server.lrs.store import Query, StatementConflict, Writer

routes = web.RouteTableDef()

VERSIONS = ("1.0.3", "2.0.0")
_QUERY_PARAMS = {"agent", "verb", "activity", "registration", "related_activities",
                 "related_agents", "since", "until", "limit", "format", "attachments",
                 "ascending"}
_SINGLE_PARAMS = {"statementId", "voidedStatementId"}


def _statement_list(body: Any, parts: dict[str, Part], version: str) -> list[dict[str, Any]]:
    statements = body if isinstance(body, list) else [body]
    for i, statement in enumerate(statements):
        check_statement(statement, f"statements[{i}]" if isinstance(body, list)
                        else "statement")
    attachments.match(statements, parts)
    attachments.check_signatures(statements, parts, version)
    return statements


def _body(call: Call) -> tuple[Any, dict[str, Part]]:
    """The statements sent, and the attachment data sent with them (multipart/mixed)."""
    content_type = call.headers.get("Content-Type", "application/json")
    media = content_type.split(";")[0].strip().lower()
    if len(call.body) > MAX_BODY:
        raise XapiError(413, f"the body is over {MAX_BODY // 1024**2} MiB; send smaller batches")
    if media == "multipart/mixed":
        raw, parts = attachments.split(call.body, content_type)
        return parse_json(raw), parts
    if media != "application/json":
        raise XapiError(400, "statements are sent as application/json, or as multipart/mixed "
                             f"with attachment data; not as {media}")
    return parse_json(call.body), {}


def _writer(call: Call, client: Client) -> Writer:
    may_write(client, "store statements")
    return Writer(client.id, client.authority(call.app[SETTINGS].site_url),
                  "2.0.0" if call.version == "2.0.0" else "1.0.0")


async def _store(call: Call, client: Client, statements: list[dict[str, Any]],
                 parts: dict[str, Part]) -> list[str]:
    settings = call.app[SETTINGS]
    try:
        return await store.ingest(call.app[SESSIONS], statements, _writer(call, client),
                                  forward=settings.xapi_forward_url is not None,
                                  attachments=parts)
    except StatementConflict as exc:
        raise XapiError(409, str(exc)) from None


async def _put(call: Call, client: Client) -> web.Response:
    extra = set(call.params) - {"statementId"}
    if extra:
        raise XapiError(400, f"PUT takes only statementId, not {', '.join(sorted(extra))}")
    if "statementId" not in call.params:
        raise XapiError(400, "PUT needs the statementId parameter; POST stores without one")
    statement_id = uuid(call.params["statementId"], "statementId")
    body, parts = _body(call)
    if isinstance(body, list):
        raise XapiError(400, "PUT stores one statement; POST a list")
    if isinstance(body, dict):
        if body.get("id", statement_id) != statement_id:
            raise XapiError(400, "the statement's id differs from the statementId parameter")
        body = {**body, "id": statement_id}
    await _store(call, client, _statement_list(body, parts, call.version), parts)
    return web.Response(status=204)


async def _post(call: Call, client: Client) -> web.Response:
    if call.params:
        raise XapiError(400, f"POST takes no parameters, not {', '.join(sorted(call.params))}")
    body, parts = _body(call)
    ids = await _store(call, client, _statement_list(body, parts, call.version), parts) \
        if body != [] else []
    return web.json_response(ids)


def _query(call: Call, client: Client) -> Query:
    params = call.params
    agent = None
    if "agent" in params:
        agent = agent_key(actor(parse_json(params["agent"].encode()), "agent"))
        if not agent:
            raise StatementError("agent: an anonymous group cannot be searched for")
    for name in ("verb", "activity"):
        if name in params:
            iri(params[name], name)
    if "registration" in params:
        uuid(params["registration"], "registration")
    limit = params.get("limit", "0")
    if not (limit.isascii() and limit.isdigit()):
        raise XapiError(400, "limit must be a whole number (0 for the server's maximum)")
    limit = limit.lstrip("0")[:10] or "0"  # anything above the server's maximum is it
    return Query(agent=agent, verb=params.get("verb"), activity=params.get("activity"),
                 registration=params.get("registration"),
                 related_agents=flag(params, "related_agents"),
                 related_activities=flag(params, "related_activities"),
                 since=time_param(params, "since"), until=time_param(params, "until"),
                 limit=int(limit),
                 ascending=flag(params, "ascending"),
                 client_id=None if client.reads_all else client.id)


def _more_token(q: Query, fmt: str) -> str:
    fields = {k: (v.isoformat() if isinstance(v, datetime) else v)
              for k, v in q.__dict__.items() if v is not None}
    raw = json.dumps({"q": fields, "format": fmt}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _from_more(token: str, client: Client) -> tuple[Query, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        fields = data["q"]
        for name in ("since", "until"):
            if name in fields:
                fields[name] = datetime.fromisoformat(fields[name])
        q = Query(**fields)
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise XapiError(400, "the more token is not one this LRS gave out") from None
    if (q.client_id is not None and q.client_id != client.id) or \
            (q.client_id is None and not client.reads_all):
        raise XapiError(403, "this more token belongs to another client")
    return q, data["format"]


async def _get(call: Call, client: Client) -> web.StreamResponse:
    may_read(client, "statements")
    params = call.params
    known = _QUERY_PARAMS | _SINGLE_PARAMS | {"more"}
    unknown = set(params) - known
    if unknown:
        raise XapiError(400, f"unknown parameters {', '.join(sorted(unknown))} (names are "
                             "case-sensitive)")
    fmt = params.get("format", "exact")
    if fmt not in ("exact", "ids", "canonical"):
        raise XapiError(400, "format must be exact, ids or canonical")
    with_data = flag(params, "attachments")
    languages = accept_languages(call.headers.get("Accept-Language", ""))
    single = _SINGLE_PARAMS & set(params)
    if single:
        if len(single) > 1 or set(params) - single - {"format", "attachments"}:
            raise XapiError(400, "statementId and voidedStatementId go alone (with at most "
                                 "format and attachments)")
        return await _get_one(call, client, single.pop(), fmt, languages, with_data)
    if "more" in params:
        if len(params) > 1:
            raise XapiError(400, "a more token carries its query; send it alone")
        q, fmt = _from_more(params["more"], client)
    else:
        q = _query(call, client)
    bodies, more = await store.search(call.app[SESSIONS], q)
    text = ('{"statements":[' + ",".join(formatted(b, fmt, languages) for b in bodies) +
            '],"more":' + json.dumps(f"/xapi/statements?more={_more_token(more, fmt)}"
                                     if more else "") + "}")
    return await _document(call, text, bodies if with_data else None)


async def _get_one(call: Call, client: Client, name: str, fmt: str, languages: list[str],
                   with_data: bool) -> web.StreamResponse:
    statement_id = uuid(call.params[name], name)
    found = await store.one(call.app[SESSIONS], statement_id,
                            voided=name == "voidedStatementId",
                            client_id=None if client.reads_all else client.id)
    if found is None:
        raise XapiError(404, f"no {'voided ' if name == 'voidedStatementId' else ''}"
                             f"statement {statement_id}")
    body, stored = found
    response = await _document(call, formatted(body, fmt, languages),
                               [body] if with_data else None)
    response.headers["Last-Modified"] = format_datetime(stored, usegmt=True)
    return response


async def _document(call: Call, text: str, bodies: list[str] | None) -> web.Response:
    """The JSON answer; with ``attachments=true`` (``bodies`` given) a multipart answer
    that also carries the data of those statements' attachments."""
    if bodies is None:
        return web.Response(text=text, content_type="application/json")
    data, content_type = attachments.multipart(
        text, await store.attachment_data(call.app[SESSIONS], bodies))
    return web.Response(body=data, headers={"Content-Type": content_type})


async def _statements(call: Call, client: Client) -> web.StreamResponse:
    if call.method in ("GET", "HEAD"):
        return await _get(call, client)
    if call.method == "PUT":
        return await _put(call, client)
    return await _post(call, client)


async def _dispatch(call: Call) -> web.StreamResponse:
    if call.method not in ("GET", "HEAD"):
        return await answer(call, _statements)
    # taken before the query runs: whatever is committed by then, the query sees
    through = await in_flight.consistent_through_in(call.app[SESSIONS])
    response = await answer(call, _statements)
    response.headers["X-Experience-API-Consistent-Through"] = through
    return response


@routes.get("/xapi/statements")
async def get_statements(request: web.Request) -> web.StreamResponse:
    return await _dispatch(request_call(request, request.method, b""))


@routes.put("/xapi/statements")
async def put_statement(request: web.Request) -> web.StreamResponse:
    return await _dispatch(request_call(request, "PUT", await read_body(request)))


@routes.post("/xapi/statements")
async def post_statements(request: web.Request) -> web.StreamResponse:
    if "method" in request.query:
        return await _dispatch(await alternate(request))
    return await _dispatch(request_call(request, "POST", await read_body(request)))


@routes.get("/xapi/about")
async def about(request: web.Request) -> web.Response:
    response = web.json_response({"version": list(VERSIONS), "extensions": {}})
    response.headers["X-Experience-API-Version"] = VERSIONS[0]
    return response
