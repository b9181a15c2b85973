"""``/api/dashboard``: the committee's dashboard (党建驾驶舱) for a period, as JSON, CSV or
XLSX; ``/api/dashboard/members/{id}``: one member's year. Administrators only, and only
for the organizations under their own (all of them for an administrator of none)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from server.audit import record
from server.auth import Principal, require
from server.dashboard import export
from server.dashboard.cache import kept_view
from server.dashboard.member_year import member_year
from server.dashboard.period import Period
from server.dashboard.titles import name_exhibits
from server.dashboard.tree import Subtree, overseen
from server.dashboard.view import dashboard
from server.failures import BadRequest
from server.keys import SESSIONS, SETTINGS
from server.validation import path_id
from server.web.catalogue import translator
from server.web.rendering import asked_language

routes = web.RouteTableDef()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("json", "csv", "xlsx")


def _period(request: web.Request) -> Period:
    raw = request.query.get("period")
    return Period.parse(raw) if raw is not None else Period(datetime.now(UTC).year, 1, 12)


def _org(request: web.Request) -> int | None:
    raw = request.query.get("org")
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10):
        raise BadRequest(f"org must be an organization's id, not {raw[:20]!r}")
    return int(raw)


async def _subtree(request: web.Request, principal: Principal, org: int | None) -> Subtree:
    return await overseen(request.app[SESSIONS], principal.org_id, org)


def _json(data: Any, lang: str) -> web.Response:
    return web.json_response(data, dumps=lambda v: json.dumps(v, ensure_ascii=False),
                             headers={"Content-Language": lang})


async def overview(app: web.Application, period: Period, subtree: Subtree,
                   lang: str) -> dict[str, Any]:
    """The dashboard of ``subtree`` for ``period`` in ``lang``, kept while it stands."""
    today = datetime.now(UTC).date()

    t = translator(lang)

    async def compute() -> dict[str, Any]:
        view = await dashboard(app[SESSIONS], period, subtree, app[SETTINGS].credit_targets,
                               today, t)
        await name_exhibits(app[SESSIONS], lang, view["exhibits"])
        return view

    return await kept_view(app, app[SESSIONS], period, subtree, today, lang, compute)


@routes.get("/api/dashboard")
async def get_dashboard(request: web.Request) -> web.Response:
    principal = require(request, "admin")
    fmt = request.query.get("format", "json")
    if fmt not in FORMATS:
        raise BadRequest("format must be json, csv or xlsx")
    period = _period(request)
    lang = asked_language(request)
    subtree = await _subtree(request, principal, _org(request))

    t = translator(lang)

    view = await overview(request.app, period, subtree, lang)
    if fmt == "json":
        return _json(view, lang)
    org = str(subtree.root.id) if subtree.root else "all"
    async with request.app[SESSIONS].begin() as db:  # member figures leave the server
        record(db, principal, "dashboard.export", f"org:{org}", period=period.name, format=fmt)
    name = f"dashboard-{period.name}-{org}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}.{fmt}"',
                   "Content-Language": lang}
    if fmt == "csv":
        return web.Response(body=export.as_csv(view, t), content_type="text/csv",
                            charset="utf-8", headers=disposition)
    data = await asyncio.to_thread(export.as_xlsx, view, t)
    return web.Response(body=data, content_type=XLSX, headers=disposition)


@routes.get(r"/api/dashboard/members/{id:[0-9]{1,10}}")
async def get_member_year(request: web.Request) -> web.Response:
    principal = require(request, "admin")
    user_id = path_id(request, "member")
    period = _period(request)
    subtree = await _subtree(request, principal, None)
    year = await member_year(request.app[SESSIONS], user_id, period.year, subtree,
                             request.app[SETTINGS].credit_targets, datetime.now(UTC).date())
    await name_exhibits(request.app[SESSIONS], asked_language(request), year["exhibits"])
    return _json(year, asked_language(request))
