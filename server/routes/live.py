"""``/api/tours/{id}/live``: the live-tour websocket (protocol in ``protocol.tour``).

The first message must be a hello with the protocol version and a token; what follows is
JSON control messages, binary poses and binary voice (``protocol.voice``, read by
``server.live.voice_intake``), each rate-limited per client. Bad input gets an
``error`` message; floods and unreadable streams are closed with 1008 or 1003.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time

from aiohttp import WSMsgType, web
from pydantic import ValidationError
from sqlalchemy import select

from protocol import tour as wire
from protocol.tour_poses import PoseError, check_pose
from server.auth import COOKIE, PRINCIPAL, Principal, principal_for_token
from server.background import stop_all
from server.db.models import Tour, TourBranch, User
from server.errors import POLICY, TOO_BIG, close_code
from server.failures import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    ServerError,
    TooLarge,
    Unauthorized,
    Unsupported,
)
from server.keys import HUB, SESSIONS, SETTINGS
from server.live.connection import Connection
from server.live.inputs import Command, Drop, Join, Leave, Resume
from server.live.loading import NoSuchTour, TourOver
from server.live.outputs import error
from server.live.ratelimit import Sustained, TokenBucket
from server.live.room import LiveTour, Refused
from server.live.voice_intake import VOICE_PREFIX, VoiceIntake
from server.roster.scope import oversees_tour
from server.validation import path_id
from server.web.security import own_origins

routes = web.RouteTableDef()
log = logging.getLogger("redhall.tours")

HELLO_SECONDS = 10
MAX_MESSAGE = 16 * 1024
# aiohttp refuses larger frames unread; below it the frame is read whole and refused by us,
# so the close frame is not lost to a TCP reset from unread input
READ_LIMIT = 1024 * 1024
POSE_RATE, POSE_BURST = 40, 40  # poses taken; 20 a second is what clients send
POSE_SUSTAINED, POSE_SLACK = 60, 10  # poses sent, taken or not, before the close
CONTROL_RATE, CONTROL_BURST = 10, 30
CONTROL_SUSTAINED, CONTROL_SLACK = 15, 10
SESSION_COOKIE = "session-cookie"
"""The hello token of a portal page: the principal is the session cookie's that came with
the upgrade (the page's script cannot read the cookie, which is HTTP-only)."""


class _Closed(ServerError):
    """The connection is refused before it is admitted: ``error`` is sent, then the close
    code that :func:`server.errors.close_code` gives ``intent``."""

    def __init__(self, intent: ServerError | type[ServerError], error: wire.Error) -> None:
        super().__init__(error.message)
        self.code, self.error = close_code(intent), error


class _Gone(Exception):
    """The peer went away before it was admitted: nothing to answer."""


def _explain(exc: ValidationError) -> wire.Error:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "message"
    code = "unknown" if first["type"] == "union_tag_invalid" else "bad_message"
    return error(code, f"{where}: {first['msg']}")


@routes.get("/api/tours/{id:[0-9]{1,10}}/live")
async def live(request: web.Request) -> web.WebSocketResponse:
    tour_id = path_id(request, "tour")  # a plain 404, before the upgrade
    settings = request.app[SETTINGS]
    ws = web.WebSocketResponse(heartbeat=settings.tour_heartbeat_seconds,
                               max_msg_size=READ_LIMIT, compress=False)
    try:
        await ws.prepare(request)
    except (ConnectionError, RuntimeError) as exc:  # reset before the upgrade was answered
        log.debug("tour %s: a connection went away during the upgrade: %s", tour_id, exc)
        return ws
    try:
        room, conn, seat = await _admit(request, ws, tour_id)
    except _Gone:
        return ws
    except _Closed as closed:
        try:
            await ws.send_str(closed.error.model_dump_json())
            await ws.close(code=closed.code, message=closed.error.message[:120].encode())
        except (ConnectionError, RuntimeError) as exc:  # the peer is gone already
            log.debug("tour %s: refusal not delivered: %s", tour_id, exc)
        return ws
    try:
        await _serve_until_closed(room, conn, seat, ws)
    finally:
        try:
            if room.conns.get(seat) is conn:  # not replaced, removed or ended meanwhile
                del room.conns[seat]
                room.poses.forget(seat)
                gone = Leave if ws.close_code == 1000 else Drop
                await room.submit(gone(seat, conn.id, time.time()))
        finally:
            await conn.stop()
    return ws


async def _hello(ws: web.WebSocketResponse) -> wire.Hello:
    try:
        msg = await ws.receive(timeout=HELLO_SECONDS)
    except TimeoutError:
        raise _Closed(BadRequest, error("bad_message",
                                        f"send a hello within {HELLO_SECONDS} s")) from None
    except (ConnectionError, RuntimeError) as exc:  # reset before the hello
        log.debug("a tour connection went away before its hello: %s", exc)
        raise _Gone() from None
    if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
        log.debug("a tour connection closed before its hello (%s)", msg.type.name)
        raise _Gone()
    if msg.type == WSMsgType.TEXT and len(msg.data) > MAX_MESSAGE:
        raise _Closed(TooLarge, error("bad_message", "the hello is too large", "hello"))
    if msg.type != WSMsgType.TEXT:
        raise _Closed(Unsupported, error("bad_message", "the first message must be a JSON "
                                          "hello", "hello"))
    try:
        hello = wire.HELLO.validate_json(msg.data)
    except ValidationError as exc:
        raise _Closed(BadRequest, _explain(exc)) from None
    if hello.version != wire.TOUR_PROTOCOL:
        raise _Closed(BadRequest, error("version", f"this server speaks tour protocol "
                                     f"{wire.TOUR_PROTOCOL}, not {hello.version}; update the "
                                     "client", "hello"))
    return hello


def _cookie_principal(request: web.Request) -> Principal | None:
    """Who the browser's session cookie names, for a hello whose token is
    :data:`SESSION_COOKIE`: only when the upgrade came from a page of this site, since a
    browser sends the cookie with a websocket any other site opens too (cross-site
    websocket hijacking)."""
    if request.headers.get("Origin") not in own_origins(request):
        return None
    if request.headers.get("Authorization") or COOKIE not in request.cookies:
        return None
    return request.get(PRINCIPAL)


async def _admit(request: web.Request, ws: web.WebSocketResponse,
                 tour_id: int) -> tuple[LiveTour, Connection, int]:
    hello = await _hello(ws)
    principal = _cookie_principal(request) if hello.token == SESSION_COOKIE \
        else await principal_for_token(request.app, hello.token)
    if principal is None:
        raise _Closed(Unauthorized, error("auth", "the token is unknown or expired; log in "
                                           "again", "hello"))
    unknown = _Closed(NotFound, error("unknown", f"there is no tour {tour_id} (or it was "
                                    "cancelled)", "hello"))
    async with request.app[SESSIONS]() as db:
        tour = await db.get(Tour, tour_id)
        user = await db.get(User, principal.user_id)
        invited = await db.scalar(select(TourBranch).where(
            TourBranch.tour_id == tour_id, TourBranch.org_id == principal.org_id))
        overseen = principal.role == "admin" and tour is not None \
            and await oversees_tour(db, principal, tour_id)
    assert user is not None
    if tour is None or tour.cancelled_at is not None:
        raise unknown
    # checked before the tour is opened, so strangers cannot make the server load it
    if invited is None and not overseen and user.id != tour.guide_id:
        raise _Closed(Forbidden, error("not_allowed", "your branch is not invited to this "
                                       "tour", "hello"))
    try:
        room = await request.app[HUB].room(tour_id)
    except NoSuchTour:
        raise unknown from None
    except TourOver:
        raise _Closed(Conflict, error("illegal_state", "this tour has ended", "hello")) \
            from None
    conn = Connection(ws, request.transport)
    ticket = hello.resume or secrets.token_urlsafe(18)
    event = Resume(ticket, user.id, conn.id, time.time()) if hello.resume \
        else Join(user.id, user.display_name, ticket, conn.id, time.time())
    try:
        seat = await room.join(conn, event, ticket)
    except Refused as refused:
        await conn.stop()
        raise _Closed(refused, refused.error) from None
    return room, conn, seat


async def _serve_until_closed(room: LiveTour, conn: Connection, seat: int,
                              ws: web.WebSocketResponse) -> None:
    """Reads until the peer closes, or until the tour asks to close this connection; then
    closes from this task, so the handshake completes and the peer sees our code."""
    reader = asyncio.create_task(_serve(room, conn, seat, ws))
    asked = asyncio.create_task(conn.flushed.wait())
    try:
        await asyncio.wait({reader, asked}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        await stop_all([reader, asked])
    if conn.closing is not None and not ws.closed:
        code, reason = conn.closing
        await ws.close(code=code, message=reason[:120].encode())


async def _serve(room: LiveTour, conn: Connection, seat: int,
                 ws: web.WebSocketResponse) -> None:
    poses, control = TokenBucket(POSE_RATE, POSE_BURST), TokenBucket(CONTROL_RATE,
                                                                      CONTROL_BURST)
    pose_flood = Sustained(POSE_SUSTAINED, POSE_SLACK)
    control_flood = Sustained(CONTROL_SUSTAINED, CONTROL_SLACK)
    may_pose = room.state.seats[seat].role != "spectator"  # spectators stay spectators
    voice = VoiceIntake(room, conn, seat)
    async for msg in ws:
        if msg.type in (WSMsgType.BINARY, WSMsgType.TEXT) and len(msg.data) > MAX_MESSAGE:
            conn.close(TOO_BIG, f"messages are at most "
                       f"{MAX_MESSAGE // 1024} KB")
            return
        if msg.type == WSMsgType.BINARY and msg.data[:1] == VOICE_PREFIX:
            voice.receive(msg.data)
        elif msg.type == WSMsgType.BINARY:
            if not pose_flood.allows():
                conn.close(POLICY, f"pose flood: send at most 20 poses a second "
                                   f"(over {POSE_SUSTAINED} a second is closed)")
                return
            if not poses.take():
                if poses.refused > 400:
                    conn.close(POLICY, "pose flood: send at most 20 poses a second")
                continue
            try:
                check_pose(msg.data)
            except PoseError as exc:
                conn.send(error("bad_message", str(exc), "pose").model_dump_json())
                continue
            if may_pose and room.conns.get(seat) is conn:
                room.pose(seat, msg.data)
        elif msg.type == WSMsgType.TEXT:
            if not control_flood.allows():
                conn.close(POLICY, f"message flood: over {CONTROL_SUSTAINED} messages a "
                                   "second")
                return
            if not control.take():
                conn.send(error("rate_limited", "too many messages; slow down").model_dump_json())
                if control.refused > 50:
                    conn.close(POLICY, "message flood")
                continue
            try:
                message = wire.CLIENT.validate_json(msg.data)
            except ValidationError as exc:
                conn.send(_explain(exc).model_dump_json())
                continue
            await room.submit(Command(seat, message, time.time()))
