"""`/api/openapi.json` and a self-contained page that lists the operations."""

from __future__ import annotations

import html

from aiohttp import web

from server.openapi import build_spec

routes = web.RouteTableDef()
_SPEC = build_spec()


@routes.get("/api/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(_SPEC)


@routes.get("/api/docs")
async def docs(request: web.Request) -> web.Response:
    rows = []
    for path, methods in _SPEC["paths"].items():
        for method, entry in methods.items():
            roles = entry.get("description", "public")
            rows.append(f"<tr><td class=m>{method.upper()}</td><td><code>{html.escape(path)}"
                        f"</code></td><td>{html.escape(entry['summary'])}</td>"
                        f"<td>{html.escape(roles)}</td></tr>")
    page = f"""<!doctype html><html lang="zh-CN"><meta charset="utf-8">
<title>RedHall API</title>
<style>body{{font-family:sans-serif;margin:2em;color:#222}}h1{{color:#a8201a}}
table{{border-collapse:collapse}}td,th{{border-bottom:1px solid #ddd;padding:.4em .8em;
text-align:left}}.m{{font-weight:bold;color:#a8201a}}</style>
<h1>RedHall API</h1><p>Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a>
(OpenAPI 3.1). Authenticate with <code>Authorization: Bearer …</code> from
<code>POST /api/auth/tokens</code>, or the session cookie from
<code>POST /api/auth/login</code>.</p>
<table><tr><th>method</th><th>path</th><th>what</th><th>who</th></tr>{''.join(rows)}</table>
</html>"""
    return web.Response(text=page, content_type="text/html")
