"""Scheduled tours: a guide plans one; invited members register and cancel.

Capacity is enforced by one conditional UPDATE (``registered < capacity``) in the same
transaction as the registration row, so concurrent registrations never overfill a tour.
"""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from protocol.api import TourCreate, TourOut
from server.auth import EVERYONE, STAFF, Principal, require
from server.db.models import ExhibitVersion, Organization, Registration, Reminder, Tour, TourBranch
from server.db.types import utcnow
from server.errors import json_error
from server.keys import SESSIONS, SETTINGS
from server.validation import body

routes = web.RouteTableDef()


async def tour_out(db: AsyncSession, tour: Tour) -> dict[str, object]:
    version = await db.get(ExhibitVersion, tour.exhibit_version_id)
    branches = (await db.scalars(select(TourBranch.org_id).where(TourBranch.tour_id == tour.id)
                                 .order_by(TourBranch.org_id))).all()
    assert version is not None
    return TourOut(id=tour.id, exhibit_id=version.exhibit_id, version=version.version,
                   title=tour.title, guide_id=tour.guide_id, starts_at=tour.starts_at,
                   duration_minutes=tour.duration_minutes, capacity=tour.capacity,
                   registered=tour.registered, branches=list(branches),
                   cancelled=tour.cancelled_at is not None).model_dump(mode="json")


@routes.post("/api/tours")
async def schedule(request: web.Request) -> web.Response:
    principal = require(request, *STAFF)
    data = await body(request, TourCreate)
    if data.starts_at <= utcnow():
        raise json_error(400, "invalid request body", fields=[
            {"field": "starts_at", "message": "must be in the future"}])
    if principal.role == "guide" and set(data.branches) != {principal.org_id}:
        raise json_error(403, "guides may invite their own branch only")
    async with request.app[SESSIONS].begin() as db:
        version = await db.scalar(select(ExhibitVersion).where(
            ExhibitVersion.exhibit_id == data.exhibit_id, ExhibitVersion.version == data.version,
            ExhibitVersion.published.is_(True)))
        if version is None:
            raise json_error(400, "invalid request body", fields=[
                {"field": "exhibit_id", "message": "no such published exhibit version"}])
        for org_id in data.branches:
            org = await db.get(Organization, org_id)
            if org is None or org.kind != "branch":
                raise json_error(400, "invalid request body", fields=[
                    {"field": "branches", "message": f"{org_id} is not a branch"}])
        tour = Tour(exhibit_version_id=version.id, guide_id=principal.user_id, title=data.title,
                    starts_at=data.starts_at, duration_minutes=data.duration_minutes,
                    capacity=data.capacity)
        db.add(tour)
        await db.flush()
        db.add_all(TourBranch(tour_id=tour.id, org_id=o) for o in sorted(set(data.branches)))
        await db.flush()
        out = await tour_out(db, tour)
    return web.json_response(out, status=201)


def _visible(principal: Principal):  # type: ignore[no-untyped-def]
    query = select(Tour).order_by(Tour.starts_at)
    if principal.role == "admin":
        return query
    if principal.role == "guide":
        return query.where(Tour.guide_id == principal.user_id)
    invited = select(TourBranch.tour_id).where(TourBranch.org_id == principal.org_id)
    return query.where(Tour.id.in_(invited))


@routes.get("/api/tours")
async def list_tours(request: web.Request) -> web.Response:
    principal = require(request, *EVERYONE)
    async with request.app[SESSIONS]() as db:
        tours = (await db.scalars(_visible(principal))).all()
        out = [await tour_out(db, t) for t in tours]
    return web.json_response(out)


async def _invited_tour(db: AsyncSession, principal: Principal, tour_id: int) -> Tour:
    tour = await db.get(Tour, tour_id)
    invited = await db.scalar(select(TourBranch).where(TourBranch.tour_id == tour_id,
                                                       TourBranch.org_id == principal.org_id))
    if tour is None or (invited is None and principal.role != "admin"):
        raise json_error(404, "no such tour")
    return tour


@routes.post("/api/tours/{id:\\d+}/registration")
async def register(request: web.Request) -> web.Response:
    principal = require(request, *EVERYONE)
    tour_id = int(request.match_info["id"])
    try:
        return await _register(request, principal, tour_id)
    except IntegrityError:  # the same member registering twice at once: one row wins
        return web.json_response({"registered": True, "tour_id": tour_id})


async def _register(request: web.Request, principal: Principal, tour_id: int) -> web.Response:
    reminders = request.app[SETTINGS].reminder_minutes
    async with request.app[SESSIONS].begin() as db:
        tour = await _invited_tour(db, principal, tour_id)
        if tour.cancelled_at is not None or tour.starts_at <= utcnow():
            raise json_error(409, "this tour is no longer open for registration")
        existing = await db.scalar(select(Registration).where(
            Registration.tour_id == tour_id, Registration.user_id == principal.user_id)
            .with_for_update())
        if existing is not None and existing.cancelled_at is None:
            return web.json_response({"registered": True, "tour_id": tour_id})
        taken = await db.execute(update(Tour).where(
            Tour.id == tour_id, Tour.registered < Tour.capacity).values(
            registered=Tour.registered + 1))
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            raise json_error(409, "the tour is full")
        if existing is None:
            db.add(Registration(tour_id=tour_id, user_id=principal.user_id))
        else:
            existing.cancelled_at = None
            existing.created_at = utcnow()
        for minutes in reminders:
            due = tour.starts_at - timedelta(minutes=minutes)
            if due > utcnow():
                db.add(Reminder(tour_id=tour_id, user_id=principal.user_id, due_at=due))
    return web.json_response({"registered": True, "tour_id": tour_id}, status=201)


@routes.delete("/api/tours/{id:\\d+}/registration")
async def cancel(request: web.Request) -> web.Response:
    principal = require(request, *EVERYONE)
    tour_id = int(request.match_info["id"])
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
        await db.execute(delete(Reminder).where(Reminder.tour_id == tour_id,
                                                Reminder.user_id == principal.user_id,
                                                Reminder.sent_at.is_(None)))
    return web.json_response({"registered": False, "tour_id": tour_id})
