"""Time to build each credit report, and the committee's dashboard, for a year of a large
organization.

For each database: ``--members`` members and guides in ``--branches`` branches, a year of
``--facts`` participation facts (half of them in guided tours) and ``--awards`` ledger
awards are stored; then each report (members, branches, exhibits) is built three times by
RedHall (aggregated by the database) and three times by the peer (:mod:`bench.reports.peer`:
every row of the period fetched and summed in Python), and the two must agree. Reports the
median of each and the peer's time over RedHall's. Writes bench/results/reports.json.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from bench.databases import DATABASES, on_each, write_results
from bench.reports import peer
from server.credits import reports
from server.credits.reports import Period, Scope
from server.dashboard.member_year import member_year
from server.dashboard.period import Period as DashboardPeriod
from server.dashboard.tree import overseen
from server.dashboard.view import dashboard
from server.db.migrate import upgrade
from server.db.models import (
    ExhibitVersion,
    LedgerEntry,
    Organization,
    ParticipationRecord,
    Tour,
    User,
)
from server.db.sqlite import pragmas
from server.web.catalogue import translate

ROOT = Path(__file__).resolve().parents[2]
YEAR = 2026
TARGETS = {"member": 32.0, "guide": 56.0}
TODAY = date(YEAR, 10, 1)
EXHIBITS, TOURS = 12, 600
CHUNK = 10_000


async def _insert(sessions: async_sessionmaker[AsyncSession], model: Any,
                  rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        async with sessions.begin() as db:
            await db.execute(insert(model), rows[start:start + CHUNK])


async def fill(sessions: async_sessionmaker[AsyncSession], args: argparse.Namespace) -> None:
    rng = random.Random(1)
    await _insert(sessions, Organization, [{"id": b + 1, "name": f"第{b + 1}党支部",
                                            "kind": "branch"} for b in range(args.branches)])
    await _insert(sessions, User, [
        {"id": n + 1, "username": f"m{n}", "display_name": f"成员{n}", "password_hash": "-",
         "role": "guide" if n % 25 == 0 else "member", "org_id": n % args.branches + 1}
        for n in range(args.members)])
    await _insert(sessions, ExhibitVersion, [
        {"id": e + 1, "exhibit_id": f"exhibit-{e}", "version": "1.0.0", "sha256": "0" * 64,
         "size": 1, "manifest": {}, "uploaded_by": 1} for e in range(EXHIBITS)])
    await _insert(sessions, Tour, [
        {"id": t + 1, "exhibit_version_id": t % EXHIBITS + 1, "guide_id": 1, "title": "tour",
         "starts_at": datetime(YEAR, 1, 1, tzinfo=UTC), "duration_minutes": 60,
         "capacity": 1000} for t in range(TOURS)])
    start = datetime(YEAR, 1, 1, tzinfo=UTC)

    def moment() -> datetime:
        return start + timedelta(seconds=rng.randrange(365 * 86400))

    facts = []
    for _ in range(args.facts):
        toured = rng.random() < 0.5
        facts.append({"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                      "user_id": rng.randrange(args.members) + 1,
                      "tour_id": rng.randrange(TOURS) + 1 if toured else None,
                      "kind": rng.choice(("tour_joined", "stop_reached", "tour_ended")
                                         if toured else ("scene_entered", "hotspot_viewed")),
                      "at": moment(),
                      "detail": {} if toured else {"exhibit": f"exhibit-{rng.randrange(12)}"}})
    await _insert(sessions, ParticipationRecord, facts)
    await _insert(sessions, LedgerEntry, [
        {"seq": n + 1, "award_key": f"award-{n}", "user_id": rng.randrange(args.members) + 1,
         "year": YEAR, "hours": rng.choice(("0.5", "0.25", "1")),
         "exhibit_id": f"exhibit-{rng.randrange(EXHIBITS)}", "subject": {}, "basis": {},
         "at": moment().isoformat().replace("+00:00", "Z"), "prev_hash": "0" * 64,
         "hash": "0" * 64} for n in range(args.awards)])
    async with sessions.begin() as db:  # as autovacuum would after a bulk load
        await db.execute(text("ANALYZE"))


def _key(name: str, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What both implementations report, to check that they agree."""
    fields = {"members": ("user", "hours", "active"),
              "branches": ("branch", "members", "active_members", "hours"),
              "exhibits": ("exhibit", "visitors", "tours", "hours")}[name]
    return sorted(tuple(row[field] for field in fields) for row in rows)


