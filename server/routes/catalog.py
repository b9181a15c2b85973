"""The exhibit catalog: upload (verified), versions, publish, list, thumbnails, download."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select

from protocol.api import ExhibitListQuery
from protocol.errors import (
    PackageError,
    SignatureInvalid,
    TamperedPackage,
    UnknownFormat,
    UnsafePackage,
)
from protocol.package import CorruptPackage, MalformedPackage, open_package
from server.audit import record
from server.auth import EVERYONE, require
from server.credits.signing import fingerprint, public_text
from server.db.models import ExhibitVersion
from server.errors import json_error
from server.keys import LISTING, SESSIONS, SETTINGS, STORE, TRUSTED
from server.validation import query

routes = web.RouteTableDef()
EDITORS = ("editor", "admin")
log = logging.getLogger("redhall.catalog")


def _dumps(value: Any) -> str:
    """Strict JSON: a non-finite number is an error here, never `Infinity` in a reply."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def _json(value: Any, status: int = 200) -> web.Response:
    return web.json_response(value, status=status, dumps=_dumps)


def _summary(row: ExhibitVersion) -> dict[str, Any]:
    manifest = row.manifest
    base = f"/api/exhibits/{row.exhibit_id}/{row.version}"
    return {
        "id": row.exhibit_id, "version": row.version, "sha256": row.sha256, "size": row.size,
        "published": row.published, "title": manifest["title"], "summary": manifest["summary"],
        "publisher": manifest["publisher"], "languages": manifest["languages"],
        "scenes": [{"id": s["id"], "title": s["title"], "credit": s["credit"],
                    "thumbnail": f"{base}/thumbnails/{s['id']}.png"
                    if f"thumbnails/{s['id']}.png" in manifest.get("thumbnails", []) else None}
                   for s in manifest["scenes"]],
        "credit": manifest.get("credit"),
        "download": f"{base}/package",
        "uploaded_at": row.uploaded_at.isoformat(),
    }


def _how_to_trust(trusted: list[Ed25519PublicKey]) -> str:
    """What an editor whose package was refused for its signature can do about it."""
    prints = [fingerprint(public_text(key)) for key in trusted]
    held = (f"This server trusts {len(prints)} publisher key(s), fingerprint(s) "
            + ", ".join(prints)) if prints else "This server trusts no publisher key yet"
    return (f". {held}. To accept "
            "this publisher's packages, the server's administrator adds the publisher's "
            "public key (the .pub file `redhall keygen` wrote beside the private key; keygen "
            "also prints its fingerprint) to REDHALL_TRUSTED_KEYS, a JSON list of paths such "
            "as REDHALL_TRUSTED_KEYS='[\"keys/publisher.key.pub\"]' (or `trusted_keys` in the "
            "TOML file), and restarts the server")


# A refusal's kind, beside its message, so a page can word it for an editor: each reader
# error class, most specific first (TamperedPackage and the others derive from PackageError).
REFUSALS: tuple[tuple[type[PackageError], str], ...] = (
    (SignatureInvalid, "bad_signature"), (TamperedPackage, "hash_mismatch"),
    (UnsafePackage, "unsafe"), (UnknownFormat, "unknown_format"),
    (CorruptPackage, "damaged"), (MalformedPackage, "malformed"),
)


async def _refusal_kind(exc: PackageError, path: Path) -> str:
    """``exc``'s kind; a signature that verifies against no trusted key is an unknown
    signer when the package is whole without it, else a bad signature (altered after
    signing, or damaged)."""
    kind = next((name for cls, name in REFUSALS if isinstance(exc, cls)), "not_a_package")
    if kind == "bad_signature":
        try:
            await asyncio.to_thread(open_package, path, None)
        except Exception:  # noqa: BLE001  (a refusal or a failure: the package is not whole)
            return kind
        return "unknown_signer"
    return kind


