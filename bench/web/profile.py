"""What one page request asks of the database: the pooled connections it checks out (one a
session), each statement with its time, and on PostgreSQL each statement's plan
(``EXPLAIN (ANALYZE, BUFFERS)``), for a population :mod:`bench.web.population` stored.

    python -m bench.web.profile --database-url postgresql+asyncpg://root@127.0.0.1/db \\
        --username m1 --path /me --times 3

The server runs in this process (:func:`server.app.create_app`) on a scratch data folder;
the last of ``--times`` requests is the one whose statements are shown (the earlier ones
warm its caches); the median time is of all but the first.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import event

from bench.web import population
from server.app import create_app
from server.keys import ENGINE
from server.settings import Settings


async def profile(args: argparse.Namespace) -> None:
    settings = Settings(database_url=args.database_url,
                        data_dir=Path(tempfile.mkdtemp(prefix="redhall-profile-")),
                        login_attempts_per_minute=100_000)
    client = TestClient(TestServer(create_app(settings)))
    await client.start_server()
    try:
        answer = await client.post("/api/auth/login", json={
            "username": args.username, "password": population.PASSWORD})
        assert answer.status == 200, await answer.text()
        engine = client.app[ENGINE]
        statements: list[tuple[str, Any, float]] = []
        checkouts = [0]

        def before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                   executemany: bool) -> None:
            conn.info["started"] = time.perf_counter()

        def after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                  executemany: bool) -> None:
            statements.append((statement, parameters,
                               time.perf_counter() - conn.info.pop("started")))

        def checkout(*_: Any) -> None:
            checkouts[0] += 1

        took: list[float] = []
        for request in range(args.times):
            statements.clear()
            checkouts[0] = 0
            if request == args.times - 1:
                event.listen(engine.sync_engine, "before_cursor_execute", before)
                event.listen(engine.sync_engine, "after_cursor_execute", after)
                event.listen(engine.sync_engine.pool, "checkout", checkout)
            started = time.perf_counter()
            answer = await client.get(args.path, allow_redirects=False)
            body = await answer.read()
            took.append(time.perf_counter() - started)
        event.remove(engine.sync_engine, "before_cursor_execute", before)
        event.remove(engine.sync_engine, "after_cursor_execute", after)
        event.remove(engine.sync_engine.pool, "checkout", checkout)
        print(f"{args.path}: {answer.status}, {len(body)} bytes; {len(took)} requests, the "
              f"first {took[0] * 1000:.1f} ms, median of the rest "
              f"{statistics.median(took[1:] or took) * 1000:.1f} ms; the last: "
              f"{checkouts[0]} connection checkout(s), {len(statements)} statement(s), "
              f"{sum(s[2] for s in statements) * 1000:.1f} ms in them")
        for number, (statement, parameters, seconds) in enumerate(statements, 1):
            print(f"\n#{number} {seconds * 1000:.2f} ms  {' '.join(statement.split())}\n"
                  f"   parameters: {parameters}")
            if engine.dialect.name == "postgresql" and args.explain and \
                    statement.lstrip().upper().startswith("SELECT"):
                async with engine.connect() as connection:
                    plan = await connection.exec_driver_sql(
                        "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                    print("\n".join("   | " + row[0] for row in plan))
                    await connection.rollback()
    finally:
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--username", default="m1", help="a member given the bench password")
    parser.add_argument("--path", default="/me")
    parser.add_argument("--times", type=int, default=3)
    parser.add_argument("--no-explain", dest="explain", action="store_false")
    asyncio.run(profile(parser.parse_args()))


if __name__ == "__main__":
    main()
