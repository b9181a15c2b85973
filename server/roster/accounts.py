"""What an administrator does to one account: deactivate (its log-ins end at once),
reactivate, give it a temporary password, unlock it after too many wrong passwords.
Each is audited in the same transaction; a password itself is never written anywhere
but as its hash."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from server.audit import record
from server.auth import Principal, forget_credentials, hash_password
from server.db.models import Credential, User, XapiClient
from server.db.types import utcnow
from server.failures import Conflict
from server.keys import LRS_CLIENTS, SESSIONS
from server.roster.passwords import temporary_password
from server.roster.scope import managed_user


async def _end_log_ins(db: AsyncSession, user_id: int) -> None:
    now = utcnow()
    await db.execute(update(Credential).where(Credential.user_id == user_id,
                                              Credential.revoked_at.is_(None))
                     .values(revoked_at=now))
    await db.execute(update(XapiClient).where(XapiClient.user_id == user_id,
                                              XapiClient.revoked_at.is_(None))
                     .values(revoked_at=now))


def _forget(app: web.Application) -> None:
    """Cached log-ins are looked up afresh: a revoked one stops working now."""
    forget_credentials(app)
    app[LRS_CLIENTS].forget()


async def deactivate(app: web.Application, principal: Principal, user_id: int) -> User:
    if user_id == principal.user_id:
        raise Conflict("you cannot deactivate your own account")
    async with app[SESSIONS].begin() as db:
        user, _ = await managed_user(db, principal, user_id)
        if user.deactivated_at is None:
            user.deactivated_at = utcnow()
            await _end_log_ins(db, user.id)
            record(db, principal, "user.deactivate", f"user:{user.id}")
    _forget(app)
    return user


async def reactivate(app: web.Application, principal: Principal, user_id: int) -> User:
    async with app[SESSIONS].begin() as db:
        user, _ = await managed_user(db, principal, user_id)
        if user.deactivated_at is not None:
            user.deactivated_at = None
            record(db, principal, "user.reactivate", f"user:{user.id}")
    return user


async def reset_password(app: web.Application, principal: Principal,
                         user_id: int) -> tuple[User, str]:
    """A new temporary password for the account (returned once); its other log-ins end,
    as whoever knew the old password may hold one."""
    password = temporary_password()
    hashed = await hash_password(password)
    async with app[SESSIONS].begin() as db:
        user, _ = await managed_user(db, principal, user_id)
        user.password_hash = hashed
        user.password_temporary = True
        user.failed_logins = 0
        user.locked_until = None
        if user.id != principal.user_id:
            await _end_log_ins(db, user.id)
        record(db, principal, "user.password_reset", f"user:{user.id}")
    _forget(app)
    return user, password


async def unlock(app: web.Application, principal: Principal, user_id: int) -> User:
    async with app[SESSIONS].begin() as db:
        user, _ = await managed_user(db, principal, user_id)
        if user.locked_until is not None or user.failed_logins:
            user.locked_until = None
            user.failed_logins = 0
            record(db, principal, "user.unlock", f"user:{user.id}")
    return user
