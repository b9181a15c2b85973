"""``GET /api/tours/{id}/attendance``: who came to a tour, when, for how long, their quiz
score and credit; JSON, CSV or XLSX (``?format=``), the files in the requester's language
(``?lang=``, then Accept-Language, else zh-CN). For the tour's guide and admins."""

from __future__ import annotations

import asyncio
import json

from aiohttp import web

from server import attendance
from server.auth import STAFF, require
from server.credits.messages import requested
from server.errors import json_error
from server.keys import SESSIONS
from server.routes.tours import managed_tour, tour_id_of
from server.tour_view import zone_of

routes = web.RouteTableDef()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("json", "csv", "xlsx")


@routes.get("/api/tours/{id:[0-9]{1,10}}/attendance")
async def tour_attendance(request: web.Request) -> web.Response:
    principal = require(request, *STAFF)
    fmt = request.query.get("format", "json")
    if fmt not in FORMATS:
        raise json_error(400, "format must be json, csv or xlsx")
    tour_id = tour_id_of(request)
    async with request.app[SESSIONS]() as db:
        tour = await managed_tour(db, principal, tour_id)
        report = await attendance.attendance(db, tour, zone_of(tour))
    name = f"tour-{tour_id}-attendance"
    if fmt == "json":  # keys and values stay as they are, whatever the language
        return web.json_response(report, dumps=lambda v: json.dumps(v, ensure_ascii=False))
    lang = requested(request.query, request.headers)
    headers = {"Content-Language": lang, "Vary": "Accept-Language",
               "Content-Disposition": f'attachment; filename="{name}.{fmt}"'}
    if fmt == "csv":
        return web.Response(body=attendance.as_csv(report["people"], lang),
                            content_type="text/csv", charset="utf-8", headers=headers)
    data = await asyncio.to_thread(attendance.as_xlsx, report["people"], lang)
    return web.Response(body=data, content_type=XLSX, headers=headers)
