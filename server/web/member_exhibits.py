"""The catalog as members see it (``/exhibits``): each published exhibit with its
thumbnail, scenes and credit rule in words; and one exhibit (``/exhibits/{id}``) with its
scenes and their guide route's stops, read from the verified package."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import select

from protocol.errors import PackageError
from protocol.package import open_package
from server.db.models import ExhibitVersion
from server.failures import NotFound
from server.keys import SESSIONS, STORE
from server.web.catalogue import translate
from server.web.member_words import hours_text, localized, rule_words
from server.web.rendering import language, page_principal, render

EXHIBIT_ROLES = ("member", "guide", "editor", "admin")


async def _published(request: web.Request, exhibit: str | None = None) -> list[ExhibitVersion]:
    """The newest published version of each exhibit (of ``exhibit`` alone when given)."""
    query = select(ExhibitVersion).where(ExhibitVersion.published.is_(True)) \
        .order_by(ExhibitVersion.exhibit_id, ExhibitVersion.id.desc())
    if exhibit is not None:
        query = query.where(ExhibitVersion.exhibit_id == exhibit)
    async with request.app[SESSIONS]() as db:
        rows = (await db.scalars(query)).all()
    newest: dict[str, ExhibitVersion] = {}
    for row in rows:
        newest.setdefault(row.exhibit_id, row)
    return list(newest.values())


def _card(row: ExhibitVersion, lang: str) -> dict[str, Any]:
    manifest = row.manifest
    base = f"/api/exhibits/{row.exhibit_id}/{row.version}"
    thumbnails = manifest.get("thumbnails", [])
    scenes = [{"id": s["id"], "title": localized(s["title"], lang),
               "rule": rule_words(s.get("credit"), lang),
               "hours": hours_text(float(s.get("credit", {}).get("hours", 0))),
               "thumbnail": f"{base}/thumbnails/{s['id']}.png"
               if f"thumbnails/{s['id']}.png" in thumbnails else None}
              for s in manifest["scenes"]]
    # every scene's hours and the exhibit's own award for the whole of it (which a tour
    # through every scene, or visits to all of them, also earns)
    whole = manifest.get("credit")
    total = sum(float(s.get("credit", {}).get("hours", 0)) for s in manifest["scenes"]) \
        + (float(whole.get("hours", 0)) if isinstance(whole, dict) else 0.0)
    return {"id": row.exhibit_id, "version": row.version,
            "title": localized(manifest["title"], lang),
            "summary": localized(manifest.get("summary"), lang),
            "publisher": manifest.get("publisher", ""), "scenes": scenes,
            "hours": hours_text(total),
            "whole_rule": rule_words(whole, lang) if isinstance(whole, dict) else None,
            "thumbnail": next((s["thumbnail"] for s in scenes if s["thumbnail"]), None)}


async def published_cards(request: web.Request) -> list[dict[str, Any]]:
    lang = language(request)
    return [_card(row, lang) for row in await _published(request)]


async def catalog_page(request: web.Request) -> web.Response:
    page_principal(request, *EXHIBIT_ROLES)
    return await render(request, "member/exhibits.html", exhibits=await published_cards(request))


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
    rows = await _published(request, request.match_info["exhibit"])
    if not rows:
        raise NotFound(translate(lang, "member.exhibits.no_such"))
    row = rows[0]
    card = _card(row, lang)
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
