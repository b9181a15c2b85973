"""Moving and cancelling a scheduled tour: what may change, what it does to registrations,
reminders and notices, and what the audit log keeps.

A tour that is live or over stays as it is; a cancelled tour stays cancelled. Registrants
are told through the reminder queue (``tour_moved`` / ``tour_cancelled``), and reminders
still waiting for the old time are dropped in the same transaction as the change.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from protocol.api import SaneDatetime
from server.audit import record
from server.auth import Principal
from server.db.models import Organization, Registration, Tour, TourBranch, User
from server.db.types import utcnow
from server.failures import BadRequest, Conflict, Forbidden
from server.reminders import (
    REMINDER,
    TOUR_CANCELLED,
    TOUR_MOVED,
    drop_pending,
    queue_notice,
    queue_reminders,
)
from server.roster.scope import overseen_orgs
from server.tour_view import State, offset_text, zone_of

MAX_ID = 2**31 - 1
MAX_AHEAD = timedelta(days=5 * 366)  # a tour is planned at most about five years ahead
# the zones in use on Earth run from UTC-12:00 to UTC+14:00
MIN_OFFSET, MAX_OFFSET = -12 * 60, 14 * 60
BranchId = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]


class TourChange(BaseModel):
    """``PATCH /api/tours/{id}``: any of the fields; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=200,
                              pattern=r"^[^\x00-\x1f\x7f]+$")  # one line
    starts_at: SaneDatetime | None = Field(
        default=None, description="with a time zone, e.g. 2026-12-01T14:00:00+08:00; the "
        "tour's zone becomes this offset")
    duration_minutes: int | None = Field(default=None, strict=True, ge=10, le=480)
    capacity: int | None = Field(default=None, strict=True, ge=1, le=5000,
                                 description="not below the number already registered")
    branches: list[BranchId] | None = Field(default=None, min_length=1, max_length=100,
                                            description="invited branch ids")

    @model_validator(mode="after")
    def _something_given(self) -> TourChange:
        given = self.model_fields_set
        if not given:
            raise ValueError("give at least one of title, starts_at, duration_minutes, "
                             "capacity, branches")
        nulls = sorted(name for name in given if getattr(self, name) is None)
        if nulls:
            raise ValueError(f"{', '.join(nulls)} may not be null; leave a field out to keep it")
        if self.title is not None and not self.title.strip():
            raise ValueError("title may not be blank")
        return self


def bad_field(field: str, message: str) -> BadRequest:
    return BadRequest("invalid request body", fields=[{"field": field, "message": message}])


def check_start(starts_at: datetime) -> int:
    """The offset in minutes of a start a guide gives, if the start is acceptable."""
    offset = starts_at.utcoffset()
    assert offset is not None  # AwareDatetime
    minutes, rest = divmod(offset, timedelta(minutes=1))
    if rest or not MIN_OFFSET <= minutes <= MAX_OFFSET:
        raise bad_field("starts_at", "the UTC offset must be whole minutes between -12:00 "
                                     "and +14:00")
    now = utcnow()
    if starts_at <= now:
        raise bad_field("starts_at", "must be in the future")
    if starts_at > now + MAX_AHEAD:
        raise bad_field("starts_at", "must be within five years from now")
    return minutes


def refuse_unless_open(tour: Tour, state: State) -> None:
    """409 for a tour that can no longer be moved or cancelled."""
    if state == "cancelled":
        raise Conflict("this tour was cancelled; it cannot be changed")
    if state == "live":
        raise Conflict("this tour is live; it cannot be moved or cancelled until it "
                       "has ended (and then it is over)")
    if state == "ended":
        raise Conflict("this tour has ended; it cannot be moved or cancelled")


async def check_branches(db: AsyncSession, principal: Principal, branches: list[int]) -> None:
    if principal.role == "guide" and set(branches) != {principal.org_id}:
        raise Forbidden("guides may invite their own branch only")
    orgs = await overseen_orgs(db, principal) if principal.role == "admin" else None
    if orgs is not None and not set(branches) <= orgs:
        raise Forbidden("administrators may invite the branches of their own committee only")
    for org_id in sorted(set(branches)):
        org = await db.get(Organization, org_id)
        if org is None or org.kind != "branch":
            raise bad_field("branches", f"{org_id} is not a branch")


async def active_registrants(db: AsyncSession, tour_id: int) -> list[int]:
    return list((await db.scalars(select(Registration.user_id).where(
        Registration.tour_id == tour_id, Registration.cancelled_at.is_(None))
        .order_by(Registration.user_id))).all())


