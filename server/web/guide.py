"""The guide's pages (讲解员 / 支部书记): their tours, scheduling one, a tour with its
registrations (move, cancel), the live console and the report after it.

Every change goes through the same functions as the JSON API (``server.routes.tours``),
so a page can do nothing the API would refuse; a tour the caller may not manage is the
API's 403/404, answered as an error page."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import STAFF, Principal
from server.db.models import ExhibitVersion, Organization, Registration, Tour, User
from server.failures import BadRequest, Conflict, Forbidden
from server.keys import SESSIONS
from server.roster.scope import overseen_orgs, tours_of
from server.routes.tours import cancel_now, managed_tour, move_tour, schedule_tour
from server.tour_view import tour_views, zone_of
from server.validation import path_id, read_form
from server.web import guide_console, guide_forms
from server.web.member_words import localized
from server.web.rendering import language, page_principal, render, see_other

routes = web.RouteTableDef()
TOUR = "/guide/tours/{id:[0-9]{1,10}}"
NEW_FIELDS = ("exhibit", "title", "date", "time", "zone", "duration", "capacity")
MOVE_FIELDS = ("date", "time", "zone", "duration", "capacity")
CONFLICT = "guide.error.conflict"


@routes.get("/guide/tours")
async def my_tours(request: web.Request) -> web.Response:
    principal = page_principal(request, *STAFF)
    query = select(Tour).order_by(Tour.starts_at.desc(), Tour.id.desc())
    async with request.app[SESSIONS]() as db:
        if principal.role != "admin":
            query = query.where(Tour.guide_id == principal.user_id)
        elif (orgs := await overseen_orgs(db, principal)) is not None:
            query = query.where(tours_of(orgs))
        tours = await tour_views(db, request, (await db.scalars(query.limit(500))).all(),
                                 principal.user_id)
    upcoming = [t for t in reversed(tours) if t["state"] in ("scheduled", "live")]
    past = [t for t in tours if t["state"] not in ("scheduled", "live")]
    return await render(request, "guide/tours.html", upcoming=upcoming, past=past,
                        done=request.query.get("done", ""))


async def _choices(db: AsyncSession, principal: Principal, lang: str) -> dict[str, Any]:
    """What the scheduling form offers: published exhibit versions, the branches the
    caller may invite, the zones."""
    versions = (await db.scalars(select(ExhibitVersion).where(
        ExhibitVersion.published.is_(True)).order_by(ExhibitVersion.exhibit_id,
                                                     ExhibitVersion.id))).all()
    exhibits = [(f"{v.exhibit_id}@{v.version}",
                 f"{v.manifest['title'].get(lang) or v.manifest['title']['zh-CN']} "
                 f"({v.version})") for v in versions]
    query = select(Organization).where(Organization.kind == "branch").order_by(Organization.id)
    if principal.role != "admin":
        query = query.where(Organization.id == principal.org_id)
    elif (orgs := await overseen_orgs(db, principal)) is not None:
        query = query.where(Organization.id.in_(orgs))
    branches = [(o.id, o.name) for o in (await db.scalars(query)).all()]
    return {"exhibits": exhibits, "branches": branches, "zones": guide_forms.ZONES}


async def _new_form(request: web.Request, principal: Principal, filled: guide_forms.Filled,
                    status: int = 200) -> web.Response:
    async with request.app[SESSIONS]() as db:
        choices = await _choices(db, principal, language(request))
    return await render(request, "guide/new.html", status=status, form=filled.values,
                        errors=filled.errors, **choices)


@routes.get("/guide/tours/new")
async def new_tour_form(request: web.Request) -> web.Response:
    principal = page_principal(request, *STAFF)
    values: dict[str, Any] = {name: "" for name in NEW_FIELDS}
    values.update(zone=guide_forms.DEFAULT_ZONE, duration="60", capacity="30", voices=False,
                  branches=[str(principal.org_id)] if principal.role != "admin" else [])
    return await _new_form(request, principal, guide_forms.Filled(values))


@routes.post("/guide/tours/new")
async def schedule_from_form(request: web.Request) -> web.Response:
    principal = page_principal(request, *STAFF)
    filled = guide_forms.read_form(await read_form(request), NEW_FIELDS)
    data = guide_forms.new_tour(filled)
    if data is not None:
        try:
            async with request.app[SESSIONS].begin() as db:  # rolled back on a refusal
                tour = await schedule_tour(db, principal, data)
                tour_id = tour.id
        except (BadRequest, Forbidden) as exc:
            guide_forms.refused(filled, exc)
        else:
            return see_other(f"/guide/tours/{tour_id}?done=scheduled")
    return await _new_form(request, principal, filled, status=400)


async def _registrations(db: AsyncSession, tour: Tour) -> list[dict[str, Any]]:
    rows = await db.execute(
        select(User.display_name, Organization.name, Registration.created_at)
        .join(User, User.id == Registration.user_id)
        .join(Organization, Organization.id == User.org_id, isouter=True)
        .where(Registration.tour_id == tour.id, Registration.cancelled_at.is_(None))
        .order_by(Registration.created_at, Registration.id))
    zone = zone_of(tour)
    return [{"name": name, "branch": branch or "",
             "at": at.astimezone(zone).strftime("%Y-%m-%d %H:%M")} for name, branch, at in rows]


async def _tour_page(request: web.Request, principal: Principal, tour_id: int,
                     filled: guide_forms.Filled | None = None, refusal: str = "",
                     status: int = 200) -> web.Response:
    async with request.app[SESSIONS]() as db:
        tour = await managed_tour(db, principal, tour_id)
        view = (await tour_views(db, request, [tour], principal.user_id))[0]
        registrations = await _registrations(db, tour)
        version = await db.get(ExhibitVersion, tour.exhibit_version_id)
    # the exhibit by its title, as the scheduling form offered it (not its package id)
    exhibit_title = localized(version.manifest.get("title"), language(request)) \
        if version is not None else view["exhibit_id"]
    zone, start = guide_forms.zone_showing(tour.starts_at, zone_of(tour))
    move = filled or guide_forms.Filled({
        "date": start.strftime("%Y-%m-%d"), "time": start.strftime("%H:%M"), "zone": zone,
        "duration": str(tour.duration_minutes), "capacity": str(tour.capacity)})
    return await render(request, "guide/tour.html", status=status, tour=view,
                        registrations=registrations, exhibit_title=exhibit_title,
                        form=move.values, errors=move.errors,
                        zones=guide_forms.ZONES, refusal=refusal,
                        done=request.query.get("done", ""))


@routes.get(TOUR)
async def tour_page(request: web.Request) -> web.Response:
    principal = page_principal(request, *STAFF)
    return await _tour_page(request, principal, path_id(request, "tour"))


@routes.post(TOUR + "/move")
async def move_from_form(request: web.Request) -> web.Response:
    principal = page_principal(request, *STAFF)
    tour_id = path_id(request, "tour")
    filled = guide_forms.read_form(await read_form(request), MOVE_FIELDS)
    data = guide_forms.move(filled)
    if data is not None:
        try:
            await move_tour(request, principal, tour_id, data)
        except BadRequest as exc:
            guide_forms.refused(filled, exc)
        except Conflict:  # no longer open, or fewer places than registrants
            return await _tour_page(request, principal, tour_id, filled, CONFLICT, 409)
        else:
            return see_other(f"/guide/tours/{tour_id}?done=moved")
    return await _tour_page(request, principal, tour_id, filled, status=400)


@routes.post(TOUR + "/cancel")
async def cancel_from_form(request: web.Request) -> web.Response:
    principal = page_principal(request, *STAFF)
    tour_id = path_id(request, "tour")
    try:
        await cancel_now(request, principal, tour_id)
    except Conflict:
        return await _tour_page(request, principal, tour_id, refusal=CONFLICT, status=409)
    return see_other(f"/guide/tours/{tour_id}?done=cancelled")


routes.get(TOUR + "/live")(guide_console.console)
routes.get(TOUR + "/report")(guide_console.report)
