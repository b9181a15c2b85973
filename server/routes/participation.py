"""``POST /api/participation``: facts from self-guided visits, stored once each and
acknowledged only after the commit.

Each fact is stored under the id its client chose scoped to the member
(``protocol.participation.stored_id``), as in a live tour: a retry is stored once, and no
member can take an id the server or another member uses."""

from __future__ import annotations

import time

from aiohttp import web

from protocol.api import ParticipationBatch, ParticipationReceipt
from protocol.participation import stale_or_future, stored_id
from server.auth import EVERYONE, require
from server.errors import json_error
from server.keys import CREDITS, LEARNING, SESSIONS
from server.participation_store import row, store
from server.validation import body

routes = web.RouteTableDef()
MAX_BATCH_BYTES = 1024 * 1024
"""A batch holds at most 500 facts of a few hundred bytes each."""


@routes.post("/api/participation")
async def deliver(request: web.Request) -> web.Response:
    principal = require(request, *EVERYONE)
    batch = await body(request, ParticipationBatch, limit=MAX_BATCH_BYTES)
    now = time.time()
    refused = [{"field": f"facts.{i}.at", "message": why}
               for i, f in enumerate(batch.facts) if (why := stale_or_future(f.at, now))]
    if refused:
        raise json_error(400, "invalid request body", fields=refused)
    rows = [row(stored_id(principal.user_id, f.id), principal.user_id, f.kind, f.at,
                f.model_dump(mode="json")) for f in batch.facts]
    fresh = await store(request.app[SESSIONS], rows, request.app[LEARNING])
    request.app[CREDITS].consider_soon(fresh)
    return web.json_response(ParticipationReceipt(received=len(rows), stored=len(fresh))
                             .model_dump())
