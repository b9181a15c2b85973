"""Compressed answers for the portal: pages and JSON over 1 KiB are gzipped on the way out
(phones on a busy intranet Wi-Fi feel every kilobyte), and the npm files the pages load are
compressed once, kept in memory and served with a validator."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from server.errors import Handler

COMPRESSIBLE = ("text/html", "application/json", "text/css", "text/javascript",
                "application/javascript", "text/csv", "image/svg+xml")
SMALLEST = 1024  # below this the header costs more than it saves


def _accepts_gzip(request: web.Request) -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "").lower()


@web.middleware
async def compress_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    if (type(response) is web.Response and _accepts_gzip(request)
            and response.content_type in COMPRESSIBLE and response.body is not None
            and isinstance(response.body, bytes) and len(response.body) >= SMALLEST
            and "Content-Encoding" not in response.headers):
        response.enable_compression(web.ContentCoding.gzip)
    return response


@dataclass(frozen=True)
class KeptFile:
    """A file's bytes, plain and gzipped, and its entity tag."""

    plain: bytes
    packed: bytes
    etag: str
    content_type: str

    @classmethod
    def read(cls, path: Path, content_type: str) -> KeptFile:
        plain = path.read_bytes()
        digest = hashlib.sha256(plain).hexdigest()[:32]
        return cls(plain, gzip.compress(plain, 9, mtime=0), f'"{digest}"', content_type)

    def answer(self, request: web.Request) -> web.Response:
        headers = {"Cache-Control": "public, max-age=86400", "ETag": self.etag,
                   "Vary": "Accept-Encoding"}
        if request.headers.get("If-None-Match") == self.etag:
            return web.Response(status=304, headers=headers)
        if _accepts_gzip(request):
            headers["Content-Encoding"] = "gzip"
            return web.Response(body=self.packed, content_type=self.content_type,
                                headers=headers)
        return web.Response(body=self.plain, content_type=self.content_type, headers=headers)
