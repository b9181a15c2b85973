"""``/api/reports/{members,branches,exhibits}``: credit reports for a year or a period, as
JSON, CSV or XLSX (``?format=``). Admins see everyone; a guide sees their branch."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from typing import Any

from aiohttp import web

from protocol.api import FIRST_YEAR, LAST_YEAR
from protocol.i18n import Language
from server.auth import require
from server.credits import reports
from server.credits.messages import requested
from server.credits.reports import Period, Scope
from server.errors import json_error
from server.keys import SESSIONS, SETTINGS
from server.roster.scope import overseen_orgs

routes = web.RouteTableDef()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _period(request: web.Request) -> Period:
    query = request.query
    try:
        if "from" in query or "to" in query:
            if not ("from" in query and "to" in query):
                raise ValueError("give both from and to")
            period = Period(date.fromisoformat(query["from"]), date.fromisoformat(query["to"]))
            if period.end < period.start:
                raise ValueError("to is before from")
            if not (period.start.year >= FIRST_YEAR and period.end.year <= LAST_YEAR):
                raise ValueError(f"a period lies within {FIRST_YEAR}..{LAST_YEAR}")
            return period
        raw = query.get("year", str(datetime.now(UTC).year))
        if not (raw.isascii() and raw.isdigit() and len(raw) == 4):
            raise ValueError(f"a year is four digits, {FIRST_YEAR}..{LAST_YEAR}")
        year = int(raw)
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise ValueError(f"a year lies within {FIRST_YEAR}..{LAST_YEAR}")
        return Period.year(year)
    except ValueError as exc:
        raise json_error(400, f"choose ?year=YYYY or ?from=YYYY-MM-DD&to=YYYY-MM-DD ({exc})"
                         ) from None


async def _scope(request: web.Request) -> Scope:
    principal = require(request, "guide", "admin")
    if principal.role == "admin":
        async with request.app[SESSIONS]() as db:
            return Scope(org_ids=await overseen_orgs(db, principal))
    if principal.org_id is None:
        raise json_error(403, "a guide without a branch has no report to see")
    return Scope(org_id=principal.org_id)


def _language(request: web.Request) -> Language:
    """``?lang=`` (zh-CN, zh-TW, en), then Accept-Language; zh-CN by default."""
    return requested(request.query, request.headers)


async def _answer(request: web.Request, name: str, rows: list[dict[str, Any]]
                  ) -> web.Response:
    fmt = request.query.get("format", "json")
    lang = _language(request)
    headers = {"Content-Language": lang, "Vary": "Accept-Language"}
    if fmt == "json":  # keys stay as they are; words (warnings, branch names) are localized
        return web.json_response(rows, dumps=lambda v: json.dumps(v, ensure_ascii=False),
                                 headers=headers)
    if fmt == "csv":
        return web.Response(body=reports.as_csv(name, rows, lang), content_type="text/csv",
                            charset="utf-8", headers={
                                **headers,
                                "Content-Disposition": f'attachment; filename="{name}.csv"'})
    if fmt == "xlsx":
        data = await asyncio.to_thread(reports.as_xlsx, name, rows, lang)
        return web.Response(body=data, content_type=XLSX, headers={
            **headers, "Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    raise json_error(400, "format must be json, csv or xlsx")


@routes.get("/api/reports/members")
async def members(request: web.Request) -> web.Response:
    scope = await _scope(request)
    rows = await reports.members(request.app[SESSIONS], _period(request), scope,
                                 request.app[SETTINGS].credit_targets, datetime.now(UTC).date())
    return await _answer(request, "members", rows)


@routes.get("/api/reports/branches")
async def branches(request: web.Request) -> web.Response:
    scope = await _scope(request)
    rows = await reports.branches(request.app[SESSIONS], _period(request), scope,
                                  request.app[SETTINGS].credit_targets, datetime.now(UTC).date(),
                                  _language(request))
    return await _answer(request, "branches", rows)


@routes.get("/api/reports/exhibits")
async def exhibits(request: web.Request) -> web.Response:
    scope = await _scope(request)
    rows = await reports.exhibits(request.app[SESSIONS], _period(request), scope)
    return await _answer(request, "exhibits", rows)
