"""The ``/notifications`` page: the reader's inbox, newest first, each notice in the
reader's language with the link to the tours; unread ones marked, and marked read here
(one at a time or all at once, through the notifications API)."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from server.db.models import Notification
from server.keys import SESSIONS
from server.notify.inbox import read_page
from server.notify.wording import Wording, when, word
from server.validation import MAX_ID
from server.web.rendering import language, page_principal, render

routes = web.RouteTableDef()
PAGE_SIZE = 20


@dataclass(frozen=True)
class NoticeView:
    """A notice as the page shows it."""

    id: int
    words: Wording
    received: str  # ISO 8601 (UTC); the page writes it in the reader's own zone
    received_text: str  # the same in words, in UTC, until the script rewrites it
    read: bool


def _before(request: web.Request) -> int | None:
    """``?before=``: a notice id to page back from; anything else is the first page."""
    raw = request.query.get("before", "")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10):
        return None
    return int(raw) if 1 <= int(raw) <= MAX_ID else None


def _view(notice: Notification, lang: str) -> NoticeView:
    received = notice.created_at.isoformat()
    return NoticeView(notice.id, word(lang, notice.kind, notice.detail, ""), received,
                      when(lang, received), notice.read_at is not None)


@routes.get("/notifications")
async def inbox_page(request: web.Request) -> web.Response:
    principal = page_principal(request)
    before = _before(request)
    async with request.app[SESSIONS]() as db:
        page = await read_page(db, principal.user_id, before=before, limit=PAGE_SIZE)
    lang = language(request)
    return await render(request, "inbox/index.html",
                        notices=[_view(n, lang) for n in page.notices], unread=page.unread,
                        older=page.older, paged=before is not None)
