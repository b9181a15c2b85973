"""The portal's log-in and log-out, the language switch, and the front door (``/``), which
sends each role to its home page."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web
from sqlalchemy import update

from server.auth import COOKIE, PRINCIPAL, Principal, forget_credentials
from server.db.models import Credential
from server.db.types import utcnow
from server.failures import ServerError, TooManyRequests
from server.keys import SESSIONS
from server.login_guard import authenticate, start_session
from server.validation import read_form
from server.web.catalogue import LANGUAGES, translate
from server.web.rendering import LANGUAGE_COOKIE, language, page_principal, render, see_other

routes = web.RouteTableDef()
HOMES = {"member": "/me", "guide": "/me", "editor": "/editor/exhibits",
         "admin": "/admin/dashboard"}
MAX_FIELD = 200
URL_SAFE = "/?&=%#:@!$'()*+,;~-._[]"  # kept as they are in a redirect's target


def local_path(target: str | None, fallback: str = "/") -> str:
    """``target`` if it is a path on this site (never another host: ``//host`` and
    ``/\\host`` are other hosts to a browser), else ``fallback``. Control characters
    refuse it; other characters outside ASCII are percent-encoded for the header."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) \
            or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return fallback
    return quote(target[:2000], safe=URL_SAFE)


@routes.get("/")
async def front_door(request: web.Request) -> web.Response:
    principal: Principal | None = request.get(PRINCIPAL)
    if principal is None:
        return see_other("/login")
    return see_other(HOMES[principal.role])


@routes.get("/login")
async def login_page(request: web.Request) -> web.Response:
    next_path = local_path(request.query.get("next"))
    if request.get(PRINCIPAL) is not None:
        return see_other(next_path)
    return await render(request, "login.html", next=next_path, error=None, username="")


@routes.post("/login")
async def login_form(request: web.Request) -> web.Response:
    form = await read_form(request)
    username = str(form.get("username", ""))[:MAX_FIELD]
    password = str(form.get("password", ""))[:MAX_FIELD]
    next_path = local_path(str(form.get("next", "")))
    if not username or not password:
        return await render(request, "login.html", status=400, next=next_path,
                            error=translate(language(request), "login.missing"),
                            username=username)
    try:
        user = await authenticate(request, username, password)
    except ServerError as refused:
        lang = language(request)
        message = (translate(lang, "login.locked_or_limited", wait=refused.retry_after)
                   if isinstance(refused, TooManyRequests)
                   else translate(lang, "login.wrong"))
        status = 429 if isinstance(refused, TooManyRequests) else 401
        response = await render(request, "login.html", status=status, next=next_path,
                                error=message, username=username)
        if isinstance(refused, TooManyRequests):
            response.headers["Retry-After"] = str(refused.retry_after)
        return response
    response = see_other(next_path if next_path != "/" else HOMES[user.role])
    await start_session(request, user, response)
    return response


@routes.post("/logout")
async def logout_form(request: web.Request) -> web.Response:
    principal = page_principal(request)
    async with request.app[SESSIONS].begin() as db:
        # the browser's session ends; an API token given with the request stays valid
        await db.execute(update(Credential).where(Credential.id == principal.credential_id,
                                                  Credential.kind == "session")
                         .values(revoked_at=utcnow()))
    forget_credentials(request.app)
    response = see_other("/login")
    response.del_cookie(COOKIE, path="/")
    return response


@routes.post("/lang")
async def switch_language(request: web.Request) -> web.Response:
    form = await read_form(request)
    chosen = str(form.get("lang", ""))
    response = see_other(local_path(str(form.get("next", ""))))
    if chosen in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=365 * 86400, samesite="Lax",
                            path="/")
    return response
