"""Time to build each credit report, and the committee's dashboard, for a year of a large
organization.

For each database: ``--members`` members and guides in ``--branches`` branches, a year of
``--facts`` participation facts (half of them in guided tours) and ``--awards`` ledger
awards are stored; then each report (members, branches, exhibits) is built three times by
RedHall (aggregated by the database) and three times by the peer (:mod:`bench.reports.peer`:
every row of the period fetched and summed in Python), and the two must agree. Reports the
median of each and the peer's time over RedHall's. Then the dashboard's views (the
committee's year, quarter and month, a branch's year, a member's year): built in this
process as the API builds them, and answered over HTTP by `redhall serve` started on the
same database; wall and CPU seconds of each (CPU: of this process, of the server's, and of
PostgreSQL's processes). Writes bench/results/reports.json.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import event, insert, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bench.databases import DATABASES, on_each, write_results
from bench.reports import peer
from bench.web.serve import redhall_serve
from server.bootstrap import ensure_user
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
from server.participation_store import recount_months
from server.web.catalogue import translate

ROOT = Path(__file__).resolve().parents[2]
YEAR = 2026
TARGETS = {"member": 32.0, "guide": 56.0}
TODAY = date(YEAR, 10, 1)
EXHIBITS, TOURS = 12, 600
CHUNK = 10_000


async def _insert(sessions: async_sessionmaker[AsyncSession], model: Any,
                  rows: list[dict[str, Any]]) -> None:
    bind = sessions.kw["bind"]
    if bind.dialect.name == "postgresql" and rows:
        await _copy(bind, model, rows)
        return
    for start in range(0, len(rows), CHUNK):
        async with sessions.begin() as db:
            await db.execute(insert(model), rows[start:start + CHUNK])


async def _copy(engine: AsyncEngine, model: Any, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL's COPY: a million facts in seconds instead of many minutes of INSERTs.
    Columns left out take their model defaults, JSON goes as text."""
    table = model.__table__
    columns = [c for c in table.columns
               if c.name in rows[0] or c.default is not None or c.server_default is not None]
    names = [c.name for c in columns if c.name in rows[0] or c.default is not None]

    def value(column: Any, row: dict[str, Any]) -> Any:
        if column.name in row:
            found = row[column.name]
        else:
            default = column.default.arg
            found = default(None) if callable(default) else default
        return json.dumps(found) if isinstance(found, dict | list) else found

    chosen = [c for c in columns if c.name in names]
    records = [tuple(value(c, row) for c in chosen) for row in rows]
    async with engine.connect() as connection:
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None
        await raw.copy_records_to_table(table.name, columns=names, records=records)


async def fill(engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession],
               args: argparse.Namespace) -> None:
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
    async with sessions.begin() as db:  # loaded around the store: its months counted afresh
        await recount_months(db)
    await _insert(sessions, LedgerEntry, [
        {"seq": n + 1, "award_key": f"award-{n}", "user_id": rng.randrange(args.members) + 1,
         "year": YEAR, "hours": rng.choice(("0.5", "0.25", "1")),
         "exhibit_id": f"exhibit-{rng.randrange(EXHIBITS)}", "subject": {}, "basis": {},
         "at": moment().isoformat().replace("+00:00", "Z"), "prev_hash": "0" * 64,
         "hash": "0" * 64} for n in range(args.awards)])
    # as autovacuum would after a bulk load (on PostgreSQL VACUUM, too, marks the pages
    # all-visible, so a covering index is read without visiting the table)
    command = "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
    async with engine.connect() as connection:
        unwrapped = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await unwrapped.execute(text(command))


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


