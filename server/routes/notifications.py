"""The caller's own portal notices: list them (newest first, a page at a time, with the
unread count), mark one read, mark all read. Another member's notice is not found."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from server.auth import EVERYONE, require
from server.failures import BadRequest, NotFound
from server.keys import SESSIONS, SETTINGS
from server.notify.inbox import as_json, mark_all_read, mark_read, read_page, unread_count
from server.validation import MAX_ID, path_id
from server.web.rendering import asked_language

routes = web.RouteTableDef()
PAGE_SIZE, MAX_PAGE_SIZE = 20, 100


def _whole(request: web.Request, name: str, default: int | None, high: int) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10 and 1 <= int(raw) <= high):
        raise BadRequest(f"{name} must be a whole number from 1 to {high}, not {raw[:20]!r}")
    return int(raw)


@routes.get("/api/notifications")
async def my_notifications(request: web.Request) -> web.Response:
    """``?limit=`` (1..100, 20) notices older than ``?before=`` (a notice id), newest
    first; ``older`` is the ``before`` of the next page (null on the last)."""
    principal = require(request, *EVERYONE)
    limit = _whole(request, "limit", PAGE_SIZE, MAX_PAGE_SIZE)
    before = _whole(request, "before", None, MAX_ID)
    assert limit is not None
    async with request.app[SESSIONS]() as db:
        page = await read_page(db, principal.user_id, before=before, limit=limit)
    lang, site = asked_language(request), request.app[SETTINGS].site_url
    body: dict[str, Any] = {"items": [as_json(n, lang, site) for n in page.notices],
                            "unread": page.unread, "older": page.older}
    return web.json_response(body, headers={"Content-Language": lang,
                                            "Cache-Control": "no-store"})


@routes.post("/api/notifications/{id:[0-9]{1,10}}/read")
async def read_one(request: web.Request) -> web.Response:
    principal = require(request, *EVERYONE)
    notice_id = path_id(request, "notification")
    async with request.app[SESSIONS].begin() as db:
        if not await mark_read(db, principal.user_id, notice_id):
            raise NotFound("no such notification")
        await db.flush()
        unread = await unread_count(db, principal.user_id)
    return web.json_response({"ok": True, "id": notice_id, "unread": unread})


@routes.post("/api/notifications/read-all")
async def read_all(request: web.Request) -> web.Response:
    principal = require(request, *EVERYONE)
    async with request.app[SESSIONS].begin() as db:
        marked = await mark_all_read(db, principal.user_id)
        unread = await unread_count(db, principal.user_id)
    return web.json_response({"ok": True, "marked": marked, "unread": unread})
