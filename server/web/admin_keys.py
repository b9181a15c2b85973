"""The trusted publisher keys page: each key the server accepts packages from (the
settings' ``trusted_keys`` files), its fingerprint, and which stored exhibit versions it
signed. Which key signed a version is not recorded at upload, so it is found by checking
each stored package's manifest signature against each key (two small zip entries each)."""

from __future__ import annotations

import asyncio
import hashlib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select

from protocol.package import MANIFEST, SIGNATURE
from server.db.models import ExhibitVersion
from server.keys import SESSIONS, SETTINGS, STORE, TRUSTED
from server.web.rendering import page_principal, render

routes = web.RouteTableDef()
MAX_VERSIONS = 1000  # the most recent versions checked; older ones are left unnamed
MAX_ENTRY = 4 * 1024 * 1024  # a manifest larger than this is not read here


@dataclass
class TrustedKey:
    path: Path
    sha256: str  # of the key's 32 raw bytes, as keygen prints its first 16 hex digits
    signed: list[ExhibitVersion] = field(default_factory=list)

    @property
    def short(self) -> str:
        return self.sha256[:16]


def _raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _signer(package: Path, keys: list[Ed25519PublicKey]) -> int | None:
    """The index of the key that signed ``package``'s manifest, if any does."""
    try:
        with zipfile.ZipFile(package) as archive:
            infos = [archive.getinfo(MANIFEST), archive.getinfo(SIGNATURE)]
            if any(info.file_size > MAX_ENTRY for info in infos):
                return None
            manifest, signature = (archive.read(info) for info in infos)
    except (OSError, KeyError, zipfile.BadZipFile):
        return None
    for index, key in enumerate(keys):
        try:
            key.verify(signature, manifest)
        except InvalidSignature:
            continue
        return index
    return None


def _attribute(rows: list[ExhibitVersion], store_path: dict[str, Path],
               keys: list[Ed25519PublicKey]) -> dict[int, int | None]:
    """Each version's signing key (its index in ``keys``), or None."""
    return {row.id: _signer(store_path[row.sha256], keys) for row in rows}


@routes.get("/admin/keys")
async def keys(request: web.Request) -> web.Response:
    page_principal(request, "admin")
    settings, keys = request.app[SETTINGS], request.app[TRUSTED]
    trusted = [TrustedKey(path, hashlib.sha256(_raw(key)).hexdigest())
               for path, key in zip(settings.trusted_keys, keys, strict=True)]
    async with request.app[SESSIONS]() as db:
        rows = list((await db.scalars(select(ExhibitVersion).order_by(
            ExhibitVersion.uploaded_at.desc(), ExhibitVersion.id.desc())
            .limit(MAX_VERSIONS))).all())
    store = request.app[STORE]
    paths = {row.sha256: store.path(row.sha256) for row in rows}
    signers = await asyncio.to_thread(_attribute, rows, paths, keys)
    unmatched = []
    for row in rows:
        index = signers[row.id]
        if index is None:
            unmatched.append(row)
        else:
            trusted[index].signed.append(row)
    return await render(request, "admin/keys.html", keys=trusted, unmatched=unmatched)
