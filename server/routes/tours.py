"""Scheduled tours: a guide plans one, moves or cancels it; invited members register and
cancel their registration.

Capacity is enforced by one conditional UPDATE (``registered < capacity``) in the same
transaction as the registration row, so concurrent registrations never overfill a tour;
the same UPDATE refuses a tour cancelled or moved meanwhile, and the reminders are queued
for the start time it returns.
"""

from __future__ import annotations

from aiohttp import web
from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from protocol.api import TourCreate
from server import tour_changes
from server.audit import record
from server.auth import EVERYONE, STAFF, Principal, require
from server.db.models import ExhibitVersion, Registration, Tour, TourBranch
from server.db.types import utcnow
from server.errors import field_errors, json_error
from server.failures import Forbidden
from server.keys import HUB, SESSIONS, SETTINGS
from server.live.outputs import error
from server.reminders import drop_pending, queue_reminders
from server.roster.scope import overseen_orgs, oversees_tour, tours_of
from server.tour_changes import (
    MAX_ID,
    TourChange,
    bad_field,
    check_branches,
    check_start,
    refuse_unless_open,
)
from server.tour_view import states, tour_views
from server.validation import body, path_id, read_limited

routes = web.RouteTableDef()
MAX_CHANGE_BYTES = 8 * 1024  # a tour or a change is a few fields; larger is refused unread


def tour_id_of(request: web.Request) -> int:
    """The tour id in the path (an id no database column can hold is no tour)."""
    return path_id(request, "tour")


async def _one(db: AsyncSession, request: web.Request, tour: Tour,
               principal: Principal) -> dict[str, object]:
    return (await tour_views(db, request, [tour], principal.user_id))[0]


@routes.post("/api/tours")
async def schedule(request: web.Request) -> web.Response:
    principal = require(request, *STAFF)
    data = await body(request, TourCreate, limit=MAX_CHANGE_BYTES)
    async with request.app[SESSIONS].begin() as db:
        tour = await schedule_tour(db, principal, data)
        out = await _one(db, request, tour, principal)
    return web.json_response(out, status=201)


async def schedule_tour(db: AsyncSession, principal: Principal, data: TourCreate) -> Tour:
    """Schedules the tour ``data`` describes in ``principal``'s name (the API's and the
    portal's one way to do so): BadRequest naming the field at fault, or Forbidden for a
    branch a guide may not invite; nothing is stored then."""
    offset = check_start(data.starts_at)
    if principal.role == "guide" and set(data.branches) != {principal.org_id}:
        raise Forbidden("guides may invite their own branch only")
    if any(not 1 <= org_id <= MAX_ID for org_id in data.branches):
        raise bad_field("branches", "branch ids are between 1 and 2147483647")
    version = await db.scalar(select(ExhibitVersion).where(
        ExhibitVersion.exhibit_id == data.exhibit_id, ExhibitVersion.version == data.version,
        ExhibitVersion.published.is_(True)))
    if version is None:
        raise bad_field("exhibit_id", "no such published exhibit version")
    await check_branches(db, principal, data.branches)
    tour = Tour(exhibit_version_id=version.id, guide_id=principal.user_id, title=data.title,
                starts_at=data.starts_at, duration_minutes=data.duration_minutes,
                capacity=data.capacity, utc_offset_minutes=offset, sequence=0,
                keep_member_voices=data.keep_member_voices)
    db.add(tour)
    await db.flush()
    db.add_all(TourBranch(tour_id=tour.id, org_id=o) for o in sorted(set(data.branches)))
    record(db, principal, "tour.schedule", f"tour:{tour.id}", title=data.title,
           starts_at=data.starts_at.isoformat())
    await db.flush()
    return tour


async def _visible(db: AsyncSession, principal: Principal):  # type: ignore[no-untyped-def]
    query = select(Tour).order_by(Tour.starts_at, Tour.id)
    if principal.role == "admin":
        orgs = await overseen_orgs(db, principal)
        return query if orgs is None else query.where(tours_of(orgs))
    if principal.role == "guide":
        return query.where(Tour.guide_id == principal.user_id)
    invited = select(TourBranch.tour_id).where(TourBranch.org_id == principal.org_id)
    return query.where(Tour.id.in_(invited))


