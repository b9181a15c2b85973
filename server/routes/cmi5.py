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
from urllib.parse import urlencode

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, update

from server.auth import EVERYONE, require
from server.db.models import Cmi5Launch, User
from server.db.types import utcnow
from server.errors import json_error
from server.keys import LEARNING, SESSIONS
from server.lrs.clients import create_client
from server.lrs.facts import tour_registration
from server.validation import body

routes = web.RouteTableDef()
TOKEN_HOURS = 12


class LaunchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user: int | None = Field(default=None, description="whom to launch for (default: you)")
    exhibit: str | None = Field(default=None, pattern=r"^[a-z0-9-]+$")
    tour: int | None = None


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
    async with request.app[SESSIONS].begin() as db:
        db.add(Cmi5Launch(fetch_hash=_digest(secret), user_id=user_id,
                          registration=registration, activity_id=activity))
    params = {"endpoint": f"{site.url}/xapi/", "fetch": f"{site.url}/xapi/cmi5/fetch/{secret}",
              "actor": json.dumps(site.member(user_id), separators=(",", ":")),
              "registration": registration, "activityId": activity}
    return web.json_response({**params, "launch": f"{site.url}/launch?{urlencode(params)}"},
                             status=201)


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
