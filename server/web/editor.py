"""The content editor's pages (editors and admins): every exhibit with its versions,
publishing, uploading a package, one version in detail, and two versions compared."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from sqlalchemy import select

from server.db.models import ExhibitVersion, User
from server.failures import BadRequest, NotFound
from server.keys import SESSIONS, STORE, TRUSTED
from server.web.catalogue import catalogue, translate
from server.web.editor_diff import diff
from server.web.editor_messages import script_messages
from server.web.editor_packages import scenes, signer
from server.web.editor_view import (
    credit_rule,
    kind_sizes,
    local,
    scene_views,
    size_text,
    when,
)
from server.web.rendering import language, page_principal, render

routes = web.RouteTableDef()
EDITORS = ("editor", "admin")
EXHIBIT = r"{exhibit:[a-z0-9-]+}"
VERSION = r"{version:[0-9][0-9A-Za-z.+-]*}"
VERSION_TEXT = re.compile(r"^[0-9][0-9A-Za-z.+-]{0,39}$")


@dataclass(frozen=True)
class VersionRow:
    """One stored version as the list shows it."""

    exhibit: str
    version: str
    title: str
    published: bool
    uploaded_by: str
    uploaded_at: str
    size: str
    signer: str | None
    scenes: list[tuple[str, str | None]]  # title, thumbnail
    api: str
    previous: str | None  # the version uploaded before it, to compare with


def _api(row: ExhibitVersion) -> str:
    return f"/api/exhibits/{row.exhibit_id}/{row.version}"


async def _rows(request: web.Request, exhibit: str | None = None
                ) -> list[tuple[ExhibitVersion, str]]:
    """Stored versions (of ``exhibit``, or all), each exhibit's newest first, with the
    name of who uploaded each."""
    statement = (select(ExhibitVersion, User.display_name)
                 .join(User, User.id == ExhibitVersion.uploaded_by, isouter=True)
                 .order_by(ExhibitVersion.exhibit_id, ExhibitVersion.id.desc()))
    if exhibit is not None:
        statement = statement.where(ExhibitVersion.exhibit_id == exhibit)
    async with request.app[SESSIONS]() as db:
        return [(row, name or "?") for row, name in (await db.execute(statement)).all()]


def _signers(request: web.Request, rows: list[ExhibitVersion]) -> list[str | None]:
    store, trusted = request.app[STORE], request.app[TRUSTED]
    return [signer(store.path(row.sha256), trusted) for row in rows]


@routes.get("/editor/exhibits")
async def exhibits_page(request: web.Request) -> web.Response:
    page_principal(request, *EDITORS)
    lang = language(request)
    found = await _rows(request)
    signers = await asyncio.to_thread(_signers, request, [row for row, _ in found])
    groups: dict[str, list[VersionRow]] = {}
    for index, ((row, uploader), signed) in enumerate(zip(found, signers, strict=True)):
        after = found[index + 1][0] if index + 1 < len(found) else None
        previous = after.version if after is not None and \
            after.exhibit_id == row.exhibit_id else None
        api = _api(row)
        thumbs = set(row.manifest.get("thumbnails", []))
        groups.setdefault(row.exhibit_id, []).append(VersionRow(
            row.exhibit_id, row.version, local(row.manifest["title"], lang), row.published,
            uploader, when(row.uploaded_at), size_text(row.size), signed,
            [(local(s["title"], lang), f"{api}/thumbnails/{s['id']}.png"
              if f"thumbnails/{s['id']}.png" in thumbs else None)
             for s in row.manifest.get("scenes", [])], api, previous))
    return await render(request, "editor/exhibits.html", groups=groups,
                        messages=script_messages(lang, "publish"))


@routes.get("/editor/exhibits/upload")
async def upload_page(request: web.Request) -> web.Response:
    page_principal(request, *EDITORS)
    return await render(request, "editor/upload.html",
                        messages=script_messages(language(request), "upload"))


async def _one(request: web.Request, exhibit: str, version: str) -> tuple[ExhibitVersion, str]:
    for row, uploader in await _rows(request, exhibit):
        if row.version == version:
            return row, uploader
    raise NotFound(translate(language(request), "editor.no_version", exhibit=exhibit,
                             version=version))


@routes.get(f"/editor/exhibits/{EXHIBIT}/{VERSION}")
async def version_page(request: web.Request) -> web.Response:
    page_principal(request, *EDITORS)
    lang = language(request)
    row, uploader = await _one(request, request.match_info["exhibit"],
                               request.match_info["version"])
    path = request.app[STORE].path(row.sha256)
    packaged = await asyncio.to_thread(scenes, path, row.manifest)
    signed = await asyncio.to_thread(signer, path, request.app[TRUSTED])
    manifest: dict[str, Any] = row.manifest
    return await render(
        request, "editor/version.html", row=row, manifest=manifest, uploader=uploader,
        uploaded_at=when(row.uploaded_at), size=size_text(row.size), signer=signed,
        title=local(manifest["title"], lang), summary=local(manifest["summary"], lang),
        kinds=kind_sizes(manifest), scenes=scene_views(manifest, packaged, _api(row), lang),
        credit=credit_rule(manifest.get("credit")), api=_api(row),
        kind_label=lambda kind: translate(lang, f"editor.kind.{kind}")
        if f"editor.kind.{kind}" in catalogue() else kind,
        messages=script_messages(lang, "publish"))


def _chosen(request: web.Request, name: str) -> str | None:
    value = request.query.get(name)
    if value is None or value == "":
        return None
    if not VERSION_TEXT.match(value):
        raise BadRequest(translate(language(request), "editor.diff.bad_version", name=name))
    return value


@routes.get(f"/editor/exhibits/{EXHIBIT}/diff")
async def diff_page(request: web.Request) -> web.Response:
    """``?from=A&to=B``; either left out is the newest version but one, and the newest."""
    page_principal(request, *EDITORS)
    lang = language(request)
    exhibit = request.match_info["exhibit"]
    unknown = set(request.query) - {"from", "to"}
    if unknown:
        raise BadRequest(translate(lang, "editor.diff.bad_query", names=", ".join(
            sorted(unknown))[:200]))
    rows = await _rows(request, exhibit)
    if not rows:
        raise NotFound(translate(lang, "editor.no_exhibit", exhibit=exhibit))
    newest = [row.version for row, _ in rows]
    to = _chosen(request, "to") or newest[0]
    start = _chosen(request, "from") or (newest[1] if len(newest) > 1 and to == newest[0]
                                         else newest[-1])
    (before, _), (after, _) = await _one(request, exhibit, start), await _one(request, exhibit, to)
    store = request.app[STORE]
    old = await asyncio.to_thread(scenes, store.path(before.sha256), before.manifest)
    new = await asyncio.to_thread(scenes, store.path(after.sha256), after.manifest)
    return await render(request, "editor/diff.html", exhibit=exhibit, before=before,
                        after=after, versions=newest, title=local(after.manifest["title"], lang),
                        diff=diff(before.manifest, after.manifest, old, new, lang))
