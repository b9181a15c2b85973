"""The committee's pages, for administrators: people and organizations, roster import,
the audit log, LRS clients and trusted publisher keys (one module each, gathered here for
the portal to install)."""

from __future__ import annotations

from aiohttp import web

from server.web import admin_audit, admin_import, admin_keys, admin_lrs, admin_people

routes = web.RouteTableDef()
for _part in (admin_people, admin_import, admin_audit, admin_lrs, admin_keys):
    for _definition in _part.routes:
        if isinstance(_definition, web.RouteDef):
            routes.route(_definition.method, _definition.path,
                         **_definition.kwargs)(_definition.handler)
