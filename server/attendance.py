"""A tour's attendance, per person: every join and leave, minutes present while the tour
ran, the quiz score and the credit awarded for it; as rows for JSON, CSV or XLSX.

Everyone registered appears, present or not (0 minutes), and so does everyone else the
tour's facts name (who joined without a registration); the tour's own guide does not.
Minutes count the time present between the tour's start and its end (until now while it
is live), exactly as the tour's credits count it. The CSV and XLSX speak the requester's
language, like the credit reports.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from protocol.i18n import Language
from server import spreadsheets
from server.credits.facts import usable
from server.credits.judging import TourFacts
from server.credits.messages import DEFAULT, text
from server.db.models import (
    ExhibitVersion,
    LedgerEntry,
    Organization,
    ParticipationRecord,
    Registration,
    Tour,
    User,
)
from server.db.types import utcnow

COLUMNS = ("user", "username", "name", "branch_id", "branch", "registered", "spans",
           "minutes", "quiz_right", "quiz_asked", "credit_hours")


def _hours(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return Decimal(0)
    return value if value.is_finite() else Decimal(0)


def _moment(at: float, zone: timezone) -> str:
    return datetime.fromtimestamp(at, zone).isoformat()


async def attendance(db: AsyncSession, tour: Tour, zone: timezone) -> dict[str, Any]:
    """The tour's attendance, times in ``zone``.

    Presence and quiz scores come from the typed facts and the very computation the
    tour's credits are judged by (:meth:`TourFacts.evidence`), so once the tour has ended
    a row's minutes, quiz_right and quiz_asked are what its credit judgement used (minutes
    as the ledger's basis records them). While the tour runs, the same computation counts
    up to now, and a stay not yet left has no ``left``."""
    records = (await db.scalars(select(ParticipationRecord).where(
        ParticipationRecord.tour_id == tour.id).order_by(ParticipationRecord.number))).all()
    # attendance shows no scenes, so the first scene (which only counts as shown) is moot
    judged = TourFacts.of(tour.id, tour.guide_id, usable(list(records)), first_scene="")
    ended = judged.end is not None
    seen = judged if ended else replace(judged, end=utcnow().timestamp())
    registered = set((await db.scalars(select(Registration.user_id).where(
        Registration.tour_id == tour.id, Registration.cancelled_at.is_(None)))).all())
    people = sorted((registered | {f.user for f in judged.facts}) - {tour.guide_id})
    users = {u.id: u for u in (await db.scalars(select(User).where(User.id.in_(people)))).all()}
    branches = dict((await db.execute(select(Organization.id, Organization.name).where(
        Organization.id.in_({u.org_id for u in users.values() if u.org_id is not None}))))
        .all())
    version = await db.get(ExhibitVersion, tour.exhibit_version_id)
    credit: dict[int, Decimal] = defaultdict(Decimal)
    if version is not None and people:
        for entry in (await db.scalars(select(LedgerEntry).where(
                LedgerEntry.user_id.in_(people),
                LedgerEntry.exhibit_id == version.exhibit_id))).all():
            if isinstance(entry.subject, dict) and entry.subject.get("tour") == tour.id:
                credit[entry.user_id] += _hours(entry.hours)
    rows = []
    for user_id in people:
        user = users.get(user_id)
        evidence = seen.evidence(user_id)
        org_id = user.org_id if user is not None else None
        rows.append({
            "user": user_id, "username": user.username if user else "",
            "name": user.display_name if user else "",
            "branch_id": org_id, "branch": branches.get(org_id, "") if org_id else "",
            "registered": user_id in registered,
            "spans": [{"joined": _moment(joined, zone),
                       "left": None if not ended and left == seen.end
                       else _moment(left, zone)}
                      for joined, left in seen.intervals(user_id)],
            "minutes": evidence.basis()["minutes"],
            "quiz_right": evidence.quiz_right, "quiz_asked": evidence.quiz_total,
            "credit_hours": float(credit[user_id])})
    return {"tour": tour.id, "title": tour.title,
            "started_at": _moment(judged.start, zone) if judged.start is not None else None,
            "ended_at": _moment(judged.end, zone) if judged.end is not None else None,
            "people": rows}


# -- files -----------------------------------------------------------------------------


def table(people: list[dict[str, Any]], language: Language
          ) -> tuple[list[str], list[list[Any]]]:
    """Attendance as a spreadsheet sees it: column labels and yes/no in ``language``, each
    person's stays as ``joined/left`` separated by ``; ``."""
    header = [text(f"col.attendance.{key}", language) for key in COLUMNS]
    cells = []
    for row in people:
        spans = "; ".join(f"{s['joined']}/{s['left'] or ''}" for s in row["spans"])
        cells.append([row["user"], row["username"], row["name"], row["branch_id"],
                      row["branch"], text("yes" if row["registered"] else "no", language),
                      spans, row["minutes"], row["quiz_right"], row["quiz_asked"],
                      row["credit_hours"]])
    return header, cells


def as_csv(people: list[dict[str, Any]], language: Language = DEFAULT) -> bytes:
    """UTF-8 with a byte-order mark, every text cell safe to open (see
    :mod:`server.spreadsheets`)."""
    return spreadsheets.as_csv(*table(people, language))


def as_xlsx(people: list[dict[str, Any]], language: Language = DEFAULT) -> bytes:
    """One sheet named in ``language``; text cells stored as text, never as formulas."""
    return spreadsheets.as_xlsx(*table(people, language),
                                title=text("sheet.attendance", language))
