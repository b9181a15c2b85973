"""Server errors and the middleware that turns every failure into a clean JSON answer."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from protocol.errors import RedhallError

log = logging.getLogger("redhall.server")


class ConfigurationError(RedhallError):
    """The server's settings are wrong; the message says which and how to fix it."""


def json_error(status: int, message: str, **extra: Any) -> web.HTTPException:
    """An HTTP error whose body is ``{"error": message, ...}``."""
    kinds: dict[int, type[web.HTTPException]] = {
        400: web.HTTPBadRequest, 401: web.HTTPUnauthorized, 403: web.HTTPForbidden,
        404: web.HTTPNotFound, 409: web.HTTPConflict, 413: web.HTTPRequestEntityTooLarge,
        416: web.HTTPRequestRangeNotSatisfiable, 422: web.HTTPUnprocessableEntity,
    }
    body = json.dumps({"error": message, **extra}, ensure_ascii=False)
    kind = kinds[status]
    if kind is web.HTTPRequestEntityTooLarge:
        return web.HTTPRequestEntityTooLarge(max_size=0, actual_size=0, text=body,
                                             content_type="application/json")
    return kind(text=body, content_type="application/json")


def field_errors(exc: ValidationError) -> list[dict[str, str]]:
    return [{"field": ".".join(str(p) for p in e["loc"]) or "(body)", "message": e["msg"]}
            for e in exc.errors(include_url=False)]


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.content_type == "application/json" or exc.status < 400:
            raise
        raise json_error(exc.status, exc.reason) if exc.status in (400, 401, 403, 404, 409,
                                                                     413, 416, 422) \
            else exc
    except ValidationError as exc:
        raise json_error(400, "invalid request", fields=field_errors(exc)) from None
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return web.json_response({"error": "internal error"}, status=500)
