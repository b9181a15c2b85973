"""The committee's dashboard pages (党建驾驶舱): the committee's branches, a branch's
members, a member's year. The tables are rendered here (they are also the charts' text
alternative); web/static/js/dashboard.js draws the charts from the same API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from server.dashboard.flags import Translate
from server.dashboard.member_year import member_year
from server.dashboard.period import Period
from server.dashboard.titles import name_exhibits
from server.dashboard.tree import overseen
from server.failures import BadRequest
from server.keys import SESSIONS, SETTINGS
from server.routes.dashboard import overview
from server.validation import path_id
from server.web.catalogue import translate, translator
from server.web.rendering import language, page_principal, render

routes = web.RouteTableDef()
YEARS_OFFERED = 5  # the picker offers this year and the four before it
SPANS = ("", "Q1", "Q2", "Q3", "Q4", *(f"{month:02d}" for month in range(1, 13)))


def _period(request: web.Request) -> Period:
    """``?period=`` as the API takes it, or the picker's ``?year=`` and ``?span=``."""
    query = request.query
    if "period" in query:
        return Period.parse(query["period"])
    year = query.get("year") or str(datetime.now(UTC).year)
    span = query.get("span", "")
    if span not in SPANS:
        raise BadRequest(translate(language(request), "organizer.bad_period"))
    return Period.parse(f"{year}-{span}" if span else year)


def _picker(period: Period) -> dict[str, Any]:
    this_year = datetime.now(UTC).year
    years = sorted({*range(this_year - YEARS_OFFERED + 1, this_year + 1), period.year},
                   reverse=True)
    chosen = period.name[5:] if len(period.name) > 4 else ""
    return {"years": years, "year": period.year, "spans": SPANS, "span": chosen}


def period_label(period: Period, t: Translate) -> str:
    if period.name == str(period.year):
        return t("organizer.period.year", year=period.year)
    if period.first == period.last:
        return t("organizer.period.month", year=period.year, month=period.first)
    return t("organizer.period.quarter", year=period.year, quarter=period.last // 3)


# what dashboard.js writes on the charts, in the reader's language
CHART_WORDS = ("hours", "active", "hours_to_date", "due", "members_credited",
               "people_axis", "hours_axis", "facts", "load_failed", "show")


def chart_messages(t: Translate) -> dict[str, str]:
    return {word: t(f"organizer.chart.{word}") for word in CHART_WORDS}


def _api(period: Period, org: int | None, fmt: str | None = None) -> str:
    query = {"period": period.name, **({"org": org} if org is not None else {}),
             **({"format": fmt} if fmt else {})}
    return "/api/dashboard?" + urlencode(query)


async def _overview(request: web.Request, org: int | None) -> web.Response:
    principal = page_principal(request, "admin")
    period = _period(request)
    lang = language(request)
    subtree = await overseen(request.app[SESSIONS], principal.org_id, org)

    t = translator(lang)

    view = await overview(request.app, period, subtree, lang)
    root = subtree.root.id if subtree.root else None
    return await render(request, "organizer/dashboard.html", view=view, picker=_picker(period),
                        period_label=period_label(period, t), chart_messages=chart_messages(t),
                        api=_api(period, root), csv=_api(period, root, "csv"),
                        xlsx=_api(period, root, "xlsx"))


@routes.get("/admin/dashboard")
async def committee(request: web.Request) -> web.Response:
    return await _overview(request, None)


@routes.get(r"/admin/dashboard/branches/{id:[0-9]{1,10}}")
async def branch(request: web.Request) -> web.Response:
    return await _overview(request, path_id(request, "organization"))


@routes.get(r"/admin/dashboard/members/{id:[0-9]{1,10}}")
async def member(request: web.Request) -> web.Response:
    principal = page_principal(request, "admin")
    user_id = path_id(request, "member")
    period = _period(request)
    subtree = await overseen(request.app[SESSIONS], principal.org_id, None)
    year = await member_year(request.app[SESSIONS], user_id, period.year, subtree,
                             request.app[SETTINGS].credit_targets, datetime.now(UTC).date())
    lang = language(request)
    await name_exhibits(request.app[SESSIONS], lang, year["exhibits"])

    t = translator(lang)

    return await render(request, "organizer/member.html", year=year,
                        picker=_picker(Period(period.year, 1, 12)),
                        chart_messages=chart_messages(t),
                        api=f"/api/dashboard/members/{user_id}?period={period.year}")