async def _uninvite(db: AsyncSession, tour: Tour, keep: set[int]) -> list[int]:
    """Cancels the registrations of members whose branch is no longer invited (admins,
    who may join any tour, keep theirs); returns who lost their place."""
    rows = (await db.execute(select(Registration, User.org_id, User.role)
                             .join(User, User.id == Registration.user_id)
                             .where(Registration.tour_id == tour.id,
                                    Registration.cancelled_at.is_(None)))).all()
    gone = [reg for reg, org_id, role in rows if role != "admin" and org_id not in keep]
    for reg in gone:
        reg.cancelled_at = utcnow()
    users = sorted(reg.user_id for reg in gone)
    if users:
        await db.execute(update(Tour).where(Tour.id == tour.id).values(
            registered=Tour.registered - len(users)))
        await drop_pending(db, tour.id, users=users)
        queue_notice(db, tour.id, users, TOUR_CANCELLED, {
            "title": tour.title, "reason": "your branch is no longer invited",
            "starts_at": tour.starts_at.astimezone(zone_of(tour)).isoformat()})
    return users


async def move(db: AsyncSession, principal: Principal, tour: Tour, change: TourChange,
               reminder_minutes: list[int]) -> dict[str, Any]:
    """Applies ``change`` to ``tour`` (locked by the caller); returns what changed."""
    changed: dict[str, Any] = {}
    before_start = tour.starts_at.astimezone(zone_of(tour))
    before_duration = tour.duration_minutes
    if change.starts_at is not None:
        offset = check_start(change.starts_at)
        if change.starts_at != tour.starts_at or offset != tour.utc_offset_minutes:
            changed["starts_at"] = change.starts_at.isoformat()
            tour.starts_at, tour.utc_offset_minutes = change.starts_at, offset
    if change.title is not None and change.title != tour.title:
        changed["title"] = tour.title = change.title
    if change.duration_minutes is not None and change.duration_minutes != tour.duration_minutes:
        changed["duration_minutes"] = tour.duration_minutes = change.duration_minutes
    if change.branches is not None:
        await check_branches(db, principal, change.branches)
        now = set((await db.scalars(select(TourBranch.org_id).where(
            TourBranch.tour_id == tour.id))).all())
        wanted = set(change.branches)
        if wanted != now:
            for org_id in wanted - now:
                db.add(TourBranch(tour_id=tour.id, org_id=org_id))
            for org_id in now - wanted:
                await db.delete(await db.get(TourBranch, (tour.id, org_id)))
            changed["branches"] = sorted(wanted)
            uninvited = await _uninvite(db, tour, wanted)
            if uninvited:
                changed["uninvited"] = uninvited
                await db.refresh(tour, ["registered"])
    if change.capacity is not None and change.capacity != tour.capacity:
        fits = await db.execute(update(Tour).where(
            Tour.id == tour.id, Tour.registered <= change.capacity).values(
            capacity=change.capacity))
        if fits.rowcount != 1:  # type: ignore[attr-defined]
            await db.refresh(tour, ["registered"])
            raise Conflict(f"{tour.registered} members are registered; the capacity "
                           f"cannot go below that")
        changed["capacity"] = change.capacity
        await db.refresh(tour, ["capacity"])
    if not changed:
        return changed
    if {"starts_at", "duration_minutes", "title"} & set(changed):
        tour.sequence += 1
    registrants = await active_registrants(db, tour.id)
    if "starts_at" in changed:
        await drop_pending(db, tour.id, kinds=[REMINDER])
        queue_reminders(db, tour.id, registrants, tour.starts_at, reminder_minutes)
    if {"starts_at", "duration_minutes"} & set(changed):
        queue_notice(db, tour.id, registrants, TOUR_MOVED, {
            "title": tour.title,
            "was": {"starts_at": before_start.isoformat(), "duration_minutes": before_duration},
            "now": {"starts_at": tour.starts_at.astimezone(zone_of(tour)).isoformat(),
                    "duration_minutes": tour.duration_minutes,
                    "time_zone": offset_text(tour.utc_offset_minutes)}})
    record(db, principal, "tour.move", f"tour:{tour.id}", **changed)
    return changed


async def cancel(db: AsyncSession, principal: Principal, tour: Tour) -> None:
    """Cancels ``tour`` (locked by the caller): its notices go out, its reminders are
    dropped, and joining or registering is refused from now on."""
    tour.cancelled_at = utcnow()
    tour.sequence += 1
    await drop_pending(db, tour.id)
    registrants = await active_registrants(db, tour.id)
    queue_notice(db, tour.id, registrants, TOUR_CANCELLED, {
        "title": tour.title, "reason": "the tour was cancelled",
        "starts_at": tour.starts_at.astimezone(zone_of(tour)).isoformat()})
    record(db, principal, "tour.cancel", f"tour:{tour.id}", title=tour.title,
           registrants=len(registrants))
