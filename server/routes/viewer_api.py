"""What the browser viewer loads a package by: its signed manifest, then each entry by its
content hash. An entry's address is its sha256, so it never changes and is cached for good
(a second visit transfers almost nothing); the manifest is revalidated on each visit, so a
version taken out of the catalog stops loading.

The package was verified whole (signature, every hash, every scene and model) when it was
uploaded; here each entry served is read with its size bounded by the manifest and its hash
checked again, so a store altered on disk is refused rather than passed on."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from aiohttp import web

from protocol.errors import RedhallError
from server.db.models import ExhibitVersion
from server.errors import json_error
from server.keys import STORE
from server.routes.catalog import visible_version

routes = web.RouteTableDef()
VERSION = "/api/exhibits/{exhibit:[a-z0-9-]{1,64}}/{version:[0-9A-Za-z.+-]{1,64}}"
MANIFEST_LIMIT = 4 * 1024**2  # as the package reader's
SIGNATURE_BYTES = 64  # Ed25519
FOREVER = "private, max-age=31536000, immutable"
# entries are read whole (and hashed) to be answered: a few at a time, so parallel requests
# for large models cannot hold more than this many in memory at once
ENTRY_READS = web.AppKey("viewer_entry_reads", asyncio.Semaphore)
CONCURRENT_ENTRY_READS = 4


def install(app: web.Application) -> None:
    app[ENTRY_READS] = asyncio.Semaphore(CONCURRENT_ENTRY_READS)
    app.add_routes(routes)
ENTRY_TYPES = {".json": "application/json", ".glb": "model/gltf-binary", ".ogg": "audio/ogg",
               ".ttf": "font/ttf", ".otf": "font/otf", ".png": "image/png",
               ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


class StoredEntryChanged(RedhallError):
    """The stored package no longer holds what its manifest says."""


def _read_bounded(path: Path, name: str, limit: int) -> bytes:
    """``name``'s bytes from the package at ``path``, reading at most ``limit`` + 1."""
    try:
        with zipfile.ZipFile(path) as archive, archive.open(name) as handle:
            data = handle.read(limit + 1)
    except (KeyError, OSError, zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise StoredEntryChanged(f"`{name}` cannot be read ({type(exc).__name__})") from None
    if len(data) > limit:
        raise StoredEntryChanged(f"`{name}` is larger than the manifest says")
    return data


def _entry(manifest: dict[str, Any], sha256: str) -> dict[str, Any] | None:
    return next((e for e in manifest.get("entries", []) if e.get("sha256") == sha256), None)


def _refused(row: ExhibitVersion, exc: StoredEntryChanged) -> web.HTTPException:
    return json_error(409, f"{row.exhibit_id} {row.version} as stored on the server no longer "
                           f"matches its manifest: {exc}; upload the package again",
                      reason="store_changed")


@routes.get(VERSION + "/manifest")
async def manifest(request: web.Request) -> web.Response:
    """The manifest's bytes exactly as signed, the signature in ``X-Manifest-Signature``
    (base64). Revalidated on each visit by its ETag (the package's sha256)."""
    row = await visible_version(request)
    etag = f'"{row.sha256}"'
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers=headers)
    path = request.app[STORE].path(row.sha256)
    try:
        body = await asyncio.to_thread(_read_bounded, path, "manifest.json", MANIFEST_LIMIT)
        signature = await asyncio.to_thread(_read_bounded, path, "manifest.sig",
                                            SIGNATURE_BYTES)
    except StoredEntryChanged as exc:
        raise _refused(row, exc) from None
    headers["X-Manifest-Signature"] = base64.b64encode(signature).decode()
    return web.Response(body=body, content_type="application/json", headers=headers)


@routes.get(VERSION + "/entries/{sha256:[0-9a-f]{64}}")
async def entry(request: web.Request) -> web.Response:
    """One entry of the version's manifest, named by its sha256; cached for good."""
    row = await visible_version(request)
    sha256 = request.match_info["sha256"]
    found = _entry(row.manifest, sha256)
    if found is None:
        raise json_error(404, "no entry with that hash in this exhibit version")
    etag = f'"{sha256}"'
    headers = {"ETag": etag, "Cache-Control": FOREVER}
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers=headers)
    name, size = str(found["path"]), int(found["size"])
    path = request.app[STORE].path(row.sha256)
    try:
        async with request.app[ENTRY_READS]:
            data = await asyncio.to_thread(_read_bounded, path, name, size)
            if len(data) != size or hashlib.sha256(data).hexdigest() != sha256:
                raise StoredEntryChanged(f"`{name}` does not hash to its manifest's sha256")
    except StoredEntryChanged as exc:
        raise _refused(row, exc) from None
    kind = ENTRY_TYPES.get(PurePosixPath(name).suffix.lower(), "application/octet-stream")
    return web.Response(body=data, content_type=kind, headers=headers)
