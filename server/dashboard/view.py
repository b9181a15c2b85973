"""What the dashboard shows for a period and an organization: totals, one row per branch
(or, for a branch, per member) with its flags, the members at risk, the monthly trend and
the exhibits most visited. Plain dicts, ready for JSON and for the spreadsheets."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.dashboard import queries
from server.dashboard.flags import (
    AT_RISK_MARGIN,
    BEHIND_PACE,
    PARTICIPATION_FLOOR,
    Translate,
    branch_flags,
)
from server.dashboard.period import Period
from server.dashboard.queries import Scope
from server.dashboard.tree import Subtree

AT_RISK_LISTED = 50  # the furthest behind; the count says how many there are in all
TOP_EXHIBITS = 10


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def _figures(members: int, active: int, hours: float, to_date: float, due: float
             ) -> dict[str, Any]:
    """What a branch row and the totals share; ``due``: the sum of what is due."""
    return {"members": members, "active": active,
            "participation_rate": round(_ratio(active, members), 4),
            "hours": round(hours, 2),
            "hours_per_member": round(_ratio(hours, members), 2),
            "hours_to_date_per_member": round(_ratio(to_date, members), 2),
            "due_per_member": round(_ratio(due, members), 2),
            "pace": round(_ratio(to_date, due), 4) if due else 1.0}


def _branch_rows(groups: list[Any], subtree: Subtree, t: Translate) -> list[dict[str, Any]]:
    found = {group.org_id: group for group in groups}
    # every branch overseen, with members or not, and any other organization with members
    shown = [org_id for org_id, org in subtree.orgs.items() if org.kind == "branch"]
    shown += [org_id for org_id in found if org_id not in shown]
    rows = []
    for org_id in shown:
        group = found.get(org_id)
        org = subtree.orgs.get(org_id) if org_id is not None else None
        figures = (_figures(group.members, group.active, group.hours, group.hours_to_date,
                            group.due) if group is not None else _figures(0, 0, 0, 0, 0))
        row = {"id": org_id, "name": org.name if org else t("organizer.no_branch"),
               "kind": org.kind if org else None, **figures,
               "at_risk": group.at_risk if group is not None else 0}
        row["flags"] = branch_flags(row, t)
        rows.append(row)
    return sorted(rows, key=lambda row: (-len(row["flags"]), row["pace"], row["name"]))


def _member_row(person: Any, margin: float) -> dict[str, Any]:
    return {"id": person.id, "name": person.name, "username": person.username,
            "hours": round(person.hours, 2), "hours_to_date": round(person.hours_to_date, 2),
            "target": round(person.target, 2), "due": round(person.due, 2),
            "shortfall": round(person.shortfall, 2),
            "active": bool(person.active),
            "at_risk": person.shortfall > person.due * margin}


_T = TypeVar("_T")


async def _on(sessions: async_sessionmaker[AsyncSession],
              query: Callable[..., Awaitable[_T]], *args: Any) -> _T:
    async with sessions() as db:
        return await query(db, *args)


async def _nothing() -> list[Any]:
    return []


async def dashboard(sessions: async_sessionmaker[AsyncSession], period: Period,
                    subtree: Subtree, targets: dict[str, float], today: date,
                    t: Translate) -> dict[str, Any]:
    share = period.share_due(today)
    scope = Scope(None if subtree.root is None else subtree.ids, targets, share)
    last = period.last_month_shown(today)
    # each figure on a connection of its own: the database works on them side by side
    groups, people, risky, hours, active, exhibits = await asyncio.gather(
        _on(sessions, queries.by_org, period, scope, AT_RISK_MARGIN),
        _on(sessions, queries.members, period, scope) if subtree.is_branch else _nothing(),
        _on(sessions, queries.at_risk, period, scope, AT_RISK_MARGIN, AT_RISK_LISTED),
        _on(sessions, queries.hours_by_month, period, scope, last),
        _on(sessions, queries.active_by_month, period, scope, last),
        _on(sessions, queries.top_exhibits, period, scope, TOP_EXHIBITS))
    totals = _figures(sum(g.members for g in groups), sum(g.active for g in groups),
                      sum(g.hours for g in groups), sum(g.hours_to_date for g in groups),
                      sum(g.due for g in groups))
    totals["at_risk"] = sum(g.at_risk for g in groups)
    branches = [] if subtree.is_branch else _branch_rows(groups, subtree, t)
    totals["branches_flagged"] = sum(1 for row in branches if row["flags"])
    root = subtree.root
    return {
        "period": period.name, "year": period.year, "months": [period.first, period.last],
        "share_due": round(share, 4),
        "org": None if root is None else {"id": root.id, "name": root.name, "kind": root.kind},
        "path": [] if root is None else [{"id": o.id, "name": o.name}
                                         for o in subtree.path(root.id)],
        "level": "branch" if subtree.is_branch else "committee",
        "thresholds": {"participation_floor": PARTICIPATION_FLOOR, "behind_pace": BEHIND_PACE,
                       "at_risk_margin": AT_RISK_MARGIN},
        "totals": totals,
        "branches": branches,
        "members": [_member_row(person, AT_RISK_MARGIN) for person in people],
        "at_risk": [{"id": p.id, "name": p.name, "username": p.username,
                     "org_id": p.org_id, "org": p.org_name,
                     "hours_to_date": round(p.hours_to_date, 2), "due": round(p.due, 2),
                     "shortfall": round(p.shortfall, 2)} for p in risky],
        "trend": [{"month": f"{period.year}-{month:02d}",
                   "hours": round(hours.get(month, 0.0), 2), "active": active.get(month, 0)}
                  for month in range(1, last + 1)],
        "exhibits": [{"exhibit": e.exhibit_id, "members": e.members, "awards": e.awards,
                      "hours": round(float(e.hours), 2)} for e in exhibits],
    }
