"""Rendering a page: the template, and what every page knows (who is looking, their
language, the CSRF token, the navigation of their role)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from server.auth import PRINCIPAL, Principal
from server.failures import Forbidden, Unauthorized
from server.web.catalogue import DEFAULT_LANGUAGE, LANGUAGES, translate, translator
from server.web.security import page_csrf_token

LANGUAGE_COOKIE = "redhall_lang"

# (message key, path, roles): the navigation bar, in this order
NAVIGATION: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("nav.home", "/me", ("member", "guide")),
    ("nav.tours", "/tours", ("member", "guide", "admin")),
    ("nav.exhibits", "/exhibits", ("member", "guide", "editor", "admin")),
    ("nav.record", "/me/record", ("member", "guide")),
    ("nav.guide", "/guide/tours", ("guide", "admin")),
    ("nav.dashboard", "/admin/dashboard", ("admin",)),
    ("nav.people", "/admin/people", ("admin",)),
    ("nav.audit", "/admin/audit", ("admin",)),
    ("nav.editor", "/editor/exhibits", ("editor", "admin")),
    ("nav.notifications", "/notifications", ("member", "guide", "editor", "admin")),
)


def see_other(location: str) -> web.Response:
    """303 to ``location`` (a path on this site): where a form's work is shown."""
    return web.Response(status=303, headers={"Location": location})


def language(request: web.Request) -> str:
    """The reader's language: the cookie the language switch sets, else zh-CN."""
    chosen = request.cookies.get(LANGUAGE_COOKIE, DEFAULT_LANGUAGE)
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def asked_language(request: web.Request) -> str:
    """``?lang=`` (zh-CN or en) for the JSON and files a page fetches, else :func:`language`."""
    wanted = request.query.get("lang")
    return wanted if wanted in LANGUAGES else language(request)


def page_principal(request: web.Request, *roles: str) -> Principal:
    """The caller, if logged in with one of ``roles`` (all roles when none are given);
    else Unauthorized (the portal answers it with the log-in page) or Forbidden."""
    principal: Principal | None = request.get(PRINCIPAL)
    lang = language(request)
    if principal is None:
        raise Unauthorized(translate(lang, "error.login_first"))
    if roles and principal.role not in roles:
        raise Forbidden(translate(lang, "error.not_your_role"))
    return principal


@dataclass(frozen=True)
class Viewer:
    """Who is looking at a page, as the templates see them."""

    id: int
    name: str
    role: str
    org_id: int | None


async def viewer(request: web.Request) -> Viewer | None:
    principal: Principal | None = request.get(PRINCIPAL)
    if principal is None:
        return None
    return Viewer(principal.user_id, principal.name or "?", principal.role, principal.org_id)


async def render(request: web.Request, template: str, status: int = 200,
                 **context: Any) -> web.Response:
    """``template`` rendered for the caller, with what every page needs in its context:
    ``me`` (a :class:`Viewer` or None), ``lang``, ``t`` (the catalogue), ``csrf``,
    ``nav`` (the caller's navigation: key, path, current) and ``path``."""
    lang = language(request)
    me = await viewer(request)
    mine = [(key, path) for key, path, roles in NAVIGATION
            if me is not None and me.role in roles]
    # the current entry: the longest path the page is at or under (/me/record, not /me)
    current = max((path for _, path in mine
                   if request.path == path or request.path.startswith(path + "/")),
                  key=len, default=None)
    nav = [(key, path, path == current) for key, path in mine]

    t = translator(lang)
    base = {"me": me, "lang": lang, "t": t, "csrf": page_csrf_token(request),
            "nav": nav, "path": request.path, "languages": LANGUAGES}
    response = aiohttp_jinja2.render_template(template, request, {**base, **context},
                                              status=status)
    response.headers["Cache-Control"] = "no-store"  # pages carry personal data
    return response
