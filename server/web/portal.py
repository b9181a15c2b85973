"""Installs the portal on the application: templates, its pages, its files, its error
pages and what keeps it safe (CSP and other headers, CSRF)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import aiohttp_jinja2
import jinja2
from aiohttp import web

from server.errors import PAGE_ERRORS
from server.failures import NotFound
from server.login_guard import install_login_guard
from server.routes import viewer_api
from server.web import (
    account_pages,
    admin_audit,
    admin_import,
    admin_keys,
    admin_lrs,
    admin_people,
    auth_pages,
    editor,
    guide,
    inbox,
    member,
    organizer,
    viewer,
)
from server.web.compression import KeptFile, compress_middleware
from server.web.rendering import render
from server.web.security import csrf_middleware, secure_headers

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "web" / "templates"
STATIC = ROOT / "web" / "static"
# the files the pages use from npm packages, each served at /vendor/<name>; ECharts' common
# build has every chart and component the pages draw, at two thirds of the full one's size
VENDOR = {
    "echarts.min.js": ROOT / "node_modules" / "echarts" / "dist" / "echarts.common.min.js",
}
KEPT = web.AppKey("vendor_files", dict[str, KeptFile])


async def _vendor_file(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    kept = request.app[KEPT]
    if name not in kept:
        path = VENDOR.get(name)
        if path is None or not path.is_file():
            raise NotFound(f"no such file: {name}")
        kept[name] = KeptFile.read(path, "text/javascript")
    return kept[name].answer(request)


async def _error_page(request: web.Request, status: int, message: str) -> web.StreamResponse:
    if status == 401:
        target = request.path_qs if request.method == "GET" else "/"
        return web.Response(status=303, headers={"Location": f"/login?next={quote(target)}"})
    return await render(request, "error.html", status=status, status_code=status,
                        message=message)


def install_portal(app: web.Application) -> None:
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(TEMPLATES),
                         autoescape=jinja2.select_autoescape(default=True),
                         undefined=jinja2.StrictUndefined)
    app.middlewares.append(csrf_middleware)
    app.middlewares.append(compress_middleware)
    app.middlewares.append(account_pages.temporary_password_guard)
    app[KEPT] = {}
    install_login_guard(app)
    app.on_response_prepare.append(secure_headers)
    app[PAGE_ERRORS] = _error_page
    for module in (auth_pages, account_pages, member, inbox, guide, organizer, admin_people,
                   admin_import, admin_audit, admin_lrs, admin_keys, editor):
        app.add_routes(module.routes)
    app.router.add_static("/static/", STATIC, append_version=False)
    app.router.add_get("/vendor/{name}", _vendor_file)
    viewer_api.install(app)
    viewer.install(app)