async def _timed(build: Callable[[], Awaitable[list[dict[str, Any]]]]
                 ) -> tuple[float, list[dict[str, Any]]]:
    times, rows = [], []
    for _ in range(3):
        started = time.perf_counter()
        rows = await build()
        times.append(time.perf_counter() - started)
    return statistics.median(times), rows


def _words(key: str, **values: Any) -> str:
    return translate("zh-CN", key, **values)


async def measure_dashboard(sessions: async_sessionmaker[AsyncSession]) -> dict[str, float]:
    """Seconds (median of three) for each view of the dashboard, from the organizations'
    tree to the last figure, as the API builds it."""
    async def view(period: str, org: int | None) -> Any:
        subtree = await overseen(sessions, None, org)
        return await dashboard(sessions, DashboardPeriod.parse(period), subtree, TARGETS,
                               TODAY, _words)

    async def member() -> Any:
        return await member_year(sessions, 2, YEAR, await overseen(sessions, None, None),
                                 TARGETS, TODAY)

    views: dict[str, Callable[[], Awaitable[Any]]] = {
        "year": lambda: view(str(YEAR), None), "quarter": lambda: view(f"{YEAR}-Q3", None),
        "branch": lambda: view(str(YEAR), 1), "member": member}
    result = {}
    for label, build in views.items():
        times = []
        for _ in range(3):
            started = time.perf_counter()
            await build()
            times.append(time.perf_counter() - started)
        result[f"{label}_seconds"] = round(statistics.median(times), 3)
    return result


async def measure(name: str, database_url: str, args: argparse.Namespace) -> dict[str, Any]:
    engine = create_async_engine(database_url)
    if engine.dialect.name == "sqlite":  # as the server configures its connections
        event.listen(engine.sync_engine, "connect", pragmas)
    await upgrade(engine)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    print(f"[{name}] storing {args.members:,} members, {args.facts:,} facts, "
          f"{args.awards:,} awards …", flush=True)
    started = time.perf_counter()
    await fill(sessions, args)
    result: dict[str, Any] = {"fill_seconds": round(time.perf_counter() - started, 1)}
    period, scope = Period.year(YEAR), Scope()
    builds = {
        "members": (lambda: reports.members(sessions, period, scope, TARGETS, TODAY),
                    lambda: peer.members(sessions, period, scope, TARGETS, TODAY)),
        "branches": (lambda: reports.branches(sessions, period, scope, TARGETS, TODAY),
                     lambda: peer.branches(sessions, period, scope, TARGETS, TODAY)),
        "exhibits": (lambda: reports.exhibits(sessions, period, scope),
                     lambda: peer.exhibits(sessions, period, scope)),
    }
    for report, (ours, theirs) in builds.items():
        seconds, rows = await _timed(ours)
        peer_seconds, peer_rows = await _timed(theirs)
        if _key(report, rows) != _key(report, peer_rows):
            raise SystemExit(f"[{name}] the {report} report differs from the peer's")
        result[report] = {"rows": len(rows), "seconds": round(seconds, 3),
                          "peer_seconds": round(peer_seconds, 3),
                          "peer_over_redhall": round(peer_seconds / seconds, 2)}
        print(f"[{name}] {report}: {result[report]}", flush=True)
    result["dashboard"] = await measure_dashboard(sessions)
    print(f"[{name}] dashboard: {result['dashboard']}", flush=True)
    await engine.dispose()
    return result


async def main(args: argparse.Namespace) -> None:
    results: dict[str, Any] = {"command": "bench/reports/run " + " ".join(
        f"--{k} {v}" for k, v in vars(args).items() if k != "databases")}
    results |= await on_each(args.databases, "reports",
                             lambda name, url: measure(name, url, args))
    write_results(ROOT / "bench/results/reports.json", results)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--branches", type=int, default=200)
    parser.add_argument("--facts", type=int, default=1_000_000)
    parser.add_argument("--awards", type=int, default=100_000)
    parser.add_argument("--databases", nargs="+", choices=DATABASES, default=list(DATABASES))
    asyncio.run(main(parser.parse_args()))
