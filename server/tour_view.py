"""How a tour is shown to a caller: its guide, its state, whether the caller is registered,
its times in the zone it was scheduled in, and the links to join it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Annotated, Literal, cast

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import (
    ExhibitVersion,
    ParticipationRecord,
    Registration,
    Tour,
    TourBranch,
    User,
)
from server.keys import HUB, SETTINGS

State = Literal["scheduled", "live", "ended", "cancelled"]
# ISO 8601 with the offset written out (``+00:00``, never ``Z``), as the guide gave it
LocalTime = Annotated[datetime, PlainSerializer(lambda moment: moment.isoformat(),
                                                return_type=str)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GuideOut(_Strict):
    id: int
    name: str


class TourLinks(_Strict):
    page: str = Field(description="this tour in the API (JSON)")
    live: str = Field(description="the live-tour websocket")
    engine: str = Field(description="the desktop engine's command to join; TOKEN is a "
                        "bearer token (POST /api/auth/tokens)")


class TourView(_Strict):
    """A tour as ``GET /api/tours`` and the scheduling calls answer it."""

    id: int
    exhibit_id: str
    version: str
    title: str
    guide_id: int
    guide: GuideOut
    starts_at: LocalTime = Field(description="in the tour's zone, e.g. 2026-12-01T14:00:00+08:00")
    ends_at: LocalTime
    time_zone: str = Field(description="the tour's UTC offset, e.g. +08:00")
    duration_minutes: int
    capacity: int
    registered: int
    branches: list[int]
    state: State = Field(description="scheduled, live (started, not ended), ended or cancelled")
    cancelled: bool
    cancelled_at: LocalTime | None
    registered_by_me: bool
    sequence: int = Field(description="one more at every move and at the cancellation")
    keep_member_voices: bool = Field(description="whether the recording keeps the voices of "
                                     "members who consented")
    recording: str | None = Field(description="the tour's recording (GET lists its files), "
                                  "once it has one")
    links: TourLinks


def zone_of(tour: Tour) -> timezone:
    return timezone(timedelta(minutes=tour.utc_offset_minutes))


def offset_text(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{rest:02d}"


def site_base(request: web.Request) -> str:
    """Where members reach this server: ``REDHALL_SITE_URL`` when it is configured, else
    the address this request came to."""
    settings = request.app[SETTINGS]
    if "site_url" in settings.model_fields_set:
        return settings.site_url.rstrip("/")
    return f"{request.scheme}://{request.host}"


def links(base: str, tour: Tour, version: ExhibitVersion) -> TourLinks:
    live_base = "wss://" + base[8:] if base.startswith("https://") else "ws://" + base[7:]
    live = f"{live_base}/api/tours/{tour.id}/live"
    return TourLinks(page=f"{base}/api/tours/{tour.id}", live=live,
                     engine=f"redhall view {version.exhibit_id}-{version.version}.exhibit "
                            f"--tour {live} --token TOKEN")


async def states(db: AsyncSession, app: web.Application, tours: Sequence[Tour]
                 ) -> dict[int, State]:
    """Each tour's state: cancelled as stored; live and ended from the stored
    ``tour_started`` / ``tour_ended`` facts, or from the room this process runs."""
    ids = [t.id for t in tours]
    seen: dict[int, set[str]] = {i: set() for i in ids}
    if ids:
        rows = await db.execute(select(ParticipationRecord.tour_id, ParticipationRecord.kind)
                                .where(ParticipationRecord.tour_id.in_(ids),
                                       ParticipationRecord.kind.in_(("tour_started",
                                                                     "tour_ended")))
                                .distinct())
        for tour_id, kind in rows:
            seen[cast(int, tour_id)].add(kind)  # one of ``ids``, never None
    rooms = app[HUB].rooms if HUB in app else {}
    out: dict[int, State] = {}
    for tour in tours:
        kinds = seen[tour.id]
        room = rooms.get(tour.id)
        phase = room.state.phase if room is not None else None
        if tour.cancelled_at is not None:
            out[tour.id] = "cancelled"
        elif "tour_ended" in kinds or phase == "ended":
            out[tour.id] = "ended"
        elif "tour_started" in kinds or phase == "live":
            out[tour.id] = "live"
        else:
            out[tour.id] = "scheduled"
    return out


async def tour_views(db: AsyncSession, request: web.Request, tours: Sequence[Tour],
                     viewer: int) -> list[dict[str, object]]:
    """The tours as ``viewer`` sees them, JSON-ready, in a handful of queries."""
    if not tours:
        return []
    ids = [t.id for t in tours]
    versions = {v.id: v for v in (await db.scalars(select(ExhibitVersion).where(
        ExhibitVersion.id.in_({t.exhibit_version_id for t in tours})))).all()}
    guides = dict((await db.execute(select(User.id, User.display_name).where(
        User.id.in_({t.guide_id for t in tours})))).all())
    branches: dict[int, list[int]] = {i: [] for i in ids}
    for tour_id, org_id in await db.execute(select(TourBranch.tour_id, TourBranch.org_id)
                                            .where(TourBranch.tour_id.in_(ids))
                                            .order_by(TourBranch.org_id)):
        branches[tour_id].append(org_id)
    mine = set((await db.scalars(select(Registration.tour_id).where(
        Registration.user_id == viewer, Registration.cancelled_at.is_(None),
        Registration.tour_id.in_(ids)))).all())
    state_of = await states(db, request.app, tours)
    base = site_base(request)
    out = []
    for tour in tours:
        version, zone = versions[tour.exhibit_version_id], zone_of(tour)
        start = tour.starts_at.astimezone(zone)
        out.append(TourView(
            id=tour.id, exhibit_id=version.exhibit_id, version=version.version,
            title=tour.title, guide_id=tour.guide_id,
            guide=GuideOut(id=tour.guide_id, name=guides.get(tour.guide_id, "")),
            starts_at=start, ends_at=start + timedelta(minutes=tour.duration_minutes),
            time_zone=offset_text(tour.utc_offset_minutes),
            duration_minutes=tour.duration_minutes, capacity=tour.capacity,
            registered=tour.registered, branches=branches[tour.id], state=state_of[tour.id],
            cancelled=tour.cancelled_at is not None,
            cancelled_at=tour.cancelled_at.astimezone(zone) if tour.cancelled_at else None,
            registered_by_me=tour.id in mine, sequence=tour.sequence,
            keep_member_voices=tour.keep_member_voices,
            recording=(f"{base}/api/tours/{tour.id}/recording" if tour.recording_sha256
                       else None),
            links=links(base, tour, version)).model_dump(mode="json"))
    return out
