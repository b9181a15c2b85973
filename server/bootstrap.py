"""Creating organizations and accounts from code: the first admin, the demo, tests."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.auth import hash_password
from server.db.models import Organization, User


async def ensure_org(sessions: async_sessionmaker[AsyncSession], name: str, kind: str,
                     parent_id: int | None = None) -> int:
    async with sessions.begin() as db:
        org = await db.scalar(select(Organization).where(Organization.name == name))
        if org is None:
            org = Organization(name=name, kind=kind, parent_id=parent_id)
            db.add(org)
            await db.flush()
        return org.id


async def ensure_user(sessions: async_sessionmaker[AsyncSession], username: str, password: str,
                      role: str, org_id: int | None = None, display_name: str = "") -> int:
    """The user's id; created with ``password`` if missing (an existing one is kept)."""
    async with sessions() as db:
        found = await db.scalar(select(User.id).where(User.username == username))
    if found is not None:
        return found
    password_hash = await hash_password(password)  # before the transaction, not inside it
    async with sessions.begin() as db:
        user = await db.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(username=username, display_name=display_name or username,
                        password_hash=password_hash, role=role, org_id=org_id)
            db.add(user)
            await db.flush()
        return user.id
