"""``POST /api/participation``: facts from self-guided visits, stored once each and
acknowledged only after the commit."""

from __future__ import annotations

from aiohttp import web

from protocol.api import ParticipationBatch, ParticipationReceipt
from server.auth import EVERYONE, require
from server.keys import CREDITS, LEARNING, SESSIONS
from server.participation_store import row, store
from server.validation import body

routes = web.RouteTableDef()


@routes.post("/api/participation")
async def deliver(request: web.Request) -> web.Response:
    principal = require(request, *EVERYONE)
    batch = await body(request, ParticipationBatch)
    rows = [row(str(f.id), principal.user_id, f.kind, f.at, f.model_dump(mode="json"))
            for f in batch.facts]
    fresh = await store(request.app[SESSIONS], rows, request.app[LEARNING])
    request.app[CREDITS].consider_soon(fresh)
    return web.json_response(ParticipationReceipt(received=len(rows), stored=len(fresh))
                             .model_dump())
