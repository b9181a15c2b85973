"""Each member's private iCalendar feed of their tours (subscribe once in any calendar).

Every event says how to join (the web link and the desktop engine's command); a moved
tour's event carries a higher SEQUENCE, and a cancelled one stays in the feed as
STATUS:CANCELLED so calendars take it off their day.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from aiohttp import web
from icalendar import Calendar, Event
from sqlalchemy import select

from server.auth import EVERYONE, require
from server.db.models import ExhibitVersion, Registration, Tour, User
from server.db.types import utcnow
from server.errors import json_error
from server.keys import SESSIONS
from server.tour_view import links, site_base

routes = web.RouteTableDef()


@routes.get("/api/me/calendar")
async def feed_address(request: web.Request) -> web.Response:
    """The caller's feed URL; its secret token is made on first request."""
    principal = require(request, *EVERYONE)
    async with request.app[SESSIONS].begin() as db:
        user = await db.get(User, principal.user_id)
        assert user is not None
        if user.calendar_token is None:
            user.calendar_token = secrets.token_urlsafe(24)
        token = user.calendar_token
    return web.json_response({"url": f"/calendar/{token}.ics"})


@routes.get("/calendar/{token:[A-Za-z0-9_-]{16,64}}.ics")
async def feed(request: web.Request) -> web.Response:
    async with request.app[SESSIONS]() as db:
        user = await db.scalar(select(User).where(
            User.calendar_token == request.match_info["token"], User.deleted_at.is_(None)))
        if user is None:
            raise json_error(404, "no such calendar")
        rows = (await db.execute(
            select(Tour, ExhibitVersion)
            .join(Registration, Registration.tour_id == Tour.id)
            .join(ExhibitVersion, ExhibitVersion.id == Tour.exhibit_version_id)
            .where(Registration.user_id == user.id, Registration.cancelled_at.is_(None))
            .order_by(Tour.starts_at))).all()
    calendar = Calendar()
    calendar.add("prodid", "-//RedHall//Tours//ZH")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "红色展馆 导览")
    host, base = request.host, site_base(request)
    for tour, version in rows:
        calendar.add_component(_event(tour, version, host, base))
    return web.Response(body=calendar.to_ical(), content_type="text/calendar", charset="utf-8",
                        headers={"Cache-Control": "private, max-age=300"})


def _event(tour: Tour, version: ExhibitVersion, host: str, base: str) -> Event:
    joining = links(base, tour, version)
    exhibit = f"{version.manifest['title']['zh-CN']} ({version.exhibit_id} {version.version})"
    event = Event()
    event.add("uid", f"tour-{tour.id}@{host}")
    event.add("dtstamp", utcnow())
    event.add("sequence", tour.sequence)
    event.add("dtstart", tour.starts_at)
    event.add("dtend", tour.starts_at + timedelta(minutes=tour.duration_minutes))
    event.add("summary", tour.title)
    event.add("url", joining.page)
    event.add("location", joining.live)
    if tour.cancelled_at is not None:
        event.add("status", "CANCELLED")
        event.add("description", f"已取消 / cancelled\n{exhibit}")
    else:
        event.add("status", "CONFIRMED")
        event.add("description", "\n".join((
            exhibit,
            f"网页 / web: {joining.page}",
            f"实时导览 / live tour: {joining.live}",
            ("桌面端加入 / join from the desktop engine (TOKEN: your bearer token, "
             "POST /api/auth/tokens):"),
            joining.engine)))
    return event