@routes.post("/api/exhibits")
async def upload(request: web.Request) -> web.Response:
    principal = require(request, *EDITORS)
    store = request.app[STORE]
    temporary, sha256, size = await store.receive(request,
                                                  request.app[SETTINGS].max_upload_bytes)
    try:
        package = await asyncio.to_thread(open_package, temporary, request.app[TRUSTED])
    except PackageError as exc:
        kind = await _refusal_kind(exc, temporary)
        temporary.unlink(missing_ok=True)
        message = f"package refused: {exc}".replace(str(temporary), "upload")
        if isinstance(exc, SignatureInvalid):
            message += _how_to_trust(request.app[TRUSTED])
        raise json_error(422, message, reason=kind) from None
    except Exception:  # the reader refuses with PackageError; anything else is refused too
        temporary.unlink(missing_ok=True)
        log.exception("the package reader failed on an upload")
        raise json_error(422, "package refused: it could not be read as an exhibition "
                              "package", reason="not_a_package") from None
    manifest = package.manifest_json
    async with request.app[SESSIONS].begin() as db:
        existing = await db.scalar(select(ExhibitVersion).where(
            ExhibitVersion.exhibit_id == manifest["id"],
            ExhibitVersion.version == manifest["version"]))
        if existing is not None:
            temporary.unlink(missing_ok=True)
            if existing.sha256 != sha256:
                raise json_error(409, f"{manifest['id']} {manifest['version']} exists with other "
                                      "content; raise the version to upload a change",
                                 reason="version_exists", exhibit=manifest["id"],
                                 version=manifest["version"])
            return _json(_summary(existing))
        store.keep(temporary, sha256)
        row = ExhibitVersion(exhibit_id=manifest["id"], version=manifest["version"],
                             sha256=sha256, size=size, manifest=manifest,
                             uploaded_by=principal.user_id)
        db.add(row)
        await db.flush()
        record(db, principal, "exhibit.upload", f"exhibit:{row.exhibit_id}@{row.version}",
               sha256=sha256)
        out = _summary(row)
    request.app[LISTING].clear()
    return _json(out, status=201)


async def visible_version(request: web.Request, roles: tuple[str, ...] = EVERYONE
                          ) -> ExhibitVersion:
    """The requested version; unpublished ones exist only for editors and admins."""
    principal = require(request, *roles)
    async with request.app[SESSIONS]() as db:
        row = await db.scalar(select(ExhibitVersion).where(
            ExhibitVersion.exhibit_id == request.match_info["exhibit"],
            ExhibitVersion.version == request.match_info["version"]))
    if row is None or (not row.published and principal.role not in EDITORS):
        raise json_error(404, "no such exhibit version")
    return row


async def _set_published(request: web.Request, published: bool) -> web.Response:
    principal = require(request, *EDITORS)
    async with request.app[SESSIONS].begin() as db:
        row = await db.scalar(select(ExhibitVersion).where(
            ExhibitVersion.exhibit_id == request.match_info["exhibit"],
            ExhibitVersion.version == request.match_info["version"]))
        if row is None:
            raise json_error(404, "no such exhibit version")
        row.published = published
        record(db, principal, "exhibit.publish" if published else "exhibit.unpublish",
               f"exhibit:{row.exhibit_id}@{row.version}")
        out = _summary(row)
    request.app[LISTING].clear()
    return _json(out)


VERSION = "/api/exhibits/{exhibit:[a-z0-9-]+}/{version:[0-9A-Za-z.+-]+}"


@routes.post(VERSION + "/publish")
async def publish(request: web.Request) -> web.Response:
    return await _set_published(request, True)


@routes.post(VERSION + "/unpublish")
async def unpublish(request: web.Request) -> web.Response:
    return await _set_published(request, False)


