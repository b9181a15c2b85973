"""Credit reports: each member's progress to their yearly target, each branch's
participation and pace, each exhibit's reach; as rows ready for JSON, CSV or XLSX."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Float, Numeric, case, cast, exists, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from protocol.i18n import Language
from server import spreadsheets
from server.credits.messages import DEFAULT, MESSAGES, text
from server.db.models import (
    ExhibitVersion,
    LedgerEntry,
    Organization,
    ParticipationRecord,
    Tour,
    User,
)

PACE_WARNING = 0.9  # a branch averaging under 90 % of the hours due by now is behind
RATE_WARNING = 0.5  # or one where fewer than half the members took part


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31))

    @property
    def whole_year(self) -> int | None:
        return self.start.year if self == Period.year(self.start.year) else None

    def bounds(self) -> tuple[datetime, datetime]:
        start = datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC)
        end = datetime(self.end.year, self.end.month, self.end.day, tzinfo=UTC)
        return start, end + timedelta(days=1)

    def share_of_year_elapsed(self, today: date) -> float:
        """How much of the target should be done by the end of the period (or today)."""
        last = min(self.end, today)
        first = date(last.year, 1, 1)
        days = (date(last.year, 12, 31) - first).days + 1
        return max(0.0, min(1.0, ((last - first).days + 1) / days))


@dataclass(frozen=True)
class Scope:
    """Whose rows a caller may see: everyone (an administrator of no organization), the
    organizations of a committee's tree (its administrators) or one branch (its guides)."""

    org_id: int | None = None
    org_ids: frozenset[int] | None = None

    @property
    def everyone(self) -> bool:
        return self.org_id is None and self.org_ids is None


# Every report is aggregated by the database: a year's facts and awards run to millions of
# rows, and only one row per member, branch or exhibit comes back.


def _in_scope(scope: Scope) -> Any:
    """The members and guides a report counts (of one branch, a tree, or of all)."""
    condition = User.deleted_at.is_(None) & User.role.in_(("member", "guide"))
    if scope.org_id is not None:
        condition = condition & (User.org_id == scope.org_id)
    if scope.org_ids is not None:
        condition = condition & User.org_id.in_(scope.org_ids)
    return condition


def _awarded_in(period: Period) -> Any:
    """A calendar year counts the awards for that year's visits (evaluated whenever); any
    other period counts awards made within it."""
    if period.whole_year is not None:
        return LedgerEntry.year == period.whole_year
    start, end = period.bounds()
    return (LedgerEntry.at >= start.isoformat().replace("+00:00", "Z")) & \
        (LedgerEntry.at < end.isoformat().replace("+00:00", "Z"))


def _sum_of_hours(only_replays: bool = False) -> Any:
    # hours are exact decimal text; summed as decimals, read back as a float
    hours: Any = cast(LedgerEntry.hours, Numeric(12, 4))
    if only_replays:  # awards for replaying a recorded tour (not attendance)
        hours = case((LedgerEntry.award_key.startswith("replay/"), hours), else_=0)
    return type_coerce(func.coalesce(func.sum(hours), 0), Numeric(asdecimal=False))


def _took_part_in(period: Period) -> Any:
    """Whether the member has a fact in the period: one seek in the (user, time) index."""
    start, end = period.bounds()
    return exists().where(ParticipationRecord.user_id == User.id,
                          ParticipationRecord.at >= start, ParticipationRecord.at < end)


def _target(targets: dict[str, float]) -> Any:
    """A member's yearly target: their own (``User.yearly_target``), else their role's."""
    default = targets.get("member", 32.0)
    by_role = case({role: targets.get(role, default) for role in ("member", "guide")},
                   value=User.role, else_=default)
    return func.coalesce(User.yearly_target, by_role)


