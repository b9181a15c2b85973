"""Server errors and the middleware that turns every failure into a clean JSON answer."""

from __future__ import annotations

import asyncio
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


class BodyTooLarge(Exception):
    """A request body larger than its route takes; answered 413 by :func:`error_middleware`
    without reading the rest of it."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than this request takes "
                         f"({limit} bytes at most)")
        self.limit = limit


DRAIN_BYTES = 256 * 1024
DRAIN_SECONDS = 1.0


async def _refuse_unread(request: web.Request, exc: BodyTooLarge) -> web.StreamResponse:
    """413, then the connection is closed: the rest of the body is not read. A little of
    what is already on its way is read and dropped, after the answer and our end of the
    stream are sent, so the client reads the answer rather than a reset; aiohttp would
    otherwise read (and drop) everything the client sends for ten seconds."""
    response = web.json_response({"error": str(exc), "limit": exc.limit}, status=413)
    response.force_close()
    await response.prepare(request)
    await response.write_eof()
    transport = request.transport
    if transport is not None and not transport.is_closing() and transport.can_write_eof():
        transport.write_eof()
    loop = asyncio.get_running_loop()
    deadline, dropped = loop.time() + DRAIN_SECONDS, 0
    try:
        while dropped < DRAIN_BYTES and not request.content.at_eof():
            left = deadline - loop.time()
            if left <= 0:
                break
            chunk = await asyncio.wait_for(request.content.readany(), left)
            if not chunk:
                break
            dropped += len(chunk)
    except (TimeoutError, ConnectionError, OSError):
        pass
    except Exception as drain_error:  # noqa: BLE001  (the payload was cut by a reset)
        log.debug("dropping the rest of a refused body: %s", drain_error)
    protocol = request.protocol
    if protocol is not None:
        protocol.force_close()
    return response


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
    except BodyTooLarge as exc:
        return await _refuse_unread(request, exc)
    except web.HTTPException as exc:
        if exc.content_type == "application/json" or exc.status < 400:
            raise
        if exc.status in (400, 401, 403, 404, 409, 413, 416, 422):
            raise json_error(exc.status, exc.reason) from None
        raise exc
    except ValidationError as exc:
        raise json_error(400, "invalid request", fields=field_errors(exc)) from None
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return web.json_response({"error": "internal error"}, status=500)