def _cpu_seconds(pids: set[int] | None = None, command: str | None = None) -> float:
    """CPU seconds used so far by the processes ``pids``, or by every process named
    ``command`` (from /proc; 0 where there is none)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or (pids is not None and int(entry) not in pids):
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        name, fields = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:]
        if command is None or name == command:
            values = fields.split()
            total += int(values[11]) + int(values[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def _children() -> set[int]:
    mine = str(os.getpid())
    found = set()
    for entry in os.listdir("/proc"):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text() if entry.isdigit() else ""
        except OSError:
            continue
        if stat and stat[stat.rindex(")") + 2:].split()[1] == mine:
            found.add(int(entry))
    return found


Build = Callable[[], Awaitable[Any]]


async def _median_of_three(build: Build, server: set[int], postgres: bool
                           ) -> dict[str, float]:
    """Wall and CPU seconds, each the median of three runs: of this process, of the
    server's (``server``: its processes), and of PostgreSQL's (all its processes on the
    machine: other work on it counts too)."""
    runs: list[tuple[float, ...]] = []
    for _ in range(3):
        wall, cpu = time.perf_counter(), time.process_time()
        served, database = _cpu_seconds(server), _cpu_seconds(command="postgres")
        await build()
        runs.append((time.perf_counter() - wall, time.process_time() - cpu,
                     _cpu_seconds(server) - served,
                     _cpu_seconds(command="postgres") - database))
    keys: tuple[str, ...] = ("seconds", "cpu_seconds", "server_cpu_seconds",
                             "postgres_cpu_seconds")
    if not server:
        keys = keys[:2] + keys[3:]
        runs = [run[:2] + run[3:] for run in runs]
    if not postgres:
        keys, runs = keys[:-1], [run[:-1] for run in runs]
    return {key: round(statistics.median(run[n] for run in runs), 3)
            for n, key in enumerate(keys)}


DASHBOARD_VIEWS = {"year": (str(YEAR), None), "quarter": (f"{YEAR}-Q3", None),
                   "month": (f"{YEAR}-09", None), "branch": (str(YEAR), 1)}


async def measure_dashboard(sessions: async_sessionmaker[AsyncSession], database_url: str
                            ) -> dict[str, Any]:
    """Each view of the dashboard, from the organizations' tree to the last figure: built
    here as the API builds it, then asked of a server over HTTP."""
    async def view(period: str, org: int | None) -> Any:
        subtree = await overseen(sessions, None, org)
        return await dashboard(sessions, DashboardPeriod.parse(period), subtree, TARGETS,
                               TODAY, _words)

    async def member() -> Any:
        return await member_year(sessions, 2, YEAR, await overseen(sessions, None, None),
                                 TARGETS, TODAY)

    builds: dict[str, Build] = {label: functools.partial(view, period, org)
                                for label, (period, org) in DASHBOARD_VIEWS.items()}
    builds["member"] = member
    postgres = database_url.startswith("postgresql")
    here = {label: await _median_of_three(build, set(), postgres)
            for label, build in builds.items()}
    if postgres:  # the fill gave members their ids: the next id is past the last of them
        async with sessions.begin() as db:
            await db.execute(text("SELECT setval(pg_get_serial_sequence('users', 'id'), "
                                  "(SELECT max(id) FROM users))"))
    await ensure_user(sessions, "bench-admin", "bench-password-1", "admin")
    served: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="redhall-dashboard-") as folder:
        async with (redhall_serve(database_url, Path(folder) / "data") as url,
                    aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client):
            server = _children()
            async with client.post(f"{url}/api/auth/login", json={
                    "username": "bench-admin", "password": "bench-password-1"}) as login:
                assert login.status == 200, await login.text()

            async def get(path: str) -> None:
                async with client.get(f"{url}{path}") as answer:
                    assert answer.status == 200, await answer.text()
                    await answer.read()

            paths = {label: f"/api/dashboard?period={period}" + (f"&org={org}" if org else "")
                     for label, (period, org) in DASHBOARD_VIEWS.items()}
            paths["member"] = f"/api/dashboard/members/2?period={YEAR}"
            await get(paths["year"])  # the server's first answer warms its connections
            for label, path in paths.items():
                served[label] = await _median_of_three(functools.partial(get, path), server,
                                                       postgres)
    return {"in_process": here, "http": served}


async def measure(name: str, database_url: str, args: argparse.Namespace) -> dict[str, Any]:
    engine = create_async_engine(database_url)
    if engine.dialect.name == "sqlite":  # as the server configures its connections
        event.listen(engine.sync_engine, "connect", pragmas)
    await upgrade(engine)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    print(f"[{name}] storing {args.members:,} members, {args.facts:,} facts, "
          f"{args.awards:,} awards …", flush=True)
    started = time.perf_counter()
    if args.filled:
        print(f"[{name}] … already stored there by an earlier run (--filled)", flush=True)
        result: dict[str, Any] = {"filled_earlier": True}
    else:
        await fill(engine, sessions, args)
        result = {"fill_seconds": round(time.perf_counter() - started, 1)}
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
    load = os.getloadavg()[0]
    result["dashboard"] = await measure_dashboard(sessions, database_url)
    # the machine's load (1-minute average) before and after: wall times mean little on a
    # machine busy with other work; CPU seconds mean more
    result["dashboard"]["load_average"] = [round(load, 2), round(os.getloadavg()[0], 2)]
    print(f"[{name}] dashboard: {result['dashboard']}", flush=True)
    await engine.dispose()
    return result


async def main(args: argparse.Namespace) -> None:
    results: dict[str, Any] = {"command": "bench/reports/run " + " ".join(
        f"--{k} {v}" for k, v in vars(args).items() if k not in ("databases", "filled"))}
    if args.filled:  # databases kept from an earlier fill with the same arguments
        for url in args.filled:
            name = "postgresql" if url.startswith("postgresql") else "sqlite"
            results[name] = await measure(name, url, args)
    else:
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
    parser.add_argument("--filled", nargs="+", metavar="URL", default=[],
                        help="measure these databases, filled by an earlier run (with the "
                             "same numbers), instead of filling new ones (the fill takes "
                             "minutes)")
    asyncio.run(main(parser.parse_args()))
