"""A person's own password: the page to change it, and the guard that sends whoever logged in
with a temporary password (from a roster import or an administrator's reset) there first, so
the password on the printed slip stops working at the person's first visit."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy import select, update

from server.audit import record
from server.auth import PRINCIPAL, Principal, forget_credentials, hash_password
from server.db.models import Credential, User
from server.db.types import utcnow
from server.failures import NotFound, ServerError, TooManyRequests
from server.keys import SESSIONS
from server.login_guard import authenticate
from server.validation import read_form
from server.web.auth_pages import HOMES, MAX_FIELD, local_path
from server.web.catalogue import translate
from server.web.rendering import language, page_principal, render, see_other

routes = web.RouteTableDef()
PAGE = "/account/password"
MIN_LENGTH = 8
# what a person with a temporary password may still reach: this page, leaving, the
# language switch, the files pages use, and everything machines call (the API answers
# for itself)
_ALWAYS_OPEN = (PAGE, "/logout", "/lang", "/login")
_OPEN_PREFIXES = ("/api/", "/static/", "/vendor/", "/check/")


@web.middleware
async def temporary_password_guard(request: web.Request,
                                   handler: Handler) -> web.StreamResponse:
    principal: Principal | None = request.get(PRINCIPAL)
    if principal is None or not principal.password_temporary \
            or request.path in _ALWAYS_OPEN or request.path.startswith(_OPEN_PREFIXES):
        return await handler(request)
    wanted = request.path_qs if request.method == "GET" else "/"
    return see_other(f"{PAGE}?next={quote(local_path(wanted), safe='')}")


async def _show(request: web.Request, status: int = 200, error: str | None = None,
                next_path: str = "/", changed: bool = False) -> web.Response:
    principal = page_principal(request)
    onward = next_path if next_path not in ("/", PAGE) else HOMES[principal.role]
    return await render(request, "account/password.html", status=status, error=error,
                        next=next_path, onward=onward, changed=changed,
                        temporary=principal.password_temporary)


@routes.get(PAGE)
async def password_page(request: web.Request) -> web.Response:
    return await _show(request, next_path=local_path(request.query.get("next")),
                       changed=request.query.get("done") == "1")


def _problem(lang: str, username: str, current: str, new: str, repeat: str) -> str | None:
    """Why the new password cannot be taken, in the reader's language; None when it can."""
    if not current or not new:
        return translate(lang, "account.password.missing")
    if new != repeat:
        return translate(lang, "account.password.mismatch")
    if len(new) < MIN_LENGTH or len(new) > MAX_FIELD:
        return translate(lang, "account.password.length", min=MIN_LENGTH, max=MAX_FIELD)
    if new == current:
        return translate(lang, "account.password.same")
    if new.casefold() == username.casefold():
        return translate(lang, "account.password.username")
    return None


@routes.post(PAGE)
async def change_password(request: web.Request) -> web.Response:
    principal = page_principal(request)
    lang = language(request)
    form = await read_form(request)
    current, new, repeat = (str(form.get(name, ""))[:MAX_FIELD + 1]
                            for name in ("current", "new", "repeat"))
    next_path = local_path(str(form.get("next", "")))
    async with request.app[SESSIONS]() as db:
        username = await db.scalar(select(User.username).where(User.id == principal.user_id))
    if username is None:
        raise NotFound(translate(lang, "error.login_first"))
    problem = _problem(lang, username, current, new, repeat)
    if problem is not None:
        return await _show(request, 400, problem, next_path)
    try:
        # counted like a log-in: a left-open session cannot be used to guess the password
        await authenticate(request, username, current)
    except ServerError as refused:
        if isinstance(refused, TooManyRequests):
            return await _show(request, 429, translate(lang, "login.locked_or_limited",
                                                       wait=refused.retry_after), next_path)
        return await _show(request, 401, translate(lang, "account.password.wrong"), next_path)
    hashed = await hash_password(new)
    async with request.app[SESSIONS].begin() as db:
        await db.execute(update(User).where(User.id == principal.user_id)
                         .values(password_hash=hashed, password_temporary=False))
        # whoever knew the old password may hold a log-in of their own: all but this end
        await db.execute(update(Credential).where(Credential.user_id == principal.user_id,
                                                  Credential.id != principal.credential_id,
                                                  Credential.revoked_at.is_(None))
                         .values(revoked_at=utcnow()))
        record(db, principal, "user.password_change", f"user:{principal.user_id}")
    forget_credentials(request.app)
    return see_other(f"{PAGE}?done=1&next={quote(next_path, safe='')}")
