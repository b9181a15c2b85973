"""Log-in with a password, guarded: a limit on attempts per address, and an account locked
for a while after too many wrong passwords in a row (kept in the database, so every
server process agrees). Both the API and the portal's log-in page go through here."""

from __future__ import annotations

import math
import time
from collections import deque
from datetime import timedelta

from aiohttp import web
from sqlalchemy import select, update

from server.audit import record
from server.auth import (
    COOKIE,
    check_password,
    end_cookie_session,
    hash_password,
    issue,
    needs_rehash,
)
from server.db.models import User
from server.db.types import utcnow
from server.failures import TooManyRequests, Unauthorized
from server.keys import SESSIONS, SETTINGS
from server.web.security import csrf_token

WRONG = "wrong username or password"
ATTEMPTS = web.AppKey("login_attempts", dict)
WINDOW_SECONDS = 60.0
MAX_ADDRESSES = 100_000  # the table of recent attempts stays bounded under a flood


def _count_attempt(request: web.Request) -> None:
    """Refuses a log-in from an address that made too many in the last minute."""
    table: dict[str, deque[float]] = request.app[ATTEMPTS]
    limit = request.app[SETTINGS].login_attempts_per_minute
    now = time.monotonic()
    address = request.remote or "?"
    recent = table.get(address)
    if recent is None:
        if len(table) >= MAX_ADDRESSES:
            table.clear()
        recent = table[address] = deque()
    while recent and recent[0] <= now - WINDOW_SECONDS:
        recent.popleft()
    if len(recent) >= limit:
        wait = math.ceil(recent[0] + WINDOW_SECONDS - now)
        raise TooManyRequests(f"too many log-in attempts from your address: try again in "
                              f"{wait} s", retry_after=max(wait, 1))
    recent.append(now)


def install_login_guard(app: web.Application) -> None:
    app[ATTEMPTS] = {}


async def authenticate(request: web.Request, username: str, password: str) -> User:
    """The user whose password this is; else Unauthorized (or TooManyRequests while the
    address is over its limit or the account is locked)."""
    _count_attempt(request)
    settings = request.app[SETTINGS]
    async with request.app[SESSIONS]() as db:
        user = await db.scalar(select(User).where(User.username == username,
                                                  User.deleted_at.is_(None)))
    valid = await check_password(user.password_hash if user else None, password)
    if user is None:
        raise Unauthorized(WRONG)
    now = utcnow()
    if user.locked_until is not None and user.locked_until > now:
        wait = math.ceil((user.locked_until - now).total_seconds())
        raise TooManyRequests(f"this account is locked after {settings.login_max_failures} "
                              f"wrong passwords: try again in {math.ceil(wait / 60)} min",
                              retry_after=wait)
    if not valid:
        await _failed(request, user)
        raise Unauthorized(WRONG)
    if user.deactivated_at is not None:
        raise Unauthorized("this account is deactivated: ask your party committee")
    async with request.app[SESSIONS].begin() as db:
        values: dict[str, object] = {"failed_logins": 0, "locked_until": None}
        if needs_rehash(user.password_hash):
            # the cost was changed in the settings: the password is at hand only now
            values["password_hash"] = await hash_password(password)
        await db.execute(update(User).where(User.id == user.id).values(**values))
    return user


async def _failed(request: web.Request, user: User) -> None:
    settings = request.app[SETTINGS]
    async with request.app[SESSIONS].begin() as db:
        failures = await db.scalar(
            update(User).where(User.id == user.id)
            .values(failed_logins=User.failed_logins + 1).returning(User.failed_logins))
        if failures is not None and failures >= settings.login_max_failures:
            await db.execute(update(User).where(User.id == user.id).values(
                failed_logins=0,
                locked_until=utcnow() + timedelta(minutes=settings.login_lock_minutes)))
            record(db, None, "user.locked", f"user:{user.id}", failures=failures)


async def start_session(request: web.Request, user: User,
                        response: web.StreamResponse) -> str:
    """Logs ``user`` in on ``response`` (the session cookie); returns its CSRF token."""
    settings = request.app[SETTINGS]
    await end_cookie_session(request)
    token, _ = await issue(request, user, "session", timedelta(hours=settings.session_hours))
    response.set_cookie(COOKIE, token, httponly=True, samesite="Lax",
                        secure=settings.cookie_secure, path="/",
                        max_age=int(settings.session_hours * 3600))
    return csrf_token(token)
