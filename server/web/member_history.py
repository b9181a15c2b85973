"""What a member has done, from their stored participation facts: visits per exhibit
(minutes, scenes, stops, quiz answers), the tours they took part in, and their latest
activity."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import ExhibitVersion, ParticipationRecord, Tour
from server.tour_view import zone_of
from server.web.catalogue import translate
from server.web.member_words import award_subject, hours_text

MAX_FACTS = 20_000  # a year of a keen member's visits is a few thousand facts
VISIT_KINDS = ("scene_entered", "scene_left", "stop_reached", "quiz_answered")


@dataclass
class Visited:
    """One exhibit's self-guided visits, added up."""

    exhibit: str
    title: str
    seconds: float = 0.0
    scenes: set[str] = field(default_factory=set)
    stops: set[tuple[str, str]] = field(default_factory=set)
    quiz_right: int = 0
    quiz_total: int = 0
    last: datetime | None = None

    @property
    def minutes(self) -> int:
        return round(self.seconds / 60)


async def visits(db: AsyncSession, user_id: int, titles: Mapping[str, str]) -> list[Visited]:
    """The member's self-guided visits by exhibit, the latest first."""
    rows = (await db.execute(
        select(ParticipationRecord.kind, ParticipationRecord.detail, ParticipationRecord.at)
        .where(ParticipationRecord.user_id == user_id, ParticipationRecord.tour_id.is_(None),
               ParticipationRecord.kind.in_(VISIT_KINDS))
        .order_by(ParticipationRecord.at.desc()).limit(MAX_FACTS))).all()
    found: dict[str, Visited] = {}
    for kind, detail, at in rows:
        exhibit = str(detail.get("exhibit", ""))
        seen = found.setdefault(exhibit, Visited(exhibit, titles.get(exhibit, exhibit)))
        seen.last = seen.last or at
        scene = str(detail.get("scene", ""))
        seen.scenes.add(scene)
        if kind == "scene_left":
            seen.seconds += float(detail.get("seconds", 0))
        elif kind == "stop_reached":
            seen.stops.add((scene, str(detail.get("stop", ""))))
        elif kind == "quiz_answered":
            seen.quiz_total += 1
            seen.quiz_right += bool(detail.get("correct"))
    return list(found.values())


@dataclass(frozen=True)
class LastVisit:
    """When the member last visited an exhibit on their own, and for how long in all."""

    exhibit: str
    title: str
    minutes: int
    last: datetime


async def last_visits(db: AsyncSession, user_id: int, titles: Mapping[str, str]
                      ) -> list[LastVisit]:
    """The exhibits the member visited on their own, the latest first: what
    :func:`visits` adds up for the home page (minutes, the last visit), added up in the
    database (one index seek on the member's facts, a row an exhibit back)."""
    fact = ParticipationRecord
    mine = select(func.coalesce(fact.detail["exhibit"].as_string(), "").label("exhibit"),
                  fact.kind, fact.detail["seconds"].as_float().label("seconds"), fact.at) \
        .where(fact.user_id == user_id, fact.tour_id.is_(None), fact.kind.in_(VISIT_KINDS)) \
        .subquery()
    last = func.max(mine.c.at)
    rows = (await db.execute(
        select(mine.c.exhibit,
               func.coalesce(func.sum(case((mine.c.kind == "scene_left", mine.c.seconds))),
                             0.0), last)
        .group_by(mine.c.exhibit).order_by(last.desc()))).all()
    return [LastVisit(str(name), titles.get(str(name), str(name)), round(float(total) / 60),
                      at) for name, total, at in rows]


async def tours_taken(db: AsyncSession, user_id: int, titles: Mapping[str, str]
                      ) -> list[dict[str, Any]]:
    """The tours the member joined, the latest first, with the time they started (in the
    tour's zone)."""
    joined = select(ParticipationRecord.tour_id).where(
        ParticipationRecord.user_id == user_id, ParticipationRecord.kind == "joined",
        ParticipationRecord.tour_id.is_not(None))
    tours = (await db.scalars(select(Tour).where(Tour.id.in_(joined))
                              .order_by(Tour.starts_at.desc()))).all()
    return [{"id": t.id, "title": t.title,
             "when": f"{t.starts_at.astimezone(zone_of(t)):%Y-%m-%d %H:%M}"} for t in tours]


async def toured_exhibits(db: AsyncSession, user_id: int) -> set[str]:
    """The exhibits of the tours the member joined."""
    joined = select(ParticipationRecord.tour_id).where(
        ParticipationRecord.user_id == user_id, ParticipationRecord.kind == "joined",
        ParticipationRecord.tour_id.is_not(None))
    return set((await db.scalars(
        select(ExhibitVersion.exhibit_id).join(Tour, Tour.exhibit_version_id == ExhibitVersion.id)
        .where(Tour.id.in_(joined)).distinct())).all())


def activity(visited: list[LastVisit], awards: list[dict[str, Any]], lang: str,
             titles: Mapping[str, str], count: int = 5) -> list[dict[str, str]]:
    """The latest visits and awards, newest first, each as a date and a sentence."""
    items: list[tuple[str, str]] = []
    for seen in visited:
        items.append((seen.last.isoformat(), translate(
            lang, "member.activity.visit", exhibit=seen.title, minutes=seen.minutes)))
    for award in awards:
        items.append((str(award["at"]), translate(
            lang, "member.activity.award", hours=hours_text(float(award["hours"])),
            subject=award_subject(award["subject"], lang, titles))))
    items.sort(reverse=True)
    return [{"date": at[:10], "text": text} for at, text in items[:count]]
