"""The LRS clients page: the Basic credentials other learning systems use on ``/xapi``.
The list is rendered here; creating (the secret is shown once) and revoking go through
the JSON API (server.routes.lrs_clients) from admin_lrs.js."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import select

from server.db.models import XapiClient
from server.keys import SESSIONS
from server.web.rendering import page_principal, render

routes = web.RouteTableDef()
SCOPES = ("write", "read", "read_mine")


@routes.get("/admin/lrs-clients")
async def lrs_clients(request: web.Request) -> web.Response:
    page_principal(request, "admin")
    async with request.app[SESSIONS]() as db:
        clients = (await db.scalars(select(XapiClient).where(XapiClient.user_id.is_(None))
                                    .order_by(XapiClient.revoked_at.is_not(None),
                                              XapiClient.id.desc()))).all()
    return await render(request, "admin/lrs_clients.html", clients=clients, scopes=SCOPES)
