"""A content-addressed build cache: unchanged inputs are never processed twice."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.replace(temporary, path)


class BuildCache:
    """Records (JSON) and blobs (bytes) under a folder; a missing folder means no cache."""

    def __init__(self, root: Path | None) -> None:
        self.root = root

    def get(self, kind: str, key: str) -> tuple[dict[str, Any], dict[str, bytes]] | None:
        """The record and its blobs stored under ``key``, or None."""
        if self.root is None:
            return None
        record_path = self.root / kind / f"{key}.json"
        try:
            record = json.loads(record_path.read_bytes())
            blobs = {name: (self.root / "blobs" / digest).read_bytes()
                     for name, digest in record["blobs"].items()}
        except (OSError, ValueError, KeyError):
            return None
        for name, digest in record["blobs"].items():
            if hashlib.sha256(blobs[name]).hexdigest() != digest:
                return None
        return record["data"], blobs

    def put(self, kind: str, key: str, data: dict[str, Any], blobs: dict[str, bytes]) -> None:
        if self.root is None:
            return
        digests = {}
        for name, blob in blobs.items():
            digest = hashlib.sha256(blob).hexdigest()
            target = self.root / "blobs" / digest
            if not target.exists():
                _atomic_write(target, blob)
            digests[name] = digest
        record = json.dumps({"data": data, "blobs": digests}, sort_keys=True).encode()
        _atomic_write(self.root / kind / f"{key}.json", record)


def digest_of(*parts: bytes | str) -> str:
    """sha256 over length-prefixed parts (so boundaries cannot be confused)."""
    hasher = hashlib.sha256()
    for part in parts:
        raw = part.encode() if isinstance(part, str) else part
        hasher.update(len(raw).to_bytes(8, "little"))
        hasher.update(raw)
    return hasher.hexdigest()


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
