"""Who is asking: password log-in, session cookies and bearer tokens, and role checks.

Deny by default: a handler states which roles may call it; everyone else gets 401
(not logged in) or 403 (logged in, not allowed).
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from aiohttp import web
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update

from server.db.models import Credential, User
from server.db.types import utcnow
from server.errors import Handler
from server.failures import Forbidden, Unauthorized
from server.keys import CREDENTIALS, SESSIONS

COOKIE = "redhall_session"
_T = TypeVar("_T")


class _Passwords:
    """Argon2id with the cost the settings give. Hashing runs in a thread of its own (the
    library lets go of the GIL): one hash keeps the cores busy for a fifth of a second, and
    the event loop meanwhile steers live tours. One hash at a time, so that a burst of
    log-ins queues there instead of crowding the loop off the cores."""

    def __init__(self, time_cost: int = 3, memory_kib: int = 65536) -> None:
        self.hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
        self._dummy: str | None = None

    def dummy(self) -> str:
        """Checked against when a username does not exist, so timing does not reveal which
        do (made on first use: importing the server should not cost a hash)."""
        if self._dummy is None:
            self._dummy = self.hasher.hash("not-a-real-password")
        return self._dummy


_passwords = _Passwords()
_hashing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="password hashing")


async def _in_hashing_thread(work: Callable[..., _T], *args: Any) -> _T:
    return await asyncio.get_running_loop().run_in_executor(_hashing, work, *args)


def configure_passwords(time_cost: int, memory_kib: int) -> None:
    """The Argon2 cost of new password hashes (stored hashes carry their own)."""
    global _passwords
    current = _passwords.hasher
    if (current.time_cost, current.memory_cost) != (time_cost, memory_kib):
        _passwords = _Passwords(time_cost, memory_kib)


@dataclass(frozen=True)
class Principal:
    user_id: int
    role: str
    org_id: int | None
    credential_id: int
    # logged in with a password an administrator handed out: the portal's pages ask for
    # the person's own first (server.web.account_pages)
    password_temporary: bool = False
    # shown on every page's bar: kept with the log-in so a page needs no query for it
    name: str = ""


PRINCIPAL: web.RequestKey[Principal | None] = web.RequestKey("principal", Principal)


async def hash_password(password: str) -> str:
    return await _in_hashing_thread(_passwords.hasher.hash, password)


async def check_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches the ``stored`` hash; None (no such user) takes as long
    and never matches."""
    passwords = _passwords
    try:
        matches = await _in_hashing_thread(
            lambda: passwords.hasher.verify(stored or passwords.dummy(), password))
    except (VerificationError, InvalidHashError):
        return False
    return matches and stored is not None


def needs_rehash(stored: str) -> bool:
    """Whether a hash was made at another cost than the settings now give."""
    return _passwords.hasher.check_needs_rehash(stored)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue(request: web.Request, user: User, kind: str, lifetime: timedelta,
                label: str = "") -> tuple[str, Credential]:
    """A new secret for ``user``; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    credential = Credential(token_hash=_digest(token), user_id=user.id, kind=kind, label=label,
                            expires_at=utcnow() + lifetime)
    async with request.app[SESSIONS].begin() as db:
        db.add(credential)
    return token, credential


def _presented(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.cookies.get(COOKIE)


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    token = _presented(request)
    request[PRINCIPAL] = await _lookup(request.app, _digest(token)) if token else None
    return await handler(request)


async def _lookup(app: web.Application, digest: str) -> Principal | None:
    principal, expires = await app[CREDENTIALS].get_or_load(
        digest, lambda: _load_principal(app, digest))
    return principal if expires > utcnow() else None


async def _load_principal(app: web.Application, digest: str) -> tuple[Principal | None, Any]:
    async with app[SESSIONS]() as db:
        row = (await db.execute(
            select(Credential, User).join(User, User.id == Credential.user_id)
            .where(Credential.token_hash == digest))).first()
    principal, expires = None, utcnow()
    if row is not None:
        credential, user = row
        if credential.revoked_at is None and credential.expires_at > utcnow() \
                and user.deleted_at is None and user.deactivated_at is None:
            principal = Principal(user.id, user.role, user.org_id, credential.id,
                                  user.password_temporary, user.display_name)
            expires = credential.expires_at
    return principal, expires


async def principal_for_token(app: web.Application, token: str) -> Principal | None:
    """Who a bearer token or session secret belongs to (for websockets, whose hello
    carries it), or None if it is unknown, revoked or expired."""
    return await _lookup(app, _digest(token))


async def end_cookie_session(request: web.Request) -> None:
    """Revokes the session the request's cookie names, if any (a new log-in replaces it,
    so a session left in a shared browser does not live on beside the new one)."""
    token = request.cookies.get(COOKIE)
    if not token:
        return
    async with request.app[SESSIONS].begin() as db:
        await db.execute(update(Credential).where(Credential.token_hash == _digest(token),
                                                  Credential.kind == "session")
                         .values(revoked_at=utcnow()))
    forget_credentials(request.app)


def forget_credentials(app: web.Application) -> None:
    """After a revocation, log-out or account change: look credentials up afresh."""
    app[CREDENTIALS].clear()


def require(request: web.Request, *roles: str) -> Principal:
    """The caller, if logged in with one of ``roles``; else 401 or 403."""
    principal: Principal | None = request.get(PRINCIPAL)
    if principal is None:
        raise Unauthorized("log in first (session cookie or `Authorization: Bearer`)")
    if principal.role not in roles:
        raise Forbidden(f"your role ({principal.role}) may not do this")
    return principal


EVERYONE = ("member", "guide", "editor", "admin")
STAFF = ("guide", "admin")
