"""A tour's attendance, per person: every join and leave, minutes present while the tour
ran, the quiz score and the credit awarded for it; as rows for JSON, CSV or XLSX.

Everyone registered appears, present or not (0 minutes), and so does everyone who joined
without a registration; the tour's own guide does not. Minutes count the time present
between the tour's start and its end (until now while it is live).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

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

Span = tuple[datetime, datetime | None]
COLUMNS = ("user", "username", "name", "branch_id", "branch", "registered", "spans",
           "minutes", "quiz_right", "quiz_asked", "credit_hours")


def _spans(facts: list[ParticipationRecord], end: datetime | None) -> list[Span]:
    """(joined, left) in order; a stay with no leave lasts to the end (None while live)."""
    spans: list[Span] = []
    opened: datetime | None = None
    for fact in facts:
        if fact.kind == "joined" and opened is None:
            opened = fact.at
        elif fact.kind == "left" and opened is not None:
            spans.append((opened, fact.at))
            opened = None
    if opened is not None:
        spans.append((opened, end))
    return spans


def _minutes(spans: list[Span], start: datetime | None, end: datetime) -> float:
    """Minutes of [start, end] covered by the spans (overlaps counted once)."""
    if start is None:
        return 0.0
    covered, reach = 0.0, start
    for begin, finish in sorted((b, f or end) for b, f in spans):
        begin, finish = max(begin, reach), min(finish, end)
        if finish > begin:
            covered += (finish - begin).total_seconds()
            reach = finish
    return round(covered / 60, 1)


def _quiz_key(fact: ParticipationRecord) -> tuple[str, str] | None:
    scene, item = fact.detail.get("scene"), fact.detail.get("item")
    return (scene, item) if isinstance(scene, str) and isinstance(item, str) else None


def _hours(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return Decimal(0)
    return value if value.is_finite() else Decimal(0)


async def attendance(db: AsyncSession, tour: Tour, zone: timezone) -> dict[str, Any]:
    """The tour's attendance, times in ``zone``."""
    facts = (await db.scalars(select(ParticipationRecord).where(
        ParticipationRecord.tour_id == tour.id)
        .order_by(ParticipationRecord.at, ParticipationRecord.number))).all()
    started = next((f.at for f in facts if f.kind == "tour_started"), None)
    ended = next((f.at for f in reversed(facts) if f.kind == "tour_ended"), None)
    end = ended or utcnow()
    asked = {k for f in facts if f.kind == "quiz_started" and (k := _quiz_key(f)) is not None}
    by_user: dict[int, list[ParticipationRecord]] = defaultdict(list)
    for fact in facts:
        if fact.kind in ("joined", "left", "quiz_answered"):
            by_user[fact.user_id].append(fact)
    registered = set((await db.scalars(select(Registration.user_id).where(
        Registration.tour_id == tour.id, Registration.cancelled_at.is_(None)))).all())
    people = sorted((registered | set(by_user)) - {tour.guide_id})
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
        user, own = users.get(user_id), by_user.get(user_id, [])
        spans = _spans(own, ended)
        right = {k for f in own if f.kind == "quiz_answered" and f.detail.get("correct") is True
                 and (k := _quiz_key(f)) is not None}
        org_id = user.org_id if user is not None else None
        rows.append({
            "user": user_id, "username": user.username if user else "",
            "name": user.display_name if user else "",
            "branch_id": org_id, "branch": branches.get(org_id, "") if org_id else "",
            "registered": user_id in registered,
            "spans": [{"joined": b.astimezone(zone).isoformat(),
                       "left": f.astimezone(zone).isoformat() if f else None}
                      for b, f in spans],
            "minutes": _minutes(spans, started, end),
            "quiz_right": len(right & asked), "quiz_asked": len(asked),
            "credit_hours": float(credit[user_id])})
    return {"tour": tour.id, "title": tour.title,
            "started_at": started.astimezone(zone).isoformat() if started else None,
            "ended_at": ended.astimezone(zone).isoformat() if ended else None,
            "people": rows}


# -- files -----------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_text(value: str) -> str:
    """A cell a spreadsheet will not run: text starting like a formula gets a leading
    apostrophe (OWASP's advice for CSV injection)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _flat(row: dict[str, Any]) -> list[Any]:
    spans = "; ".join(f"{s['joined']}/{s['left'] or ''}" for s in row["spans"])
    cells = [row["user"], row["username"], row["name"], row["branch_id"] or "", row["branch"],
             "yes" if row["registered"] else "no", spans, row["minutes"], row["quiz_right"],
             row["quiz_asked"], row["credit_hours"]]
    return [safe_text(c) if isinstance(c, str) else c for c in cells]


def as_csv(people: list[dict[str, Any]]) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs show Chinese names right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows(_flat(row) for row in people)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def as_xlsx(people: list[dict[str, Any]], title: str) -> bytes:
    """One sheet; every text cell is stored as text, never as a formula."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(list(COLUMNS))
    for row in people:
        sheet.append(_flat(row))
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, str):
                cell.value = ILLEGAL_CHARACTERS_RE.sub("", cell.value)
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
