"""The catalog as members see it (``/exhibits``): each published exhibit with its
thumbnail, scenes and credit rule in words; and one exhibit (``/exhibits/{id}``) with its
scenes and their guide route's stops, read from the verified package."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from aiohttp import web

from protocol.errors import PackageError
from protocol.package import open_package
from server.failures import NotFound
from server.keys import SESSIONS, STORE
from server.web.catalogue import translate
from server.web.member_catalog import card_copy, catalog
from server.web.member_words import localized
from server.web.rendering import language, page_principal, render

EXHIBIT_ROLES = ("member", "guide", "editor", "admin")


async def catalog_page(request: web.Request) -> web.Response:
    page_principal(request, *EXHIBIT_ROLES)
    async with request.app[SESSIONS]() as db:
        shown = await catalog(request, db, language(request))
    return await render(request, "member/exhibits.html", exhibits=list(shown.cards))


def _route_stops(path: Path, scripts: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Each scene script's guide route, from the package (verified as it is opened)."""
    package = open_package(path, None)
    found = {}
    for script in scripts:
        scene = json.loads(package.read(script))["script"]
        found[script] = list(scene.get("route", []))
    return found


async def exhibit_page(request: web.Request) -> web.Response:
    page_principal(request, *EXHIBIT_ROLES)
    lang = language(request)
    exhibit = request.match_info["exhibit"]
    async with request.app[SESSIONS]() as db:
        shown = await catalog(request, db, lang)
    found = next(((row, card) for row, card in zip(shown.published, shown.cards, strict=True)
                  if row.exhibit_id == exhibit), None)
    if found is None:
        raise NotFound(translate(lang, "member.exhibits.no_such"))
    row, card = found[0], card_copy(found[1])
    scripts = [s["script"] for s in row.manifest["scenes"]]
    try:
        routes = await asyncio.to_thread(_route_stops, request.app[STORE].path(row.sha256),
                                         scripts)
    except (PackageError, OSError, ValueError, KeyError):  # a package kept before today's
        routes = {}  # checks: the page still shows what the manifest says
    for scene, script in zip(card["scenes"], scripts, strict=True):
        scene["stops"] = [{"id": stop.get("id", ""), "say": localized(stop.get("say"), lang)}
                          for stop in routes.get(script, [])]
    return await render(request, "member/exhibit.html", exhibit=card,
                        route_known=bool(routes))
