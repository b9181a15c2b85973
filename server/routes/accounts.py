"""Log-in, log-out, bearer tokens, the caller's own account."""

from __future__ import annotations

import json
from datetime import timedelta

from aiohttp import web
from sqlalchemy import update

from protocol.api import LoginRequest, TokenRequest, TokenResponse, UserOut
from server.auth import COOKIE, EVERYONE, forget_credentials, issue, require
from server.db.models import Credential, User
from server.db.types import utcnow
from server.errors import json_error
from server.keys import SESSIONS, SETTINGS
from server.login_guard import authenticate, start_session
from server.roster.scope import oversees_user
from server.validation import body, path_id

routes = web.RouteTableDef()
MAX_CREDENTIALS_BYTES = 4 * 1024
"""A log-in or a token request is a few short fields; anything larger is refused unread
(no one need be logged in to send one)."""


def user_out(user: User) -> dict[str, object]:
    return UserOut(id=user.id, username=user.username, display_name=user.display_name,
                   role=user.role, org_id=user.org_id).model_dump()  # type: ignore[arg-type]


@routes.post("/api/auth/login")
async def login(request: web.Request) -> web.Response:
    data = await body(request, LoginRequest, limit=MAX_CREDENTIALS_BYTES)
    user = await authenticate(request, data.username, data.password)
    response = web.json_response({})
    csrf = await start_session(request, user, response)
    # a browser script sends the CSRF token back with each change it makes
    response.text = json.dumps({"user": user_out(user), "csrf_token": csrf},
                               ensure_ascii=False)
    return response


@routes.post("/api/auth/logout")
async def logout(request: web.Request) -> web.Response:
    principal = require(request, *EVERYONE)
    async with request.app[SESSIONS].begin() as db:
        await db.execute(update(Credential).where(Credential.id == principal.credential_id)
                         .values(revoked_at=utcnow()))
    forget_credentials(request.app)
    response = web.json_response({"ok": True})
    response.del_cookie(COOKIE)
    return response


@routes.post("/api/auth/tokens")
async def create_token(request: web.Request) -> web.Response:
    principal = require(request, *EVERYONE)
    data = await body(request, TokenRequest, limit=MAX_CREDENTIALS_BYTES)
    async with request.app[SESSIONS]() as db:
        user = await db.get(User, principal.user_id)
    assert user is not None
    days = request.app[SETTINGS].token_days
    token, credential = await issue(request, user, "bearer", timedelta(days=days), data.label)
    return web.json_response(TokenResponse(id=credential.id, token=token,
                                           expires_at=credential.expires_at)
                             .model_dump(mode="json"), status=201)


@routes.delete("/api/auth/tokens/{id:[0-9]{1,10}}")
async def revoke_token(request: web.Request) -> web.Response:
    principal = require(request, *EVERYONE)
    token_id = path_id(request, "token")
    async with request.app[SESSIONS].begin() as db:
        credential = await db.get(Credential, token_id)
        owner = await db.get(User, credential.user_id) if credential is not None else None
        if credential is None or owner is None or (
                credential.user_id != principal.user_id
                and not (principal.role == "admin"
                         and await oversees_user(db, principal, owner))):
            raise json_error(404, "no such token")
        credential.revoked_at = utcnow()
    forget_credentials(request.app)
    return web.json_response({"ok": True})


@routes.get("/api/me")
async def me(request: web.Request) -> web.Response:
    principal = require(request, *EVERYONE)
    async with request.app[SESSIONS]() as db:
        user = await db.get(User, principal.user_id)
    assert user is not None
    return web.json_response(user_out(user))
