"""The LRS's document resources — ``/xapi/activities/state``, ``/xapi/activities/profile``,
``/xapi/agents/profile`` — and the ``/xapi/activities`` and ``/xapi/agents`` lookups.

cmi5 reads its launch data (``LMS.LaunchData``) from the State resource; other xAPI
content keeps bookmarks and preferences there."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from email.utils import format_datetime

from aiohttp import web

from server.keys import SESSIONS
from server.lrs import documents
from server.lrs.activities import activity as canonical_activity
from server.lrs.clients import Client
from server.lrs.documents import Conditions, Scope
from server.lrs.http import (
    MAX_BODY,
    Call,
    XapiError,
    alternate,
    answer,
    may_read,
    may_write,
    parse_json,
    read_body,
    request_call,
    time_param,
)
from server.lrs.rules import StatementError, actor, agent, iri, uuid
from server.lrs.shape import agent_key

routes = web.RouteTableDef()


@dataclass(frozen=True)
class Resource:
    name: str          # documents.RESOURCES
    path: str
    id_param: str      # stateId or profileId
    by_activity: bool
    by_agent: bool

    @property
    def params(self) -> set[str]:
        names = {self.id_param, "since"}
        if self.by_activity:
            names.add("activityId")
        if self.by_agent:
            names.add("agent")
        if self.name == "state":
            names.add("registration")
        return names


STATE = Resource("state", "/xapi/activities/state", "stateId", True, True)
ACTIVITY_PROFILE = Resource("activity_profile", "/xapi/activities/profile", "profileId",
                            True, False)
AGENT_PROFILE = Resource("agent_profile", "/xapi/agents/profile", "profileId", False, True)


def _scope(resource: Resource, params: dict[str, str]) -> tuple[Scope, str | None]:
    unknown = set(params) - resource.params
    if unknown:
        raise XapiError(400, f"unknown parameters {', '.join(sorted(unknown))} for "
                             f"{resource.path} (names are case-sensitive)")
    needed = [name for name, wanted in (("activityId", resource.by_activity),
                                        ("agent", resource.by_agent))
              if wanted and name not in params]
    if needed:
        raise XapiError(400, f"{resource.path} needs the {needed[0]} parameter")
    activity = iri(params["activityId"], "activityId") if resource.by_activity else ""
    who = ""
    if resource.by_agent:
        parsed = parse_json(params["agent"].encode())
        # the State resource takes an Agent; profiles an Agent or identified Group
        who = agent_key(agent(parsed, "agent") if resource.name == "state"
                        else actor(parsed, "agent"))
        if not who:
            raise StatementError("agent: give an identified agent")
    registration = params.get("registration")
    if registration is not None:
        uuid(registration, "registration")
    return Scope(resource.name, activity, who), registration


def _conditions(call: Call) -> Conditions:
    return Conditions.from_headers(call.headers.get("If-Match"),
                                   call.headers.get("If-None-Match"))


async def _handle(resource: Resource, call: Call, client: Client) -> web.StreamResponse:
    scope, registration = _scope(resource, call.params)
    document_id = call.params.get(resource.id_param)
    sessions = call.app[SESSIONS]
    if call.method in ("GET", "HEAD"):
        may_read(client, "documents")
        if document_id is None:
            listed = await documents.ids(sessions, scope, registration,
                                         time_param(call.params, "since"))
            return web.json_response(listed)
        if "since" in call.params:
            raise XapiError(400, f"since goes only with a request for all ids, not with "
                                 f"{resource.id_param}")
        found = await documents.get(sessions, scope, registration or "", document_id)
        if found is None:
            raise XapiError(404, f"no document {document_id!r} here")
        return web.Response(body=found.content, headers={
            "Content-Type": found.content_type, "ETag": f'"{found.etag}"',
            "Last-Modified": format_datetime(found.updated, usegmt=True)})
    may_write(client, "change documents")
    if "since" in call.params:
        raise XapiError(400, "since is a GET parameter")
    if call.method == "DELETE":
        if document_id is None and resource.name != "state":
            raise XapiError(400, f"DELETE needs {resource.id_param}")
        await documents.remove(sessions, scope, registration, document_id,
                               _conditions(call))
        return web.Response(status=204)
    if document_id is None:
        raise XapiError(400, f"{call.method} needs the {resource.id_param} parameter")
    if len(call.body) > MAX_BODY:
        raise XapiError(413, f"documents are at most {MAX_BODY // 1024**2} MiB")
    content_type = call.headers.get("Content-Type", "application/octet-stream")
    etag = await documents.write(
        sessions, scope, registration or "", document_id, call.body, content_type,
        _conditions(call), merge=call.method == "POST",
        # xAPI 2.0 asks for a precondition on every document resource, 1.0.3 on profiles
        must_be_conditional=call.method == "PUT" and (resource.name != "state"
                                                      or call.version == "2.0.0"))
    return web.Response(status=204, headers={"ETag": f'"{etag}"'})


async def _answer(resource: Resource, call: Call) -> web.StreamResponse:
    return await answer(call, functools.partial(_handle, resource))


def _routes_for(resource: Resource) -> None:
    async def read(request: web.Request) -> web.StreamResponse:
        return await _answer(resource, request_call(request, request.method, b""))

    async def write(request: web.Request) -> web.StreamResponse:
        if request.method == "POST" and "method" in request.query:
            call = await alternate(request, ("GET", "PUT", "POST", "DELETE"))
        else:
            call = request_call(request, request.method, await read_body(request))
        return await _answer(resource, call)

    routes.get(resource.path)(read)
    routes.put(resource.path)(write)
    routes.post(resource.path)(write)
    routes.delete(resource.path)(write)


for _resource in (STATE, ACTIVITY_PROFILE, AGENT_PROFILE):
    _routes_for(_resource)


async def _activity(call: Call, client: Client) -> web.StreamResponse:
    may_read(client, "activities")
    if set(call.params) != {"activityId"}:
        raise XapiError(400, "/xapi/activities takes exactly the activityId parameter")
    activity_id = iri(call.params["activityId"], "activityId")
    found = await canonical_activity(call.app[SESSIONS], activity_id)
    return web.json_response(found or {"objectType": "Activity", "id": activity_id})


async def _person(call: Call, client: Client) -> web.StreamResponse:
    may_read(client, "agents")
    if set(call.params) != {"agent"}:
        raise XapiError(400, "/xapi/agents takes exactly the agent parameter")
    who = agent(parse_json(call.params["agent"].encode()), "agent")
    # this LRS does not merge identities, so the person is the agent itself
    person: dict[str, object] = {"objectType": "Person"}
    for key in ("name", "mbox", "mbox_sha1sum", "openid", "account"):
        if key in who:
            person[key] = [who[key]]
    return web.json_response(person)


@routes.get("/xapi/activities")
async def activities(request: web.Request) -> web.StreamResponse:
    return await answer(request_call(request, request.method, b""), _activity)


@routes.get("/xapi/agents")
async def agents(request: web.Request) -> web.StreamResponse:
    return await answer(request_call(request, request.method, b""), _person)
