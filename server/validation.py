"""Request bodies and queries validated by pydantic; 400 with field errors otherwise.

Bodies are read with a limit that fits what the route takes: one declared larger is
refused from its ``Content-Length`` before a byte of it is read, and one sent without a
length (chunked) is refused as soon as it passes the limit, so nobody can make the server
buffer a large body, logged in or not."""

from __future__ import annotations

import json
from typing import TypeVar

from aiohttp import web
from multidict import MultiDictProxy
from pydantic import BaseModel, ValidationError

from server.errors import BodyTooLarge, field_errors
from server.failures import BadRequest, NotFound

M = TypeVar("M", bound=BaseModel)
MAX_ID = 2**31 - 1  # the largest id a database integer column holds
DEFAULT_LIMIT = 64 * 1024
# the portal's forms are short text; files go up as streamed bodies with limits of their own
FORM_LIMIT = 2**20
"""What a JSON body of a few fields may take, where a route says nothing else."""


def path_id(request: web.Request, what: str, name: str = "id") -> int:
    """The id in the path (routes match it as ``[0-9]{1,10}``): 404 for one no database
    column can hold, so it is never handed to the database."""
    raw = request.match_info[name]
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10 and 1 <= int(raw) <= MAX_ID):
        raise NotFound(f"no such {what}")
    return int(raw)


def whole_number(raw: str | None, high: int = MAX_ID) -> int | None:
    """``raw`` as a whole number from 0 to ``high`` when it is one in ASCII digits (``"²"``
    is a digit to Python but no number), else None."""
    if raw is None or not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        return None
    value = int(raw)
    return value if value <= high else None


async def read_limited(request: web.Request, limit: int) -> bytes:
    """The request body, if it is at most ``limit`` bytes.

    Raises:
        BodyTooLarge: (413) declared or found larger; the rest is not read.
    """
    declared = request.content_length
    if declared is not None and declared > limit:
        raise BodyTooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.readany()
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


Form = MultiDictProxy[str | bytes | bytearray | web.FileField]


async def read_form(request: web.Request) -> Form:
    """The submitted form (URL-encoded or multipart): 413 beyond :data:`FORM_LIMIT` (the
    application's ``client_max_size`` bounds a body sent without a length), 400 if it is
    not readable text."""
    declared = request.content_length
    if declared is not None and declared > FORM_LIMIT:
        raise BodyTooLarge(FORM_LIMIT)
    try:
        return await request.post()
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("the form cannot be read: send it as UTF-8 text") from None


async def body(request: web.Request, model: type[M], limit: int = DEFAULT_LIMIT) -> M:
    """The body as ``model``: 413 beyond ``limit`` bytes (unread), 400 if it is not one."""
    raw = await read_limited(request, limit)
    if b"\\u0000" in raw or b"\x00" in raw:  # no database stores NUL in text
        raise BadRequest("invalid request body",
                         fields=[{"field": "(body)", "message": "text may not contain NUL "
                                                                "characters (\\u0000)"}])
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        raise BadRequest("invalid request body", fields=field_errors(exc)) from None


def query(request: web.Request, model: type[M]) -> M:
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as exc:
        raise BadRequest("invalid query", fields=field_errors(exc)) from None


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