@routes.get("/api/tours")
async def list_tours(request: web.Request) -> web.Response:
    principal = require(request, *EVERYONE)
    async with request.app[SESSIONS]() as db:
        tours = (await db.scalars(await _visible(db, principal))).all()
        out = await tour_views(db, request, tours, principal.user_id)
    return web.json_response(out)


async def _seen_tour(db: AsyncSession, principal: Principal, tour_id: int,
                     lock: bool = False) -> Tour:
    """The tour if the caller may see it (an administrator overseeing it, its guide, or
    its invited branches)."""
    query = select(Tour).where(Tour.id == tour_id)
    tour = await db.scalar(query.with_for_update() if lock else query)
    if tour is None:
        raise json_error(404, "no such tour")
    if tour.guide_id == principal.user_id:
        return tour
    if principal.role == "admin":
        if await oversees_tour(db, principal, tour_id):
            return tour
        raise json_error(404, "no such tour")
    invited = await db.scalar(select(TourBranch.org_id).where(
        TourBranch.tour_id == tour_id, TourBranch.org_id == principal.org_id))
    if invited is None:
        raise json_error(404, "no such tour")
    return tour


async def managed_tour(db: AsyncSession, principal: Principal, tour_id: int,
                       lock: bool = False) -> Tour:
    """The tour if the caller leads it or is an admin: 404 if they cannot see it, 403 if
    they can but it is another guide's."""
    tour = await _seen_tour(db, principal, tour_id, lock)
    if principal.role != "admin" and tour.guide_id != principal.user_id:
        raise json_error(403, "only the tour's guide or an admin may do this")
    return tour


@routes.get("/api/tours/{id:[0-9]{1,10}}")
async def one_tour(request: web.Request) -> web.Response:
    principal = require(request, *EVERYONE)
    tour_id = tour_id_of(request)
    async with request.app[SESSIONS]() as db:
        tour = await _seen_tour(db, principal, tour_id)
        out = await _one(db, request, tour, principal)
    return web.json_response(out)


@routes.patch("/api/tours/{id:[0-9]{1,10}}")
async def change_tour(request: web.Request) -> web.Response:
    """Moves a tour: its start (and zone), duration, capacity, title or invited branches."""
    principal = require(request, *STAFF)
    tour_id = tour_id_of(request)
    data = await _change(request)
    return web.json_response(await move_tour(request, principal, tour_id, data))


async def move_tour(request: web.Request, principal: Principal, tour_id: int,
                    data: TourChange) -> dict[str, object]:
    """Moves the tour as ``data`` says (the API's and the portal's one way); the tour as
    the caller now sees it."""
    async with request.app[SESSIONS].begin() as db:
        tour = await managed_tour(db, principal, tour_id, lock=True)
        refuse_unless_open(tour, (await states(db, request.app, [tour]))[tour.id])
        changed = await tour_changes.move(db, principal, tour, data,
                                          request.app[SETTINGS].reminder_minutes)
        out = await _one(db, request, tour, principal)
    if {"starts_at", "capacity", "branches"} & set(changed):  # the lobby's plan is stale
        _close_lobby(request.app, tour_id, "the tour was moved; join again at its new time")
    return out


@routes.delete("/api/tours/{id:[0-9]{1,10}}")
async def cancel_tour(request: web.Request) -> web.Response:
    """Cancels a tour that has not started; a second cancellation changes nothing."""
    principal = require(request, *STAFF)
    return web.json_response(await cancel_now(request, principal, tour_id_of(request)))


async def cancel_now(request: web.Request, principal: Principal,
                     tour_id: int) -> dict[str, object]:
    """Cancels the tour (the API's and the portal's one way); the tour as the caller now
    sees it."""
    async with request.app[SESSIONS].begin() as db:
        tour = await managed_tour(db, principal, tour_id, lock=True)
        if tour.cancelled_at is None:
            refuse_unless_open(tour, (await states(db, request.app, [tour]))[tour.id])
            await tour_changes.cancel(db, principal, tour)
        out = await _one(db, request, tour, principal)
    _close_lobby(request.app, tour_id, "the tour was cancelled")
    return out


async def _change(request: web.Request) -> TourChange:
    raw = await read_limited(request, MAX_CHANGE_BYTES)
    if b"\\u0000" in raw or b"\x00" in raw:
        raise bad_field("(body)", "text may not contain NUL characters (\\u0000)")
    try:
        return TourChange.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        raise json_error(400, "invalid request body", fields=field_errors(exc)) from None


