"""What the editor's pages read from a stored package beyond its manifest row: who signed
it, and its packaged scenes (route stops, hotspots, narration live there, not in the
manifest). Stored packages are content-addressed and never change, so what is read is
kept by the package's sha256."""

from __future__ import annotations

import hashlib
import json
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from server.credits.signing import fingerprint, public_text

MANIFEST, SIGNATURE = "manifest.json", "manifest.sig"
# a packaged scene's JSON is a few KiB; this bounds what a page reads for one
MAX_SCENE_BYTES = 4 * 1024**2


def signer(path: Path, trusted: list[Ed25519PublicKey]) -> str | None:
    """The fingerprint of the trusted key whose signature the package carries; None when
    no key trusted now verifies it (the key was removed since the upload) or the file is
    gone."""
    try:
        with zipfile.ZipFile(path) as archive:
            manifest, signature = archive.read(MANIFEST), archive.read(SIGNATURE)
    except (OSError, KeyError, zipfile.BadZipFile):
        return None
    for key in trusted:
        try:
            key.verify(signature, manifest)
        except InvalidSignature:
            continue
        return fingerprint(public_text(key))
    return None


def scenes(path: Path, manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each scene's packaged JSON (``scenes/<id>.json``), by scene id, each checked against
    its sha256 in the manifest; a scene that cannot be read is left out."""
    entries = {e["path"]: e for e in manifest.get("entries", [])}
    wanted = tuple((s["id"], s["script"], entries[s["script"]]["sha256"])
                   for s in manifest.get("scenes", []) if s.get("script") in entries)
    return dict(_read_scenes(str(path), wanted))


@lru_cache(maxsize=64)
def _read_scenes(path: str, wanted: tuple[tuple[str, str, str], ...]
                 ) -> tuple[tuple[str, dict[str, Any]], ...]:
    found: list[tuple[str, dict[str, Any]]] = []
    try:
        with zipfile.ZipFile(path) as archive:
            for scene_id, name, sha256 in wanted:
                info = archive.getinfo(name)
                if info.file_size > MAX_SCENE_BYTES:
                    continue
                data = archive.read(info)
                if hashlib.sha256(data).hexdigest() == sha256:
                    found.append((scene_id, json.loads(data)))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        pass  # a stored package that cannot be read shows what it could
    return tuple(found)
