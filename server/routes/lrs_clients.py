"""Admins issue and revoke the Basic credentials LRS clients use on ``/xapi``."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, update

from server.audit import record
from server.auth import require
from server.db.models import XapiClient
from server.db.types import utcnow
from server.errors import json_error
from server.keys import LRS_CLIENTS, SESSIONS
from server.lrs.clients import create_client
from server.validation import body

routes = web.RouteTableDef()


class NewClient(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(default_factory=lambda: ["write", "read"],
                              description="write, read (every statement) or read_mine "
                                          "(only what it stored)")


@routes.post("/api/lrs-clients")
async def create(request: web.Request) -> web.Response:
    principal = require(request, "admin")
    data = await body(request, NewClient)
    try:
        key, secret = await create_client(request.app[SESSIONS], data.name, tuple(data.scopes))
    except ValueError as exc:
        raise json_error(400, str(exc)) from None
    async with request.app[SESSIONS].begin() as db:
        record(db, principal, "lrs_client.create", f"lrs_client:{key}", scopes=data.scopes)
    return web.json_response({"key": key, "secret": secret, "name": data.name,
                              "scopes": data.scopes,
                              "note": "the secret is shown once; use key:secret as HTTP Basic "
                                      "credentials on /xapi"}, status=201)


@routes.get("/api/lrs-clients")
async def listing(request: web.Request) -> web.Response:
    require(request, "admin")
    async with request.app[SESSIONS]() as db:
        rows = (await db.scalars(select(XapiClient).order_by(XapiClient.id))).all()
    return web.json_response([{"key": c.key, "name": c.name, "scopes": c.scopes.split(),
                               "revoked": c.revoked_at is not None} for c in rows
                              if c.user_id is None])


@routes.delete("/api/lrs-clients/{key}")
async def revoke(request: web.Request) -> web.Response:
    principal = require(request, "admin")
    key = request.match_info["key"]
    async with request.app[SESSIONS].begin() as db:
        done = await db.execute(update(XapiClient).where(
            XapiClient.key == key, XapiClient.revoked_at.is_(None)).values(revoked_at=utcnow()))
        if done.rowcount == 0:  # type: ignore[attr-defined]
            raise json_error(404, f"no active LRS client {key}")
        record(db, principal, "lrs_client.revoke", f"lrs_client:{key}")
    request.app[LRS_CLIENTS].forget()
    return web.Response(status=204)
