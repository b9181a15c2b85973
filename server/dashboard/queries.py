"""The dashboard's figures, each one query aggregated by the database (a year of a large
committee is millions of facts and awards; only one row per branch, month or exhibit, or
the few members listed, comes back).

学时 are the ledger's awards for the period's year (``LedgerEntry.year``: the year of the
visit, found by the ``year`` index), placed in the month they were awarded; an award for
a visit late in December made in the new year counts in December. A member *took part* in
a period when they have a participation fact in it: read from ``activity_months`` (one row
a member and month with facts, kept as facts are stored), never from the facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    Numeric,
    case,
    cast,
    exists,
    func,
    select,
    true,
    type_coerce,
)
from sqlalchemy.ext.asyncio import AsyncSession

from server.dashboard.period import Period
from server.db.models import ActivityMonth, LedgerEntry, Organization, User

COUNTED_ROLES = ("member", "guide")  # whose 学时 the committee follows


@dataclass(frozen=True)
class Scope:
    """Whose figures: the members of ``org_ids`` (None: of every organization and none)."""

    org_ids: list[int] | None
    targets: dict[str, float]  # the yearly target of each role (settings)
    share_due: float  # of the yearly target, by the period's end (see Period.share_due)


def counted(scope: Scope) -> Any:
    """The users whose figures count: members and guides in scope, not deleted."""
    condition = User.deleted_at.is_(None) & User.role.in_(COUNTED_ROLES)
    return condition if scope.org_ids is None else condition & User.org_id.in_(scope.org_ids)


def target(scope: Scope) -> Any:
    """A member's yearly target: their own, else their role's."""
    default = scope.targets.get("member", 32.0)
    by_role = case({role: scope.targets.get(role, default) for role in COUNTED_ROLES},
                   value=User.role, else_=default)
    return type_coerce(func.coalesce(User.yearly_target, by_role), Float)


def award_month(year: int) -> Any:
    """The month (1..12) of the year an award counts in; ``at`` is ISO 8601 UTC text."""
    return case((LedgerEntry.at < f"{year:04d}", 1),
                (LedgerEntry.at >= f"{year + 1:04d}", 12),
                else_=cast(func.substr(LedgerEntry.at, 6, 2), Integer))


def awarded_from(year: int, month: int) -> Any:
    """Awards counting in ``month`` of ``year`` or later (see :func:`award_month`): the
    ISO 8601 text compared as it is, no month worked out a row."""
    return true() if month <= 1 else LedgerEntry.at >= f"{year:04d}-{month:02d}"


def awarded_until(year: int, month: int) -> Any:
    """Awards counting in ``month`` of ``year`` or earlier (see :func:`award_month`)."""
    if month >= 12:
        return true()
    return LedgerEntry.at < f"{year:04d}-{month + 1:02d}"


HOURS_SCALE = 10_000  # hours are exact to 1/10,000 (the ledger's Numeric(12, 4))


def hours_sum(condition: Any = None) -> Any:
    """Hours are exact decimal text: summed exactly as whole ten-thousandths (an integer
    sum: PostgreSQL keeps a sum of decimals in far more memory, and a sum a member then
    spills to disk), read back as a float (so what sums them further adds floats, not
    decimals)."""
    hours = cast(cast(LedgerEntry.hours, Numeric(12, 4)) * HOURS_SCALE, Integer)
    value = hours if condition is None else case((condition, hours), else_=0)
    return type_coerce(cast(func.coalesce(func.sum(value), 0), Float) / float(HOURS_SCALE),
                       Numeric(asdecimal=False))


def _hours_by_member(period: Period, scope: Scope) -> Any:
    in_period = awarded_from(period.year, period.first)
    query = (select(LedgerEntry.user_id,
                    (hours_sum(in_period) if period.first > 1 else hours_sum())
                    .label("in_period"),
                    hours_sum().label("to_date"))
             .where(LedgerEntry.year == period.year, awarded_until(period.year, period.last))
             .group_by(LedgerEntry.user_id))
    # joined to the members counted: for the whole system, keeping the ledger to them
    # first would only repeat that join
    return (query if scope.org_ids is None else scoped_awards(query, scope)).subquery()


def scoped_awards(query: Any, scope: Scope) -> Any:
    """``query`` over the ledger kept to the awards of the members counted: one seek a
    member in the (year, member) index, which holds every column the figures read (no
    join to the users a row; SQLite would otherwise walk the ledger in another index's
    order, reading each award's row)."""
    return query.where(LedgerEntry.user_id.in_(select(User.id).where(counted(scope))))


def month_key(year: int, month: int) -> int:
    """A month as ``activity_months`` keys it: 202609."""
    return year * 100 + month


def _took_part(period: Period) -> Any:
    """One seek in ``activity_months``' key (member, month)."""
    return exists().where(ActivityMonth.user_id == User.id,
                          ActivityMonth.month >= month_key(period.year, period.first),
                          ActivityMonth.month <= month_key(period.year, period.last))


def progress(period: Period, scope: Scope, *, with_activity: bool = True) -> Any:
    """One row per member counted: org, hours in the period and to its end, target, due,
    shortfall (what is due less what they have, at least 0) and whether they took part."""
    hours = _hours_by_member(period, scope)
    due = target(scope) * scope.share_due
    to_date = type_coerce(func.coalesce(hours.c.to_date, 0), Float)
    columns = [User.id, User.display_name.label("name"), User.username, User.org_id,
               type_coerce(func.coalesce(hours.c.in_period, 0), Float).label("hours"),
               to_date.label("hours_to_date"), target(scope).label("target"),
               type_coerce(due, Float).label("due"),
               type_coerce(case((to_date < due, due - to_date), else_=0.0), Float)
               .label("shortfall")]
    if with_activity:
        columns.append(_took_part(period).label("active"))
    return (select(*columns).outerjoin(hours, hours.c.user_id == User.id)
            .where(counted(scope)))


def behind_by(person: Any, margin: float) -> Any:
    """At risk: short of what is due by more than ``margin`` of it (0.25: has under 75 %
    of the hours the pace asks by now)."""
    return person.c.shortfall > person.c.due * margin


async def by_org(db: AsyncSession, period: Period, scope: Scope, risk_margin: float
                 ) -> list[Any]:
    """Per organization with counted members: members, active, hours in the period and
    to its end, what is due in all, and how many are at risk."""
    person = progress(period, scope).subquery()
    query = (select(person.c.org_id, func.coalesce(Organization.name, "").label("name"),
                    func.count().label("members"),
                    func.sum(case((person.c.active, 1), else_=0)).label("active"),
                    type_coerce(func.sum(person.c.hours), Float).label("hours"),
                    type_coerce(func.sum(person.c.hours_to_date), Float).label("hours_to_date"),
                    type_coerce(func.sum(person.c.due), Float).label("due"),
                    func.sum(case((behind_by(person, risk_margin), 1), else_=0))
                    .label("at_risk"))
             .outerjoin(Organization, Organization.id == person.c.org_id)
             .group_by(person.c.org_id, Organization.name))
    return list((await db.execute(query)).all())


async def members(db: AsyncSession, period: Period, scope: Scope) -> list[Any]:
    """Every counted member (a branch's drill-down), by name."""
    person = progress(period, scope).subquery()
    return list((await db.execute(select(person).order_by(person.c.name, person.c.id))).all())


async def at_risk(db: AsyncSession, period: Period, scope: Scope, risk_margin: float,
                  limit: int) -> list[Any]:
    """The members at risk (see :func:`behind_by`), the furthest behind first."""
    person = progress(period, scope, with_activity=False).subquery()
    query = (select(person, func.coalesce(Organization.name, "").label("org_name"))
             .outerjoin(Organization, Organization.id == person.c.org_id)
             .where(behind_by(person, risk_margin))
             .order_by(person.c.shortfall.desc(), person.c.id).limit(limit))
    return list((await db.execute(query)).all())


async def hours_by_month(db: AsyncSession, period: Period, scope: Scope, last: int
                         ) -> dict[int, float]:
    month = award_month(period.year)
    query = (select(month.label("month"), hours_sum().label("hours"))
             .where(LedgerEntry.year == period.year, awarded_until(period.year, last))
             .group_by(month))
    query = scoped_awards(query, scope)
    return {row.month: float(row.hours) for row in (await db.execute(query)).all()}


async def active_by_month(db: AsyncSession, period: Period, scope: Scope, last: int
                          ) -> dict[int, int]:
    """Members with a fact in each month 1..``last``: the rows of ``activity_months`` in
    those months (one a member and month), counted by month."""
    if last < 1:
        return {}
    month = ActivityMonth.month - period.year * 100
    query = (select(month.label("month"), func.count().label("active"))
             .join(User, User.id == ActivityMonth.user_id)
             .where(ActivityMonth.month >= month_key(period.year, 1),
                    ActivityMonth.month <= month_key(period.year, last), counted(scope))
             .group_by(ActivityMonth.month))
    return {row.month: row.active for row in (await db.execute(query)).all()}


async def top_exhibits(db: AsyncSession, period: Period, scope: Scope, limit: int
                       ) -> list[Any]:
    """The exhibits that most members earned 学时 from in the period: members, awards
    (one a scene or exhibit completed) and hours."""
    query = (select(LedgerEntry.exhibit_id, func.count(LedgerEntry.user_id.distinct())
                    .label("members"), func.count().label("awards"),
                    hours_sum().label("hours"))
             .where(LedgerEntry.year == period.year,
                    awarded_from(period.year, period.first),
                    awarded_until(period.year, period.last))
             .group_by(LedgerEntry.exhibit_id)
             .order_by(func.count(LedgerEntry.user_id.distinct()).desc(),
                       func.count().desc(), LedgerEntry.exhibit_id)
             .limit(limit))
    query = scoped_awards(query, scope)
    return list((await db.execute(query)).all())
