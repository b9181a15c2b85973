"""The tours a member may join (``/tours``): register and cancel through the API's own
registration logic, the calendar feed, and joining a live tour (``/tours/{id}/join``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal
from server.db.models import Registration, Tour, TourBranch
from server.db.types import utcnow
from server.failures import NotFound
from server.keys import SESSIONS
from server.roster.scope import overseen_orgs, oversees_tour, tours_of
from server.routes import tours as tour_api
from server.tour_view import tour_views
from server.validation import path_id
from server.web.catalogue import translate
from server.web.member_catalog import catalog
from server.web.member_words import moment
from server.web.rendering import language, page_principal, render

TOUR_ROLES = ("member", "guide", "admin")
SOON = timedelta(minutes=30)  # a tour this close to its start can be joined already
MAX_SHOWN = 100
# the outcomes a registration form reports back on the tours page (?done=...)
OUTCOMES = ("registered", "cancelled", "full", "closed")


async def _visible_tours(db: AsyncSession, principal: Principal) -> list[Tour]:
    """Tours not yet over that invite the caller's branch (for an administrator, every
    tour they oversee)."""
    query = (select(Tour).where(Tour.cancelled_at.is_(None),
                                Tour.starts_at > utcnow() - timedelta(hours=8))
             .order_by(Tour.starts_at, Tour.id).limit(MAX_SHOWN))
    if principal.role != "admin":
        query = query.where(Tour.id.in_(select(TourBranch.tour_id).where(
            TourBranch.org_id == principal.org_id)))
    elif (orgs := await overseen_orgs(db, principal)) is not None:
        query = query.where(tours_of(orgs))
    return list((await db.scalars(query)).all())


def _shown(view: dict[str, Any], lang: str, titles: Mapping[str, str]) -> dict[str, Any]:
    """A tour's API view with what the page adds: times in words, seats left, and
    whether it can be registered for or joined now."""
    now = utcnow()
    starts = datetime.fromisoformat(str(view["starts_at"]))
    seats = max(int(view["capacity"]) - int(view["registered"]), 0)
    open_ = view["state"] == "scheduled" and starts > now
    return {**view, "when": moment(str(view["starts_at"])),
            "until": moment(str(view["ends_at"]))[11:16],
            "exhibit_title": titles.get(str(view["exhibit_id"]), str(view["exhibit_id"])),
            "seats_left": seats, "can_register": open_ and seats > 0
            and not view["registered_by_me"], "can_cancel": open_ and view["registered_by_me"],
            "joinable": view["state"] == "live" or (open_ and starts - now <= SOON),
            "state_text": translate(lang, f"member.tours.state.{view['state']}")}


async def upcoming(request: web.Request, db: AsyncSession, principal: Principal,
                   titles: Mapping[str, str]) -> list[dict[str, Any]]:
    """The upcoming and live tours the caller is invited to, ready for a page."""
    lang = language(request)
    tours = await _visible_tours(db, principal)
    views = await tour_views(db, request, tours, principal.user_id)
    return [_shown(v, lang, titles) for v in views if v["state"] in ("scheduled", "live")]


async def tour_titles(db: AsyncSession, awards: list[dict[str, Any]]) -> dict[str, str]:
    """The titles of the tours ``awards`` were earned on or for leading, by ``tour/<id>``
    (an award names its tour by id; a member knows it by its title)."""
    ids = {int(a["subject"]["tour"]) for a in awards if isinstance(a.get("subject"), dict)
           and isinstance(a["subject"].get("tour"), int)}
    if not ids:
        return {}
    rows = (await db.execute(select(Tour.id, Tour.title).where(Tour.id.in_(ids)))).all()
    return {f"tour/{tour}": title for tour, title in rows}


async def tours_page(request: web.Request) -> web.Response:
    principal = page_principal(request, *TOUR_ROLES)
    done = request.query.get("done")
    async with request.app[SESSIONS]() as db:
        shown = await catalog(request, db, language(request))
        tours = await upcoming(request, db, principal, shown.titles)
    return await render(request, "member/tours.html", tours=tours,
                        done=done if done in OUTCOMES else None)


async def _invited(request: web.Request, principal: Principal) -> tuple[Tour, bool]:
    """The tour in the path if it invites the caller's branch, and whether the caller is
    registered; a tour of another branch is answered as no tour at all."""
    tour_id = path_id(request, "tour")
    async with request.app[SESSIONS]() as db:
        tour = await db.get(Tour, tour_id)
        invited = await db.scalar(select(TourBranch.org_id).where(
            TourBranch.tour_id == tour_id, TourBranch.org_id == principal.org_id))
        mine = await db.scalar(select(Registration.id).where(
            Registration.tour_id == tour_id, Registration.user_id == principal.user_id,
            Registration.cancelled_at.is_(None)))
        seen = invited is not None or (principal.role == "admin" and tour is not None
                                       and await oversees_tour(db, principal, tour_id))
    if tour is None or not seen:
        raise NotFound(translate(language(request), "member.tours.no_such"))
    return tour, mine is not None


def _back(outcome: str, tour_id: int) -> web.Response:
    return web.Response(status=303,
                        headers={"Location": f"/tours?done={outcome}#tour-{tour_id}"})


async def register(request: web.Request) -> web.Response:
    """The register button: the API's registration (capacity held by its conditional
    update), then back to the tours page saying what happened."""
    principal = page_principal(request, *TOUR_ROLES)
    tour, mine = await _invited(request, principal)
    if not mine:
        if tour.cancelled_at is not None or tour.starts_at <= utcnow():
            return _back("closed", tour.id)
        if tour.registered >= tour.capacity:
            return _back("full", tour.id)
    await tour_api.register(request)
    return _back("registered", tour.id)


async def cancel(request: web.Request) -> web.Response:
    principal = page_principal(request, *TOUR_ROLES)
    tour, mine = await _invited(request, principal)
    if mine:
        await tour_api.cancel_registration(request)
    return _back("cancelled", tour.id)


async def join_page(request: web.Request) -> web.Response:
    """How to join a tour: in the browser (a later viewer), or from the desktop engine."""
    principal = page_principal(request, *TOUR_ROLES)
    tour, _ = await _invited(request, principal)
    lang = language(request)
    async with request.app[SESSIONS]() as db:
        view = (await tour_views(db, request, [tour], principal.user_id))[0]
        shown = await catalog(request, db, lang)
    return await render(request, "member/join.html", tour=_shown(view, lang, shown.titles))