def _close_lobby(app: web.Application, tour_id: int, reason: str) -> None:
    """Sends home anyone waiting in this process's lobby of a cancelled or moved tour; its
    room is then let go (joining a cancelled tour again is refused; a moved one opens with
    its new plan)."""
    room = app[HUB].rooms.get(tour_id) if HUB in app else None
    if room is None or room.state.phase != "lobby":
        return
    notice = error("illegal_state", reason).model_dump_json()
    for conn in list(room.conns.values()):
        conn.send(notice)  # the close reason is not shown by every client; this is
        conn.close(1000, reason)
    app[HUB].ended(room)


async def _invited_tour(db: AsyncSession, principal: Principal, tour_id: int) -> Tour:
    tour = await db.get(Tour, tour_id)
    invited = await db.scalar(select(TourBranch).where(TourBranch.tour_id == tour_id,
                                                       TourBranch.org_id == principal.org_id))
    if tour is None or (invited is None and not (principal.role == "admin"
                                                 and await oversees_tour(db, principal,
                                                                         tour_id))):
        raise json_error(404, "no such tour")
    return tour


@routes.post("/api/tours/{id:[0-9]{1,10}}/registration")
async def register(request: web.Request) -> web.Response:
    principal = require(request, *EVERYONE)
    tour_id = tour_id_of(request)
    try:
        return await _register(request, principal, tour_id)
    except IntegrityError:  # the same member registering twice at once: one row wins
        return web.json_response({"registered": True, "tour_id": tour_id})


async def _register(request: web.Request, principal: Principal, tour_id: int) -> web.Response:
    reminders = request.app[SETTINGS].reminder_minutes
    async with request.app[SESSIONS].begin() as db:
        tour = await _invited_tour(db, principal, tour_id)
        _refuse_closed(tour, (await states(db, request.app, [tour]))[tour.id])
        existing = await db.scalar(select(Registration).where(
            Registration.tour_id == tour_id, Registration.user_id == principal.user_id)
            .with_for_update())
        if existing is not None and existing.cancelled_at is None:
            return web.json_response({"registered": True, "tour_id": tour_id})
        # the start as it stands once the row is ours: a move or cancellation committed
        # meanwhile is seen here, so no reminder is queued for an old time
        taken = (await db.execute(update(Tour).where(
            Tour.id == tour_id, Tour.registered < Tour.capacity, Tour.cancelled_at.is_(None),
            Tour.starts_at > utcnow()).values(registered=Tour.registered + 1)
            .returning(Tour.starts_at))).first()
        if taken is None:
            await db.refresh(tour)
            _refuse_closed(tour, "scheduled")
            raise json_error(409, "the tour is full")
        if existing is None:
            db.add(Registration(tour_id=tour_id, user_id=principal.user_id))
        else:
            existing.cancelled_at = None
            existing.created_at = utcnow()
        queue_reminders(db, tour_id, [principal.user_id], taken.starts_at, reminders,
                        catch_up=True)
    return web.json_response({"registered": True, "tour_id": tour_id}, status=201)


def _refuse_closed(tour: Tour, state: str) -> None:
    if tour.cancelled_at is not None:
        raise json_error(409, "this tour was cancelled")
    if state != "scheduled" or tour.starts_at <= utcnow():
        raise json_error(409, "this tour is no longer open for registration")


@routes.delete("/api/tours/{id:[0-9]{1,10}}/registration")
async def cancel_registration(request: web.Request) -> web.Response:
    principal = require(request, *EVERYONE)
    tour_id = tour_id_of(request)
    async with request.app[SESSIONS].begin() as db:
        await _invited_tour(db, principal, tour_id)
        row = await db.scalar(select(Registration).where(
            Registration.tour_id == tour_id, Registration.user_id == principal.user_id,
            Registration.cancelled_at.is_(None)).with_for_update())
        if row is None:
            raise json_error(404, "you are not registered for this tour")
        row.cancelled_at = utcnow()
        await db.execute(update(Tour).where(Tour.id == tour_id).values(
            registered=Tour.registered - 1))
        await drop_pending(db, tour_id, users=[principal.user_id])
    return web.json_response({"registered": False, "tour_id": tour_id})
