"""Writing exhibition packages: deterministic zip, manifest with hashes, Ed25519 signature."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from protocol.manifest import Entry
from protocol.package import MANIFEST, SIGNATURE

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_STORED_SUFFIXES = (".ogg", ".png", ".jpg", ".jpeg")


def stable_json(value: Any) -> bytes:
    """The one JSON encoding used inside packages: sorted keys, UTF-8, no spaces."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def entries_for(files: dict[str, bytes]) -> list[Entry]:
    return [Entry(path=name, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
            for name, data in sorted(files.items())]


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
    info.create_system = 3
    info.external_attr = 0o100644 << 16
    info.compress_type = zipfile.ZIP_STORED if name.endswith(_STORED_SUFFIXES) \
        else zipfile.ZIP_DEFLATED
    return info


def write_package(out: Path, manifest: dict[str, Any], files: dict[str, bytes],
                  key: Ed25519PrivateKey) -> bytes:
    """Write the package atomically: a crash or error never leaves a partial file.

    Returns the manifest bytes that were signed.
    """
    manifest_bytes = stable_json(manifest)
    signature = key.sign(manifest_bytes)
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(handle, "wb") as raw, zipfile.ZipFile(raw, "w", compresslevel=9) as zf:
            zf.writestr(_info(MANIFEST), manifest_bytes)
            zf.writestr(_info(SIGNATURE), signature)
            for name in sorted(files):
                zf.writestr(_info(name), files[name])
        os.chmod(temporary, 0o644)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return manifest_bytes
