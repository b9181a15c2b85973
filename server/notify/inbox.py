"""The portal's inbox: a notice for each due reminder, and the reader's own list of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Notification, Reminder, Tour
from server.db.types import utcnow
from server.notify.wording import word
from server.tour_view import zone_of


def notice_detail(reminder: Reminder, tour: Tour) -> dict[str, Any]:
    """What a notice keeps of its tour: the notice's own detail (a move or cancellation
    says what changed), or for a reminder the tour's title and start in its zone."""
    if reminder.detail:
        return dict(reminder.detail)
    return {"title": tour.title,
            "starts_at": tour.starts_at.astimezone(zone_of(tour)).isoformat(),
            "duration_minutes": tour.duration_minutes}


def add_notice(db: AsyncSession, reminder: Reminder, tour: Tour) -> Notification:
    notice = Notification(user_id=reminder.user_id, kind=reminder.kind, tour_id=tour.id,
                          detail=notice_detail(reminder, tour), created_at=utcnow())
    db.add(notice)
    return notice


@dataclass(frozen=True)
class InboxPage:
    """Some of a reader's notices, newest first, and how many of all of them are unread."""

    notices: list[Notification]
    unread: int
    older: int | None  # the ``before`` of the next page, None on the last one


async def unread_count(db: AsyncSession, user_id: int) -> int:
    return int(await db.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0)


async def read_page(db: AsyncSession, user_id: int, *, before: int | None = None,
                    limit: int = 20) -> InboxPage:
    """``user_id``'s notices older than the one ``before`` (all, if None), newest first."""
    query = select(Notification).where(Notification.user_id == user_id)
    if before is not None:
        query = query.where(Notification.id < before)
    rows = list((await db.scalars(query.order_by(Notification.id.desc())
                                  .limit(limit + 1))).all())
    older = rows[limit - 1].id if len(rows) > limit else None
    return InboxPage(rows[:limit], await unread_count(db, user_id), older)


async def mark_read(db: AsyncSession, user_id: int, notice_id: int) -> bool:
    """Marks one of ``user_id``'s notices read (again is fine); False if it is not theirs."""
    notice = await db.get(Notification, notice_id)
    if notice is None or notice.user_id != user_id:
        return False
    if notice.read_at is None:
        notice.read_at = utcnow()
    return True


async def mark_all_read(db: AsyncSession, user_id: int) -> int:
    """Marks every unread notice of ``user_id`` read; returns how many there were."""
    done = await db.execute(update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow()))
    return int(done.rowcount)  # type: ignore[attr-defined]


def as_json(notice: Notification, lang: str, site_url: str) -> dict[str, Any]:
    """A notice as the API gives it: its facts, and its words in ``lang``."""
    wording = word(lang, notice.kind, notice.detail, site_url)
    return {"id": notice.id, "kind": notice.kind, "tour_id": notice.tour_id,
            "detail": notice.detail, "created_at": notice.created_at.isoformat(),
            "read_at": notice.read_at.isoformat() if notice.read_at else None,
            "read": notice.read_at is not None, "heading": wording.heading,
            "text": wording.text, "link": wording.link}
