"""A tour's recording: its index (listed with the tour) and its files, for those invited
to the tour, its guide and the administrators overseeing it (as for the tour itself).
Files are served with HTTP ranges, so a long recording is fetched in parts and resumed."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import EVERYONE, Principal, require
from server.db.models import Tour, TourBranch
from server.errors import json_error
from server.keys import SESSIONS
from server.recording import Recordings, TourRecorders
from server.roster.scope import oversees_tour
from server.validation import path_id

routes = web.RouteTableDef()
RECORDINGS = web.AppKey("recordings", Recordings)
RECORDERS = web.AppKey("recorders", TourRecorders)
_TYPES = {".opus": "audio/ogg; codecs=opus", ".jsonl": "application/jsonl"}


async def _recording_of(db: AsyncSession, principal: Principal, tour_id: int) -> str | None:
    """The tour's recording (its index sha256) if the caller may see the tour: 404 for a
    tour they are not invited to, as for one that does not exist."""
    tour = await db.get(Tour, tour_id)
    if tour is None:
        raise json_error(404, "no such tour")
    if tour.guide_id == principal.user_id:
        return tour.recording_sha256
    if principal.role == "admin":  # an administrator of the tree the tour belongs to
        seen = await oversees_tour(db, principal, tour_id)
    else:
        seen = await db.scalar(select(TourBranch.org_id).where(
            TourBranch.tour_id == tour_id, TourBranch.org_id == principal.org_id)) is not None
    if not seen:
        raise json_error(404, "no such tour")
    return tour.recording_sha256


def listing(index: dict[str, Any], tour_id: int) -> dict[str, Any]:
    """The index as the API shows it: each file with the URL to fetch it. Saved as a file
    with the files it names beside it (``<sha256>.opus``, ``<sha256>.jsonl``), it is what
    ``redhall view PACKAGE --replay`` reads."""
    base = f"/api/tours/{tour_id}/recording/"
    events = index["events"]
    return {"recording": index["recording"], "tour": tour_id, "start": index["start"],
            "duration": index["duration"], "exhibit": index.get("exhibit"),
            "exhibit_version": index.get("exhibit_version"), "scene": index.get("scene"),
            "previous": index.get("previous"),
            "events": {**events, "url": f"{base}{events['sha256']}.jsonl"},
            "voices": [{**voice, "url": f"{base}{voice['sha256']}.opus"}
                       for voice in index["voices"]]}


async def _index(request: web.Request) -> tuple[int, dict[str, Any]]:
    principal = require(request, *EVERYONE)
    tour_id = path_id(request, "tour")
    async with request.app[SESSIONS]() as db:
        sha = await _recording_of(db, principal, tour_id)
    index = request.app[RECORDINGS].index(sha) if sha else None
    if index is None:
        raise json_error(404, "this tour has no recording (yet)")
    return tour_id, index


@routes.get("/api/tours/{id:[0-9]{1,10}}/recording")
async def recording(request: web.Request) -> web.Response:
    tour_id, index = await _index(request)
    return web.json_response(listing(index, tour_id))


@routes.get("/api/tours/{id:[0-9]{1,10}}/recording/{file:[0-9a-f]{64}\\.(?:opus|jsonl)}")
async def recording_file(request: web.Request) -> web.StreamResponse:
    """One file of the tour's recording; only files its index names are served."""
    _, index = await _index(request)
    sha, _, suffix = request.match_info["file"].partition(".")
    named = {index["events"]["sha256"]: ".jsonl"}
    named.update({voice["sha256"]: ".opus" for voice in index["voices"]})
    path = request.app[RECORDINGS].path(sha, "." + suffix)
    if named.get(sha) != "." + suffix or path is None or not path.is_file():
        raise json_error(404, "no such file in this tour's recording")
    return web.FileResponse(path, headers={
        "Content-Type": _TYPES["." + suffix],
        "Cache-Control": "private, max-age=31536000, immutable",  # named by its content
        "Content-Disposition": f'attachment; filename="tour-{index["tour"]}-{sha[:12]}.{suffix}"'})
