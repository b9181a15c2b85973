"""Liveness and metrics."""

from __future__ import annotations

import os

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from server.keys import SESSIONS
from server.metrics import REGISTRY

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    async with request.app[SESSIONS]() as db:
        await db.execute(text("select 1"))
    # the process: with `redhall serve --workers`, which worker answered
    return web.json_response({"ok": True, "pid": os.getpid()})


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    return web.Response(body=generate_latest(REGISTRY),
                        headers={"Content-Type": CONTENT_TYPE_LATEST})
