"""cmi5 launches: this server as the LMS side for a visit or a tour. A launch gives the
engine ``endpoint``, ``fetch``, ``actor``, ``registration`` and ``activityId``; the fetch
address hands out one short-lived LRS credential, once."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import uuid
from datetime import timedelta
from typing import Any, Literal
from urllib.parse import urlencode

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, update

from server.auth import EVERYONE, require
from server.db.models import Cmi5Launch, User
from server.db.types import utcnow
from server.errors import json_error
from server.keys import LEARNING, SESSIONS
from server.lrs import documents, in_flight, store
from server.lrs.clients import create_client
from server.lrs.documents import Conditions, Scope
from server.lrs.facts import tour_registration
from server.lrs.shape import agent_key
from server.lrs.store import Writer
from server.validation import body

routes = web.RouteTableDef()
TOKEN_HOURS = 12
SESSION_ID = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
LAUNCH_MODE = "https://w3id.org/xapi/cmi5/context/extensions/launchmode"
CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5"


class LaunchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user: int | None = Field(default=None, description="whom to launch for (default: you)")
    exhibit: str | None = Field(default=None, pattern=r"^[a-z0-9-]+$")
    tour: int | None = None
    launch_mode: Literal["Normal", "Browse", "Review"] = Field(
        default="Normal", description="Browse and Review sessions earn nothing")
    move_on: Literal["Passed", "Completed", "CompletedAndPassed", "CompletedOrPassed",
                     "NotApplicable"] = "CompletedOrPassed"
    mastery_score: float | None = Field(default=None, ge=0, le=1, description="the scaled "
                                        "score that passes (default: the scene's quiz mark)")
    return_url: str | None = Field(default=None, max_length=2048)


def launch_data(data: LaunchRequest, activity: str, session_id: str) -> dict[str, Any]:
    """``LMS.LaunchData``: what the unit must put in every statement and how it is judged."""
    launch: dict[str, Any] = {
        "contextTemplate": {
            "contextActivities": {"grouping": [{"objectType": "Activity", "id": activity}]},
            "extensions": {SESSION_ID: session_id}},
        "launchMode": data.launch_mode, "moveOn": data.move_on}
    if data.mastery_score is not None:
        launch["masteryScore"] = data.mastery_score
    if data.return_url:
        launch["returnURL"] = data.return_url
    return launch


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@routes.post("/api/cmi5/launches")
async def launch(request: web.Request) -> web.Response:
    principal = require(request, *EVERYONE)
    data = await body(request, LaunchRequest)
    if (data.exhibit is None) == (data.tour is None):
        raise json_error(400, "launch either an exhibit (self-guided) or a tour")
    user_id = data.user or principal.user_id
    async with request.app[SESSIONS]() as db:
        user = await db.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise json_error(404, f"no user {user_id}")
    if user_id != principal.user_id and not (
            principal.role == "admin" or (principal.role == "guide" and
                                          user.org_id == principal.org_id)):
        raise json_error(403, "you may launch for yourself and, as a guide, your branch")
    site = request.app[LEARNING].site
    if data.tour is not None:
        activity, registration = site.tour_id(data.tour), tour_registration(data.tour)
    else:
        activity, registration = site.activity_id(data.exhibit or ""), str(uuid.uuid4())
    secret = secrets.token_urlsafe(32)
    session_id = str(uuid.uuid4())
    actor = site.member(user_id)
    await documents.write(
        request.app[SESSIONS], Scope("state", activity, agent_key(actor)), registration,
        "LMS.LaunchData", json.dumps(launch_data(data, activity, session_id)).encode(),
        "application/json", Conditions(), merge=False, must_be_conditional=False)
    await store.ingest(request.app[SESSIONS], [_launched(actor, activity, registration,
                                                         session_id, data.launch_mode)],
                       Writer(None, site.authority), forward=request.app[LEARNING].forward)
    # the launch becomes fetchable last, once everything it points at is in place
    async with request.app[SESSIONS].begin() as db:
        db.add(Cmi5Launch(fetch_hash=_digest(secret), user_id=user_id,
                          registration=registration, activity_id=activity))
    params = {"endpoint": f"{site.url}/xapi/", "fetch": f"{site.url}/xapi/cmi5/fetch/{secret}",
              "actor": json.dumps(site.member(user_id), separators=(",", ":")),
              "registration": registration, "activityId": activity}
    return web.json_response({**params, "launch": f"{site.url}/launch?{urlencode(params)}"},
                             status=201)


def _launched(actor: dict[str, Any], activity: str, registration: str, session_id: str,
              mode: str) -> dict[str, Any]:
    """The LMS's own record of the launch (cmi5 requires it before the unit starts)."""
    return {"id": str(uuid.uuid4()), "actor": actor,
            "verb": {"id": "http://adlnet.gov/expapi/verbs/launched",
                     "display": {"en-US": "launched"}},
            "object": {"objectType": "Activity", "id": activity},
            "context": {"registration": registration,
                        "contextActivities": {"category": [{"id": CMI5_CATEGORY}]},
                        "extensions": {SESSION_ID: session_id,
                                       LAUNCH_MODE: mode}},
            "timestamp": in_flight.stored_now()[1]}


def _error(code: str, text: str) -> web.Response:
    return web.json_response({"error-code": code, "error-text": text})


@routes.post("/xapi/cmi5/fetch/{secret}")
async def fetch(request: web.Request) -> web.Response:
    """The cmi5 fetch URL: the first POST gets the credential, any later one error 1."""
    digest = _digest(request.match_info["secret"])
    async with request.app[SESSIONS].begin() as db:
        claimed = await db.execute(update(Cmi5Launch).where(
            Cmi5Launch.fetch_hash == digest, Cmi5Launch.fetched_at.is_(None))
            .values(fetched_at=utcnow()))
        launch = await db.scalar(select(Cmi5Launch).where(Cmi5Launch.fetch_hash == digest))
    if launch is None:
        return _error("3", "unknown launch")
    if claimed.rowcount == 0:  # type: ignore[attr-defined]
        return _error("1", "this launch's token was already fetched")
    if utcnow() - launch.created_at > timedelta(hours=TOKEN_HOURS):
        return _error("2", "this launch has expired; launch again")
    key, secret = await create_client(request.app[SESSIONS], f"cmi5 launch {launch.id}",
                                      ("write", "read_mine"), user_id=launch.user_id,
                                      expires_at=utcnow() + timedelta(hours=TOKEN_HOURS))
    return web.json_response({"auth-token": base64.b64encode(f"{key}:{secret}".encode())
                              .decode()})
