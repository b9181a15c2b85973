"""Where uploaded packages live: content-addressed files under data_dir/blobs."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from aiohttp import BodyPartReader, web

from server.failures import BadRequest, TooLarge

CHUNK = 1 << 16


class PackageStore:
    def __init__(self, data_dir: Path) -> None:
        self.blobs = data_dir / "blobs"
        self.incoming = data_dir / "incoming"
        self.blobs.mkdir(parents=True, exist_ok=True)
        self.incoming.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        return self.blobs / f"{sha256}.exhibit"

    async def receive(self, request: web.Request, limit: int) -> tuple[Path, str, int]:
        """Stream the request body to a temporary file; 413 past ``limit`` bytes.

        Returns the temporary path, its sha256 and size. The caller keeps or deletes it.
        """
        handle, name = tempfile.mkstemp(dir=self.incoming, suffix=".part")
        digest, size = hashlib.sha256(), 0
        try:
            with os.fdopen(handle, "wb") as out:
                source: web.Request | BodyPartReader = request
                if request.content_type.startswith("multipart/"):
                    try:
                        reader = await request.multipart()
                        part = await reader.next()
                    except ValueError as exc:
                        raise BadRequest(f"malformed multipart body: {exc}") from None
                    if not isinstance(part, BodyPartReader):
                        raise BadRequest("send the package as the first multipart field")
                    source = part
                while True:
                    chunk = await (source.read_chunk(CHUNK) if isinstance(source, BodyPartReader)
                                   else source.content.read(CHUNK))
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > limit:
                        raise TooLarge(f"the package is larger than the {limit:,}-byte "
                                       "upload limit", limit, reason="too_large")
                    digest.update(chunk)
                    out.write(chunk)
        except BaseException:
            # once, as a failed upload is cleaned up
            Path(name).unlink(missing_ok=True)  # noqa: ASYNC240
            raise
        return Path(name), digest.hexdigest(), size

    def keep(self, temporary: Path, sha256: str) -> Path:
        target = self.path(sha256)
        if target.exists():
            temporary.unlink()
        else:
            os.replace(temporary, target)
        return target
