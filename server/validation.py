"""Request bodies and queries validated by pydantic; 400 with field errors otherwise."""

from __future__ import annotations

import json
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from server.errors import field_errors, json_error

M = TypeVar("M", bound=BaseModel)


async def body(request: web.Request, model: type[M]) -> M:
    raw = await request.read()
    if b"\\u0000" in raw or b"\x00" in raw:  # no database stores NUL in text
        raise json_error(400, "invalid request body",
                         fields=[{"field": "(body)", "message": "text may not contain NUL "
                                                                "characters (\\u0000)"}])
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        raise json_error(400, "invalid request body", fields=field_errors(exc)) from None


def query(request: web.Request, model: type[M]) -> M:
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as exc:
        raise json_error(400, "invalid query", fields=field_errors(exc)) from None


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