@routes.get("/api/exhibits")
async def list_exhibits(request: web.Request) -> web.Response:
    """Published exhibits, newest version of each; editors may ask for ``?all=1``."""
    principal = require(request, *EVERYONE)
    every = query(request, ExhibitListQuery).all == "1" and principal.role in EDITORS
    if every:
        payload = await _listing(request, every=True)
    else:
        payload = await request.app[LISTING].get_or_load(
            "published", lambda: _listing(request, every=False))
    return web.Response(body=payload, content_type="application/json")


async def _listing(request: web.Request, every: bool) -> bytes:
    statement = select(ExhibitVersion).order_by(ExhibitVersion.exhibit_id, ExhibitVersion.id.desc())
    if not every:
        statement = statement.where(ExhibitVersion.published.is_(True))
    async with request.app[SESSIONS]() as db:
        rows = (await db.scalars(statement)).all()
    if not every:
        newest: dict[str, ExhibitVersion] = {}
        for row in rows:
            newest.setdefault(row.exhibit_id, row)
        rows = list(newest.values())
    shown = []
    for row in rows:
        try:
            shown.append(_dumps(_summary(row)))
        except ValueError:  # stored before uploads were checked for non-finite numbers
            log.warning("exhibit %s %s left out of the list: its manifest holds a number "
                        "JSON cannot carry", row.exhibit_id, row.version)
    return ("[" + ", ".join(shown) + "]").encode()


@routes.get(VERSION)
async def show(request: web.Request) -> web.Response:
    row = await visible_version(request)
    try:
        body = _dumps(_summary(row))
    except ValueError:
        raise json_error(409, f"{row.exhibit_id} {row.version} has a manifest with a number "
                              "JSON cannot carry; upload a corrected version") from None
    return web.Response(text=body, content_type="application/json")


@routes.get(VERSION + "/thumbnails/{scene:[a-z0-9-]+}.png")
async def thumbnail(request: web.Request) -> web.Response:
    row = await visible_version(request)
    name = f"thumbnails/{request.match_info['scene']}.png"
    if name not in row.manifest.get("thumbnails", []):
        raise json_error(404, "no such thumbnail")
    path = request.app[STORE].path(row.sha256)
    try:
        package = await asyncio.to_thread(open_package, path, None)
        data = await asyncio.to_thread(package.read, name)
    except PackageError as exc:  # kept before today's checks, and refused by them
        raise json_error(409, f"{row.exhibit_id} {row.version} no longer passes the package "
                              f"checks: {str(exc).replace(str(path), 'package')}") from None
    return web.Response(body=data, content_type="image/png",
                        headers={"ETag": f'"{row.sha256}-{request.match_info["scene"]}"',
                                 "Cache-Control": "private, max-age=3600"})


@routes.get(VERSION + "/package")
async def download(request: web.Request) -> web.StreamResponse:
    """The package file, with a strong ETag (its sha256) and byte ranges for resuming."""
    row = await visible_version(request)
    etag = f'"{row.sha256}"'
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers={"ETag": etag})
    path: Path = request.app[STORE].path(row.sha256)
    return _SealedFileResponse(path, etag, headers={
        "Content-Type": "application/vnd.redhall.exhibit+zip",
        "Content-Disposition": f'attachment; filename="{row.exhibit_id}-{row.version}.exhibit"',
        "Cache-Control": "private, max-age=86400, immutable"})


class _SealedFileResponse(web.FileResponse):
    """aiohttp's file response (sendfile, byte ranges) with our strong ETag, the package's
    sha256, instead of the one aiohttp derives from the file's mtime and size."""

    def __init__(self, path: Path, etag: str, headers: dict[str, str]) -> None:
        super().__init__(path, headers=headers)
        self._strong_etag = etag.strip('"')
        web.StreamResponse.etag.fset(self, self._strong_etag)  # type: ignore[attr-defined]

    @property  # type: ignore[override]
    def etag(self) -> object:
        return web.StreamResponse.etag.fget(self)  # type: ignore[attr-defined]

    @etag.setter
    def etag(self, value: object) -> None:
        web.StreamResponse.etag.fset(self, self._strong_etag)  # type: ignore[attr-defined]
