"""The live console of a tour and its report afterwards (the guide's pages)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from urllib.parse import quote

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server import attendance
from server.auth import STAFF
from server.db.models import ExhibitVersion, ParticipationRecord, Tour
from server.keys import SESSIONS, STORE
from server.routes.live import SESSION_COOKIE
from server.routes.tours import managed_tour
from server.tour_view import tour_views, zone_of
from server.validation import path_id
from server.web.catalogue import translate
from server.web.guide_outline import console_scenes
from server.web.rendering import language, page_principal, render

# the console's words, handed to its script (keys under guide.live.)
CONSOLE_WORDS = ("connecting", "connected", "closed", "phase_lobby", "phase_live", "phase_ended",
                 "present", "dropped", "left", "spectator", "member", "guide", "co_guide",
                 "hand_up", "no_hands", "no_questions", "take", "dismiss", "remove",
                 "hand_over", "gathering_in", "gathered", "on", "off", "quiz_open",
                 "quiz_closed", "answered", "right_answer", "refused", "confirm_end",
                 "confirm_remove", "seat", "nobody", "choice", "no_quiz",
                 # the floor: who may speak, and who is speaking now
                 "give_floor", "take_floor", "mute_one", "unmute_one", "open_floor",
                 "has_floor", "muted_one", "speaking",
                 # the guide's own voice from the browser
                 "no_microphone")


async def console(request: web.Request) -> web.Response:
    principal = page_principal(request, *STAFF)
    tour_id = path_id(request, "tour")
    lang = language(request)
    async with request.app[SESSIONS]() as db:
        tour = await managed_tour(db, principal, tour_id)
        view = (await tour_views(db, request, [tour], principal.user_id))[0]
        version = await db.get(ExhibitVersion, tour.exhibit_version_id)
    assert version is not None  # a tour's version is never deleted
    scenes = await console_scenes(request.app[STORE], version, lang)
    setup = {"tour": tour_id, "socket": f"/api/tours/{tour_id}/live",
             "token": SESSION_COOKIE, "scenes": scenes, "me": principal.user_id}
    words = {key: translate(lang, f"guide.live.{key}") for key in CONSOLE_WORDS}
    return await render(request, "guide/live.html", tour=view, setup=setup, words=words,
                        scenes=scenes)


async def _quiz_results(db: AsyncSession, tour: Tour) -> list[dict[str, Any]]:
    """Each quiz item put during the tour: how many answered, how many rightly."""
    records = (await db.scalars(select(ParticipationRecord).where(
        ParticipationRecord.tour_id == tour.id,
        ParticipationRecord.kind.in_(("quiz_started", "quiz_answered")))
        .order_by(ParticipationRecord.number))).all()
    items: dict[str, dict[str, Any]] = {}
    counts: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for record in records:
        item = str(record.detail.get("item", ""))
        row = items.setdefault(item, {"item": item, "scene": record.detail.get("scene", ""),
                                      "answered": 0, "right": 0})
        if record.kind == "quiz_answered":
            row["answered"] += 1
            row["right"] += 1 if record.detail.get("correct") is True else 0
            counts[item][int(record.detail.get("response", 0))] += 1
    for item, row in items.items():
        row["choices"] = sorted(counts[item].items())
    return list(items.values())


async def report(request: web.Request) -> web.Response:
    principal = page_principal(request, *STAFF)
    tour_id = path_id(request, "tour")
    async with request.app[SESSIONS]() as db:
        tour = await managed_tour(db, principal, tour_id)
        view = (await tour_views(db, request, [tour], principal.user_id))[0]
        seen = await attendance.attendance(db, tour, zone_of(tour))
        quiz = await _quiz_results(db, tour)
        version = await db.get(ExhibitVersion, tour.exhibit_version_id)
    assert version is not None  # a tour's version is never deleted
    prompts = {q["id"]: q["prompt"] for scene in
               await console_scenes(request.app[STORE], version, language(request))
               for q in scene["quiz"]}
    for row in quiz:
        row["prompt"] = prompts.get(row["item"], row["item"])
    people = seen["people"]
    awards = [p for p in people if p["credit_hours"] > 0]
    lang = quote(language(request))
    files = {fmt: f"/api/tours/{tour_id}/attendance?format={fmt}&lang={lang}"
             for fmt in ("csv", "xlsx")}
    return await render(request, "guide/report.html", tour=view, seen=seen, people=people,
                        quiz=quiz, awards=awards, files=files)