def _progress(period: Period, scope: Scope, targets: dict[str, float]) -> Any:
    """One row per member in scope: branch, hours earned, yearly target, took part."""
    hours = (select(LedgerEntry.user_id, _sum_of_hours().label("hours"),
                    _sum_of_hours(only_replays=True).label("replay_hours"))
             .where(_awarded_in(period)).group_by(LedgerEntry.user_id).subquery())
    return (select(User.id, User.username, User.display_name, User.role, User.org_id,
                   func.coalesce(Organization.name, "").label("branch"),
                   type_coerce(func.coalesce(hours.c.hours, 0), Numeric(asdecimal=False))
                   .label("hours"),
                   type_coerce(func.coalesce(hours.c.replay_hours, 0), Numeric(asdecimal=False))
                   .label("replay_hours"),
                   type_coerce(_target(targets), Float).label("target"),
                   _took_part_in(period).label("active"))
            .outerjoin(Organization, Organization.id == User.org_id)
            .outerjoin(hours, hours.c.user_id == User.id)
            .where(_in_scope(scope)))


async def members(sessions: async_sessionmaker[AsyncSession], period: Period, scope: Scope,
                  targets: dict[str, float], today: date) -> list[dict[str, Any]]:
    query = _progress(period, scope, targets).order_by(User.id)
    async with sessions() as db:
        people = (await db.execute(query)).all()
    due = period.share_of_year_elapsed(today)
    return [{"user": person.id, "username": person.username, "name": person.display_name,
             "role": person.role, "branch": person.branch,
             "hours": round(float(person.hours), 2),
             "replay_hours": round(float(person.replay_hours), 2),
             "target": person.target,
             "progress": round(person.hours / person.target, 4) if person.target else 1.0,
             "due_by_now": round(person.target * due, 2),
             "on_pace": person.hours + 1e-9 >= person.target * due,
             "active": bool(person.active)} for person in people]


async def branches(sessions: async_sessionmaker[AsyncSession], period: Period, scope: Scope,
                   targets: dict[str, float], today: date, language: Language = DEFAULT
                   ) -> list[dict[str, Any]]:
    """One row per branch; ``warnings`` holds stable codes (behind_pace,
    low_participation), ``warning`` the same in ``language``."""
    due_share = period.share_of_year_elapsed(today)
    person = _progress(period, scope, targets).subquery()
    due = person.c.target * due_share
    # by branch, not by name: two committees may each have a 第一党支部
    query = (select(person.c.org_id, person.c.branch, func.count().label("members"),
                    func.sum(case((person.c.active, 1), else_=0)).label("active"),
                    type_coerce(func.sum(person.c.hours), Numeric(asdecimal=False))
                    .label("hours"),
                    type_coerce(func.sum(due), Float).label("due"),
                    func.sum(case((person.c.hours + 1e-9 < due, 1), else_=0)).label("behind"))
             .group_by(person.c.org_id, person.c.branch))
    async with sessions() as db:
        groups = (await db.execute(query)).all()
    rows = []
    no_branch = text("no_branch", language)
    for group in sorted(groups, key=lambda group: (group.branch or no_branch,
                                                   group.org_id or 0)):
        count = group.members
        due_by_now = group.due / count
        average = group.hours / count
        rate = group.active / count
        pace = average / due_by_now if due_by_now else 1.0
        warnings = {}
        if pace < PACE_WARNING:
            warnings["behind_pace"] = text("warning.behind_pace", language, average=average,
                                           due=due_by_now)
        if rate < RATE_WARNING:
            warnings["low_participation"] = text("warning.low_participation", language,
                                                 rate=rate)
        rows.append({"branch": group.branch or no_branch, "members": count,
                     "active_members": group.active, "participation_rate": round(rate, 4),
                     "hours": round(float(group.hours), 2),
                     "average_hours": round(average, 2),
                     "due_by_now": round(due_by_now, 2), "pace": round(pace, 4),
                     "behind": group.behind,
                     "warning": text("separator", language).join(warnings.values()),
                     "branch_id": group.org_id, "warnings": list(warnings)})
    return rows


