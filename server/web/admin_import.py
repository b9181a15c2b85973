"""The roster import page: choose a branch and a file, see every row checked, then
import; the work is done by the roster API (server.routes.roster) from admin_import.js."""

from __future__ import annotations

from aiohttp import web

from server.keys import SESSIONS
from server.roster.reading import HEADERS, MAX_FILE_BYTES, MAX_ROWS
from server.roster.scope import tree_of
from server.web.rendering import page_principal, render

routes = web.RouteTableDef()


@routes.get("/admin/roster")
async def import_page(request: web.Request) -> web.Response:
    principal = page_principal(request, "admin")
    async with request.app[SESSIONS]() as db:
        tree = await tree_of(db, principal)
    branches = [node.org for node in tree.nodes if node.org.kind == "branch"]
    chosen = request.query.get("org", "")
    selected = next((b.id for b in branches if str(b.id) == chosen), None)
    return await render(request, "admin/import.html", branches=branches, selected=selected,
                        max_mib=MAX_FILE_BYTES // 2**20, max_rows=MAX_ROWS,
                        headers={field: names[0] for field, names in HEADERS.items()})
