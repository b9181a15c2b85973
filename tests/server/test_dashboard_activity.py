"""What the dashboard reads instead of the facts: ``activity_months`` (each member's facts
counted by month) stays equal to the facts however they are written, is counted from the
facts already stored when the schema is upgraded; and a member's own yearly target counts
in the credit reports as on the dashboard."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import insert, select, text, update
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from engine.delivery import deliver
from engine.facts import FactRecorder
from engine.outbox import Outbox
from server.credits import reports
from server.db.migrate import alembic_config
from server.db.models import ActivityMonth, ParticipationRecord, User
from server.keys import SESSIONS
from server.participation_store import month_key, months_from_facts, recount_months, row, store
from tests.server.conftest import World


async def _months(sessions: async_sessionmaker[AsyncSession]) -> dict[tuple[int, int], int]:
    async with sessions() as db:
        rows = (await db.execute(select(ActivityMonth.user_id, ActivityMonth.month,
                                        ActivityMonth.facts))).all()
    return {(user, month): facts for user, month, facts in rows}


async def _counted_from_facts(sessions: async_sessionmaker[AsyncSession]
                              ) -> dict[tuple[int, int], int]:
    async with sessions() as db:
        assert db.bind is not None
        rows = (await db.execute(months_from_facts(db.bind.dialect.name))).all()
    return {(user, month): facts for user, month, facts in rows}


def _at(*moment: int) -> float:
    return datetime(*moment, tzinfo=UTC).timestamp()


async def test_each_members_months_count_their_facts_however_they_arrive(
        world: World, tmp_path: Path) -> None:
    sessions = world.client.server.app[SESSIONS]
    ann, bob = world.users["member"], world.users["member_b"]
    # the last moment of January and the first of February (UTC) are different months
    first = [row("f-1", ann, "scene_entered", _at(2026, 1, 31, 23, 59, 59), {}),
             row("f-2", ann, "scene_left", _at(2026, 2, 1, 0, 0, 0), {}),
             row("f-3", bob, "scene_entered", _at(2026, 2, 14, 8), {}),
             row("f-3", bob, "scene_entered", _at(2026, 2, 14, 8), {}),  # twice in a batch
             row("f-4", ann, "scene_entered", _at(2026, 2, 3, 8), {})]
    assert [r["id"] for r in await store(sessions, first)] == ["f-1", "f-2", "f-3", "f-4"]
    # delivered again (a retry), with one new fact: only the new one counts
    again = [*first[:3], row("f-5", bob, "scene_left", _at(2026, 2, 14, 9), {})]
    assert [r["id"] for r in await store(sessions, again)] == ["f-5"]
    # side by side, as a tour's hub and a visit's upload may store at once
    await asyncio.gather(*(store(sessions, [
        row(f"g-{n}", ann, "hotspot_viewed", _at(2026, 3, 1 + n % 28, 12), {}),
        row("f-4", ann, "scene_entered", _at(2026, 2, 3, 8), {})]) for n in range(6)))
    # a self-guided visit delivered by the engine's outbox, twice (its retry after a crash)
    outbox = Outbox(tmp_path / "outbox")
    recorder = FactRecorder(outbox, uuid.uuid4(), "founding", "1.0.0", "nanhu-red-boat",
                            wall_clock=lambda: time.time() - 3600)
    recorder.emit("scene_entered")
    recorder.emit("scene_left", seconds=300.0)
    server, token = str(world.client.make_url("/")), world.tokens["member_b"]
    assert await deliver(outbox, server, token, session=world.client.session) == 2
    outbox.delivered_file.unlink()
    assert await deliver(outbox, server, token, session=world.client.session) == 2

    now = month_key(datetime.fromtimestamp(time.time() - 3600, UTC))
    expected = {(ann, 202601): 1, (ann, 202602): 2, (ann, 202603): 6, (bob, 202602): 2}
    expected[(bob, now)] = expected.get((bob, now), 0) + 2
    assert await _months(sessions) == expected
    assert await _counted_from_facts(sessions) == expected
    async with sessions.begin() as db:  # counting afresh (after a bulk load) agrees
        await recount_months(db)
    assert await _months(sessions) == expected


async def _migrate(engine: AsyncEngine, revision: str) -> None:
    def run(connection: object) -> None:
        config = alembic_config(str(engine.url))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)


async def test_the_upgrade_counts_the_facts_already_stored(database_url: str) -> None:
    engine = create_async_engine(database_url)
    try:
        await _migrate(engine, "0008")
        async with engine.begin() as connection:
            await connection.execute(text(
                "INSERT INTO users (id, username, display_name, password_hash, role, "
                "created_at) VALUES (7, 'ann', 'Ann', '-', 'member', :now)"),
                {"now": datetime(2026, 1, 1, tzinfo=UTC)})
            await connection.execute(insert(ParticipationRecord.__table__), [
                {"id": f"f-{n}", "user_id": 7, "tour_id": None, "kind": "scene_entered",
                 "at": at, "stored_at": at, "detail": {}}
                for n, at in enumerate([datetime(2025, 12, 31, 23, 59, tzinfo=UTC),
                                        datetime(2026, 1, 1, tzinfo=UTC),
                                        datetime(2026, 1, 31, 23, 59, 59, 999999, tzinfo=UTC),
                                        datetime(2026, 9, 15, 10, tzinfo=UTC)])])
        await _migrate(engine, "head")
        sessions = async_sessionmaker(engine)
        expected = {(7, 202512): 1, (7, 202601): 2, (7, 202609): 1}
        assert await _months(sessions) == expected
        assert await _counted_from_facts(sessions) == expected
    finally:
        await engine.dispose()


async def test_a_members_own_target_counts_in_the_credit_reports(world: World) -> None:
    sessions = world.client.server.app[SESSIONS]
    async with sessions.begin() as db:
        await db.execute(update(User).where(User.id == world.users["member"])
                         .values(yearly_target=40.0))
    targets = {"member": 32.0, "guide": 56.0}
    rows = await reports.members(sessions, reports.Period.year(2026), reports.Scope(),
                                 targets, date(2026, 12, 31))
    found = {row["user"]: row["target"] for row in rows}
    assert found[world.users["member"]] == 40.0
    assert found[world.users["member_b"]] == 32.0 and found[world.users["guide"]] == 56.0
