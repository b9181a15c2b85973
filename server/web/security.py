"""What keeps the portal's pages safe in a browser: the Content-Security-Policy and other
response headers, and CSRF protection on every state-changing request.

CSRF: any change whose ``Origin`` names another site is refused, and a change that is
authenticated by the session cookie and that another site's page could make a browser
send — a POST with a form's or plain text's content type, or with none: what a form or a
"simple" fetch sends without asking the server first (CORS) — must carry the session's
CSRF token (header ``X-CSRF-Token`` or form field ``_csrf``). A JSON or binary POST, and a
PUT, PATCH or DELETE, cannot come from another site at all: the browser would first ask
(a CORS preflight), and RedHall allows no other origin. A bearer token is never sent by a
browser on its own, so requests that carry one need no CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from aiohttp import web

from server.auth import COOKIE
from server.errors import Handler
from server.failures import Forbidden
from server.validation import read_form

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
HEADER = "X-CSRF-Token"
FIELD = "_csrf"
# where there is no session yet: the log-in itself is protected by the Origin check
WITHOUT_SESSION = ("/login", "/api/auth/login")
FORM_TYPES = ("application/x-www-form-urlencoded",)
# what a page of another site can POST here without a CORS preflight (Fetch standard)
SIMPLE_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain", "")

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "media-src 'self' blob:",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def csrf_token(session_secret: str) -> str:
    """The CSRF token of a session: derived from its secret, which only the browser that
    holds the (HTTP-only) cookie knows, so another site can neither read nor make it."""
    return hmac.new(session_secret.encode(), b"redhall csrf", hashlib.sha256).hexdigest()[:40]


def masked(token: str) -> str:
    """``token`` as a page carries it: XORed with a fresh pad, pad first, so no two pages
    show the same bytes and a compressed page gives nothing away about it (BREACH)."""
    raw = token.encode()
    pad = secrets.token_bytes(len(raw))
    return (pad + bytes(a ^ b for a, b in zip(raw, pad, strict=True))).hex()


def _unmasked(presented: str) -> str:
    """The token a masked one carries (anything else comes back unchanged)."""
    try:
        data = bytes.fromhex(presented)
    except ValueError:
        return presented
    if len(data) % 2:
        return presented
    half = len(data) // 2
    try:
        return bytes(a ^ b for a, b in zip(data[:half], data[half:], strict=True)).decode()
    except UnicodeDecodeError:
        return presented


def page_csrf_token(request: web.Request) -> str:
    """The masked CSRF token a page puts in its forms and meta tag ("" without a session)."""
    token = request_csrf_token(request)
    return masked(token) if token else ""


def request_csrf_token(request: web.Request) -> str | None:
    """The CSRF token of the session ``request`` came with, if it came with one."""
    secret = request.cookies.get(COOKIE)
    return csrf_token(secret) if secret else None


def own_origins(request: web.Request) -> set[str]:
    from server.keys import SETTINGS

    origins = {f"{request.scheme}://{request.host}"}
    site = request.app[SETTINGS].configured_site_url
    if site:
        scheme, _, rest = site.partition("://")
        origins.add(f"{scheme}://{rest.split('/', 1)[0]}")
    return origins


async def _presented_token(request: web.Request) -> str | None:
    header = request.headers.get(HEADER)
    if header:
        return header
    if request.content_type in FORM_TYPES:
        form = await read_form(request)  # kept by aiohttp: the handler reads it again
        value = form.get(FIELD)
        return value if isinstance(value, str) else None
    return None


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method in UNSAFE:
        origin = request.headers.get("Origin")
        if (origin is not None and origin not in own_origins(request)) \
                or request.headers.get("Sec-Fetch-Site") == "cross-site":
            raise Forbidden("a request from another site is refused")
        bearer = request.headers.get("Authorization", "").lower().startswith("bearer ")
        expected = request_csrf_token(request)
        simple = request.method == "POST" and (
            "Content-Type" not in request.headers or request.content_type in SIMPLE_TYPES)
        if expected and simple and not bearer and request.path not in WITHOUT_SESSION:
            presented = await _presented_token(request)
            if presented is None or not (hmac.compare_digest(presented, expected) or
                                         hmac.compare_digest(_unmasked(presented), expected)):
                raise Forbidden("the form is out of date or did not come from this site: "
                                "reload the page and try again")
    return await handler(request)


async def secure_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Sent with every answer (pages, files, API and errors alike); over HTTPS, browsers
    are also told to come back only over HTTPS for a year."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
