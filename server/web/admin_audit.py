"""The audit log page: what was done, by whom, to what and when, filtered and paged.
An administrator of a committee sees what people of their tree did and what was done to
their people and organizations; one of no organization sees everything."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from sqlalchemy import ColumnElement, func, or_, select

from server.db.models import AuditEntry, Organization, Tour, User
from server.keys import SESSIONS
from server.roster.scope import audit_scoped, tree_of
from server.validation import whole_number
from server.web.catalogue import catalogue, translate
from server.web.rendering import language, page_principal, render

routes = web.RouteTableDef()
PAGE_SIZE = 50
BEIJING = timezone(timedelta(hours=8), "UTC+8")  # the committees' own clock


@dataclass(frozen=True)
class Filters:
    actor: str
    action: str
    target: str
    start: date | None
    end: date | None
    page: int

    def link(self, page: int) -> str:
        values = {"actor": self.actor, "action": self.action, "target": self.target,
                  "from": self.start.isoformat() if self.start else "",
                  "to": self.end.isoformat() if self.end else "", "page": str(page)}
        return "/admin/audit?" + urlencode({k: v for k, v in values.items() if v})


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def filters(query: Any) -> Filters:
    page = whole_number(query.get("page"), high=100_000) or 1
    return Filters(actor=query.get("actor", "").strip()[:100],
                   action=query.get("action", "").strip()[:64],
                   target=query.get("target", "").strip()[:200],
                   start=_date(query.get("from", "")), end=_date(query.get("to", "")),
                   page=page)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=BEIJING).astimezone(UTC)


def _conditions(chosen: Filters) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if chosen.actor:
        pattern = "%" + chosen.actor.replace("\\", "\\\\").replace("%", "\\%") \
            .replace("_", "\\_") + "%"
        found.append(AuditEntry.actor_id.in_(select(User.id).where(or_(
            User.username.like(pattern, escape="\\"),
            User.display_name.like(pattern, escape="\\")))))
    if chosen.action:
        found.append(AuditEntry.action == chosen.action)
    if chosen.target:
        found.append(AuditEntry.target.startswith(chosen.target, autoescape=True))
    if chosen.start:
        found.append(AuditEntry.at >= _midnight(chosen.start))
    if chosen.end:
        found.append(AuditEntry.at < _midnight(chosen.end + timedelta(days=1)))
    return found


def _detail(value: object, limit: int = 300) -> str:
    """An entry's detail as one line of JSON, cut short on the page (the API has it all)."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[:limit] + "…"


def _numbered(entries: Any, kind: str) -> set[int]:
    """The ids of the ``kind:N`` targets among ``entries``."""
    found = set()
    for entry in entries:
        prefix, _, number = entry.target.partition(":")
        if prefix == kind and number.isdigit() and len(number) < 12:
            found.add(int(number))
    return found


async def _target_names(db: Any, entries: Any) -> dict[str, str]:
    """What the page shows for a target: a person's, organization's or tour's name by
    its ``kind:N`` code (the code stays beside it); others are shown as they are."""
    named: dict[str, str] = {}
    for kind, id_column, name_column in (("user", User.id, User.display_name),
                                         ("org", Organization.id, Organization.name),
                                         ("tour", Tour.id, Tour.title)):
        ids = _numbered(entries, kind)
        if ids:
            rows = (await db.execute(select(id_column, name_column)
                                     .where(id_column.in_(ids)))).all()
            named.update({f"{kind}:{number}": name for number, name in rows})
    return named


def _action_namer(lang: str) -> Any:
    known = catalogue()

    def action_name(code: str) -> str:
        key = f"admin.audit.do.{code}"
        return translate(lang, key) if key in known else code
    return action_name


@routes.get("/admin/audit")
async def audit(request: web.Request) -> web.Response:
    principal = page_principal(request, "admin")
    chosen = filters(request.query)
    async with request.app[SESSIONS]() as db:
        tree = await tree_of(db, principal)
        base = audit_scoped(select(AuditEntry), principal, tree).where(*_conditions(chosen))
        total = await db.scalar(select(func.count()).select_from(base.subquery())) or 0
        entries = (await db.scalars(base.order_by(AuditEntry.id.desc())
                                    .offset((chosen.page - 1) * PAGE_SIZE)
                                    .limit(PAGE_SIZE))).all()
        actions = (await db.scalars(audit_scoped(select(AuditEntry.action).distinct(),
                                            principal, tree)
                                    .order_by(AuditEntry.action))).all()
        actor_ids = {e.actor_id for e in entries if e.actor_id is not None}
        names = dict((await db.execute(select(User.id, User.display_name).where(
            User.id.in_(actor_ids)))).all()) if actor_ids else {}
        targets = await _target_names(db, entries)
    pages = max(1, -(-total // PAGE_SIZE))
    return await render(
        request, "admin/audit.html", entries=entries, names=names, actions=actions,
        chosen=chosen, total=total, pages=pages,
        newer=chosen.link(chosen.page - 1) if chosen.page > 1 else None,
        older=chosen.link(chosen.page + 1) if chosen.page < pages else None,
        detail=_detail, targets=targets, action_name=_action_namer(language(request)),
        local=lambda at: at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"))
