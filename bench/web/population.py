"""The people the portal benchmark logs in as, stored in a scratch database.

The organization, its members and a year of their facts come from the credit-report
benchmark's builder (:func:`bench.reports.measure.fill`: branches, members, tours, facts,
ledger awards), so the dashboard under load reads the same population whose reports
``bench/reports`` times. On top of it: a committee above the branches, the password of
the first ``users`` plain members set, and ``users`` committee administrators for the
dashboard. Every password hash is one cheap Argon2id hash computed here: the benchmark
measures pages, not the log-in's deliberate cost.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from argon2 import PasswordHasher
from sqlalchemy import event, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from bench.reports.measure import fill
from server.db.migrate import upgrade
from server.db.models import Organization, User
from server.db.sqlite import pragmas

PASSWORD = "bench-web-password"


@dataclass(frozen=True)
class Shape:
    """How large the stored population is (the defaults of ``bench/reports`` at full size)."""

    members: int = 20_000
    branches: int = 200
    facts: int = 1_000_000
    awards: int = 100_000
    users: int = 200  # logged-in members, and as many administrators


@dataclass(frozen=True)
class Accounts:
    """Who logs in: usernames of plain members and of committee administrators."""

    members: list[str]
    admins: list[str]


def engine_for(database_url: str) -> AsyncEngine:
    """An engine configured as the server configures its own."""
    engine = create_async_engine(database_url)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", pragmas)
    return engine


async def store(database_url: str, shape: Shape) -> Accounts:
    """Migrates the empty database at ``database_url`` and stores the population."""
    engine = engine_for(database_url)
    try:
        await upgrade(engine)
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        await fill(engine, sessions, argparse.Namespace(
            members=shape.members, branches=shape.branches, facts=shape.facts,
            awards=shape.awards))
        password_hash = PasswordHasher(time_cost=1, memory_cost=1024).hash(PASSWORD)
        async with sessions.begin() as db:
            # fill() gives ids itself; the ones added here follow on
            next_org = int(await db.scalar(select(func.max(Organization.id))) or 0) + 1
            next_user = int(await db.scalar(select(func.max(User.id))) or 0) + 1
            await db.execute(insert(Organization), [
                {"id": next_org, "name": "机关党委", "kind": "committee", "parent_id": None}])
            await db.execute(update(Organization).where(Organization.kind == "branch")
                             .values(parent_id=next_org))
            members = list(await db.scalars(
                select(User.username).where(User.role == "member").order_by(User.id)
                .limit(shape.users)))
            await db.execute(update(User).where(User.username.in_(members))
                             .values(password_hash=password_hash))
            admins = [f"bench-admin-{n}" for n in range(shape.users)]
            await db.execute(insert(User), [
                {"id": next_user + n, "username": name, "display_name": f"党委委员{n}",
                 "password_hash": password_hash, "role": "admin", "org_id": next_org}
                for n, name in enumerate(admins)])
            if engine.dialect.name == "postgresql":  # ids were given: move the counters on
                for table in ("organizations", "users"):
                    await db.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"))
            await db.execute(text("ANALYZE"))
    finally:
        await engine.dispose()
    return Accounts(members=members, admins=admins)


async def accounts(database_url: str, users: int) -> Accounts:
    """Who logs in to a database :func:`store` filled earlier with ``users`` users."""
    engine = engine_for(database_url)
    try:
        async with async_sessionmaker(engine)() as db:
            members = list(await db.scalars(
                select(User.username).where(User.role == "member").order_by(User.id)
                .limit(users)))
    finally:
        await engine.dispose()
    return Accounts(members=members, admins=[f"bench-admin-{n}" for n in range(users)])