async def exhibits(sessions: async_sessionmaker[AsyncSession], period: Period, scope: Scope
                   ) -> list[dict[str, Any]]:
    start, end = period.bounds()
    # a tour's facts belong to its exhibit; a self-guided visit's name theirs
    exhibit = func.coalesce(ExhibitVersion.exhibit_id,
                            ParticipationRecord.detail["exhibit"].as_string())
    visits = (select(exhibit.label("exhibit"),
                     func.count(ParticipationRecord.user_id.distinct()).label("visitors"),
                     func.count(case((ParticipationRecord.kind == "tour_ended",
                                      ParticipationRecord.tour_id)).distinct()).label("tours"),
                     # members who replayed a recorded tour of it (apart from attendance)
                     func.count(case((ParticipationRecord.detail["replay_of"].as_integer()
                                      .is_not(None), ParticipationRecord.user_id)).distinct())
                     .label("replay_viewers"))
              .outerjoin(Tour, Tour.id == ParticipationRecord.tour_id)
              .outerjoin(ExhibitVersion, ExhibitVersion.id == Tour.exhibit_version_id)
              .where(ParticipationRecord.at >= start, ParticipationRecord.at < end,
                     exhibit.is_not(None))
              .group_by(exhibit))
    awards = (select(LedgerEntry.exhibit_id, func.count().label("awards"),
                     _sum_of_hours().label("hours"))
              .where(_awarded_in(period)).group_by(LedgerEntry.exhibit_id))
    if not scope.everyone:
        allowed = select(User.id).where(_in_scope(scope))
        visits = visits.where(ParticipationRecord.user_id.in_(allowed))
        awards = awards.where(LedgerEntry.user_id.in_(allowed))
    async with sessions() as db:
        seen = {row.exhibit: row for row in (await db.execute(visits)).all()}
        earned = {row.exhibit_id: row for row in (await db.execute(awards)).all()}
    return [{"exhibit": name,
             "visitors": seen[name].visitors if name in seen else 0,
             "tours": seen[name].tours if name in seen else 0,
             "replay_viewers": seen[name].replay_viewers if name in seen else 0,
             "awards": earned[name].awards if name in earned else 0,
             "hours": round(float(earned[name].hours), 2) if name in earned else 0.0}
            for name in sorted(set(seen) | set(earned))]


COLUMNS = {
    "members": ("user", "username", "name", "role", "branch", "hours", "replay_hours",
                "target", "progress", "due_by_now", "on_pace", "active"),
    "branches": ("branch", "members", "active_members", "participation_rate", "hours",
                 "average_hours", "due_by_now", "pace", "behind", "warning", "branch_id"),
    "exhibits": ("exhibit", "visitors", "tours", "replay_viewers", "awards", "hours"),
}


def _cell(key: str, value: Any, language: Language) -> Any:
    if isinstance(value, bool):
        return text("yes" if value else "no", language)
    if key == "role" and f"role.{value}" in MESSAGES:
        return text(f"role.{value}", language)
    return value


def table(report: str, rows: list[dict[str, Any]], language: Language
          ) -> tuple[list[str], list[list[Any]]]:
    """A report as a spreadsheet sees it: column labels and cells in ``language``
    (是/否 for yes and no, role names in words)."""
    keys = COLUMNS[report]
    return ([text(f"col.{report}.{key}", language) for key in keys],
            [[_cell(key, row.get(key), language) for key in keys] for row in rows])


def as_csv(report: str, rows: list[dict[str, Any]], language: Language = DEFAULT) -> bytes:
    """UTF-8 with a byte-order mark, every text cell safe to open (see
    :mod:`server.spreadsheets`)."""
    return spreadsheets.as_csv(*table(report, rows, language))


def as_xlsx(report: str, rows: list[dict[str, Any]], language: Language = DEFAULT) -> bytes:
    """One sheet named in ``language``; text cells stored as text, never as formulas."""
    return spreadsheets.as_xlsx(*table(report, rows, language),
                                title=text(f"sheet.{report}", language))
