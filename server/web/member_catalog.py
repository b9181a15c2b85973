"""The catalog as the member's pages show it, kept in the process: each published
exhibit's card (title, scenes, credit rules in words, thumbnails) and every exhibit's and
scene's title, in the reader's language, read with one query and shared by every request.

The copy lives in the catalog listing's cache (``app[LISTING]``, a :class:`TTLCache` of
a couple of seconds), which the catalog routes clear as a version is uploaded, published
or unpublished: this process shows the change at the next request; other workers of
``redhall serve --workers N`` within the cache's few seconds (the same bound their
``GET /api/exhibits`` keeps). A version's manifest never changes once stored, so nothing
else can make the copy stale.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import ExhibitVersion
from server.keys import LISTING
from server.web.member_words import hours_text, localized, rule_words


@dataclass(frozen=True)
class Published:
    """The newest published version of an exhibit, as much of it as the pages read."""

    exhibit_id: str
    version: str
    sha256: str
    manifest: Mapping[str, Any]


@dataclass(frozen=True)
class Catalog:
    """The catalog in one language. ``cards`` and ``titles`` are shared between requests:
    read them, copy what a page changes (:func:`card_copy`)."""

    published: tuple[Published, ...]  # by exhibit id
    cards: tuple[dict[str, Any], ...]  # one a published exhibit, in the same order
    titles: Mapping[str, str]  # exhibit id, and ``exhibit/scene``, to its title


def card(row: Published, lang: str) -> dict[str, Any]:
    """An exhibit's card: its texts in ``lang``, each scene's rule in words and
    thumbnail, and the hours the whole of it can earn."""
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


def card_copy(shared: dict[str, Any]) -> dict[str, Any]:
    """A card a page may add to (its scenes included) without touching the shared one."""
    return {**shared, "scenes": [dict(scene) for scene in shared["scenes"]]}


async def _load(db: AsyncSession, lang: str) -> Catalog:
    rows = (await db.execute(select(
        ExhibitVersion.exhibit_id, ExhibitVersion.version, ExhibitVersion.sha256,
        ExhibitVersion.published, ExhibitVersion.manifest)
        .order_by(ExhibitVersion.exhibit_id, ExhibitVersion.id))).all()
    titles: dict[str, str] = {}
    newest: dict[str, Published] = {}
    for exhibit, version, sha256, published, manifest in rows:
        # every version names its exhibit's title; the newest uploaded names it last (and
        # the newest published is the one shown), exhibits in the database's order
        titles[exhibit] = localized(manifest.get("title"), lang)
        for scene in manifest.get("scenes", []):
            titles[f"{exhibit}/{scene['id']}"] = localized(scene.get("title"), lang)
        if published:
            newest[exhibit] = Published(exhibit, version, sha256, manifest)
    shown = tuple(newest.values())
    return Catalog(shown, tuple(card(row, lang) for row in shown), MappingProxyType(titles))


async def catalog(request: web.Request, db: AsyncSession, lang: str) -> Catalog:
    """The catalog in ``lang``: the process's copy, or read now through ``db`` (once for
    every request that asks meanwhile) when it is older than the cache's few seconds or a
    version was uploaded, published or unpublished since."""
    found: Catalog = await request.app[LISTING].get_or_load(
        ("member-catalog", lang), lambda: _load(db, lang))
    return found
