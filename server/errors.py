"""Server errors and the middleware that turns every failure into a clean JSON answer.

The one translation table of the error tree (:mod:`server.failures`) lives here: each
intent's HTTP status (answered as ``{"error": message, ...}`` JSON by
:func:`error_middleware`, or by :func:`xapi_response` with the xAPI version header) and its
websocket close code (:func:`close_code`)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from pydantic import ValidationError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from protocol.errors import RedhallError
from server.failures import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    ServerError,
    TooLarge,
    TooManyRequests,
    Unauthorized,
    Unavailable,
    Unsupported,
    WithStatus,
)

log = logging.getLogger("redhall.server")


class ConfigurationError(RedhallError):
    """The server's settings are wrong; the message says which and how to fix it."""


class BodyTooLarge(TooLarge):
    """A request body larger than its route takes; answered 413 by :func:`error_middleware`
    without reading the rest of it."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than this request takes "
                         f"({limit} bytes at most)", limit)
        self.extra = {"limit": limit}  # the body says the limit beside the message


# The one table: an intent's HTTP status and websocket close code. A class not listed
# answers as its nearest listed base; WithStatus answers the status it carries.
POLICY = 1008  # RFC 6455: the message breaks the endpoint's policy
UNSUPPORTED = 1003  # RFC 6455: a kind of data the endpoint does not take
TOO_BIG = 1009  # RFC 6455: a message too big to process
TRY_AGAIN = 1013  # IANA registry: try again later
INTERNAL = 1011  # RFC 6455: the server met an unexpected condition
TRANSLATIONS: dict[type[ServerError], tuple[int, int]] = {
    BadRequest: (400, POLICY),
    Unauthorized: (401, POLICY),
    Forbidden: (403, POLICY),
    NotFound: (404, POLICY),
    Conflict: (409, POLICY),
    PreconditionFailed: (412, POLICY),
    TooLarge: (413, TOO_BIG),
    Unsupported: (415, UNSUPPORTED),
    TooManyRequests: (429, POLICY),
    Unavailable: (503, TRY_AGAIN),
    WithStatus: (400, POLICY),
    ServerError: (500, INTERNAL),
}


def _translation(kind: type[ServerError]) -> tuple[int, int]:
    # the listed intents do not derive from one another (but from ServerError, listed last)
    return next(codes for base, codes in TRANSLATIONS.items() if issubclass(kind, base))


def http_status(exc: ServerError) -> int:
    """The HTTP status that answers ``exc``."""
    if isinstance(exc, WithStatus):
        return exc.status
    return _translation(type(exc))[0]


def close_code(exc: ServerError | type[ServerError]) -> int:
    """The websocket close code that refuses with ``exc`` (an error or an intent)."""
    return _translation(exc if isinstance(exc, type) else type(exc))[1]


def error_body(exc: ServerError) -> dict[str, Any]:
    """The JSON body that answers ``exc``: ``{"error": message, **extra}``."""
    return {"error": exc.message, **exc.extra}


def http_error(exc: ServerError) -> web.HTTPException:
    """``exc`` as the aiohttp exception :func:`error_middleware` answers with."""
    error = json_error(http_status(exc), exc.message, **exc.extra)
    if isinstance(exc, TooManyRequests):
        error.headers["Retry-After"] = str(exc.retry_after)
    return error


def xapi_response(exc: ServerError, version: str) -> web.Response:
    """``exc`` answered on an xAPI resource: its status, ``{"error": message}`` and the
    ``X-Experience-API-Version`` header."""
    response = web.json_response(error_body(exc), status=http_status(exc))
    response.headers["X-Experience-API-Version"] = version
    return response


def answered_status(exc: BaseException) -> int:
    """The status an exception leaving a handler is answered with (500 if it is not an
    HTTP answer or a :class:`ServerError`)."""
    if isinstance(exc, web.HTTPException):
        return exc.status
    if isinstance(exc, ServerError):
        return http_status(exc)
    return 500


DRAIN_BYTES = 256 * 1024
DRAIN_SECONDS = 1.0


async def _refuse_unread(request: web.Request, exc: BodyTooLarge) -> web.StreamResponse:
    """413, then the connection is closed: the rest of the body is not read. A little of
    what is already on its way is read and dropped, after the answer and our end of the
    stream are sent, so the client reads the answer rather than a reset; aiohttp would
    otherwise read (and drop) everything the client sends for ten seconds."""
    response = web.json_response(error_body(exc), status=413)
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
        412: web.HTTPPreconditionFailed, 415: web.HTTPUnsupportedMediaType,
        416: web.HTTPRequestRangeNotSatisfiable, 422: web.HTTPUnprocessableEntity,
        429: web.HTTPTooManyRequests,
        500: web.HTTPInternalServerError, 503: web.HTTPServiceUnavailable,
    }
    body = json.dumps({"error": message, **extra}, ensure_ascii=False)
    kind = kinds.get(status, web.HTTPInternalServerError)
    if kind is web.HTTPRequestEntityTooLarge:
        return web.HTTPRequestEntityTooLarge(max_size=0, actual_size=0, text=body,
                                             content_type="application/json")
    return kind(text=body, content_type="application/json")


def field_errors(exc: ValidationError) -> list[dict[str, str]]:
    return [{"field": ".".join(str(p) for p in e["loc"]) or "(body)", "message": e["msg"]}
            for e in exc.errors(include_url=False)]


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PageAnswer = Callable[[web.Request, int, str], Awaitable[web.StreamResponse]]
PAGE_ERRORS = web.AppKey[PageAnswer]("page_errors")
"""How the portal answers a failure on one of its pages (an HTML page, or the log-in page
for a 401); set by :func:`server.web.install_portal`."""
NOT_PAGES = ("/api/", "/xapi/", "/calendar/", "/static/", "/vendor/", "/healthz", "/metrics")


def _page_answer(request: web.Request) -> PageAnswer | None:
    """The portal's answer to failures when ``request`` is for a page, else None."""
    if request.path.startswith(NOT_PAGES):
        return None
    return request.app.get(PAGE_ERRORS)


async def _answered(request: web.Request, error: web.HTTPException) -> web.StreamResponse:
    """``error`` as the portal's page when the request is for one; else raised as it is."""
    answer = _page_answer(request)
    if answer is None or error.status < 400:
        raise error
    message = error.reason
    if error.content_type == "application/json" and error.text:
        message = json.loads(error.text).get("error", message)
    response = await answer(request, error.status, message)
    if "Retry-After" in error.headers:
        response.headers["Retry-After"] = error.headers["Retry-After"]
    return response


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except BodyTooLarge as exc:
        return await _refuse_unread(request, exc)
    except ServerError as exc:
        return await _answered(request, http_error(exc))
    except web.HTTPException as exc:
        if exc.content_type == "application/json" or exc.status < 400:
            return await _answered(request, exc)
        if exc.status in (400, 401, 403, 404, 409, 413, 416, 422, 429):
            return await _answered(request, json_error(exc.status, exc.reason))
        return await _answered(request, exc)
    except ValidationError as exc:
        raise json_error(400, "invalid request", fields=field_errors(exc)) from None
    except PoolTimeout:  # every database connection stayed busy: a rush, not a fault
        log.warning("no database connection free for %s %s", request.method, request.path)
        busy = http_error(Unavailable("the server is busy: try again in a moment"))
        busy.headers["Retry-After"] = "5"
        return await _answered(request, busy)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return await _answered(request, json_error(500, "internal error"))
