"""Statement ingest rate and GET latency of the LRS at a million stored statements.

For each database: the store is filled to ``--stored`` statements straight through the
store's own insert path (the same rows and indexes a POST makes), then `redhall serve`
runs pinned to core 0 while clients on core 1 (1) GET with agent + verb filters and
follow ``more`` for two further pages, one request at a time, and (2) POST batches of 50
new statements from ``--writers`` connections for ``--seconds``; then the POSTs again
(3) with the server free to use both cores, and (4) with `redhall serve --workers 2`
(two processes, on both cores). Writes bench/results/credits.json.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import random
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from bench.databases import DATABASES, on_each, write_results
from bench.serving import free_port, wait_until_serving
from server.db.migrate import upgrade
from server.db.sqlite import sqlite_file
from server.lrs.clients import create_client
from server.lrs.in_flight import stored_now
from server.lrs.store import Writer, insert_statements

ROOT = Path(__file__).resolve().parents[2]
REDIS = "redis://127.0.0.1:6379/0"
AGENTS, ACTIVITIES = 20_000, 2_000
VERBS = [f"http://adlnet.gov/expapi/verbs/{v}" for v in (
    "attended", "experienced", "interacted", "answered", "completed", "passed", "initialized",
    "terminated")]
SITE = "http://bench.example"


def statement(rng: random.Random) -> dict[str, Any]:
    agent = rng.randrange(AGENTS)
    return {"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "actor": {"objectType": "Agent", "account": {"homePage": SITE, "name": str(agent)}},
            "verb": {"id": rng.choice(VERBS)},
            "object": {"objectType": "Activity",
                       "id": f"{SITE}/activities/{rng.randrange(ACTIVITIES)}"},
            "context": {"registration": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                        "contextActivities": {"grouping": [{"id": f"{SITE}/exhibits/1"}]}},
            "result": {"duration": "PT42S"},
            "timestamp": "2026-05-01T09:30:00.000Z"}


async def fill(database_url: str, count: int) -> float:
    engine = create_async_engine(database_url)
    await upgrade(engine)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    rng = random.Random(1)
    writer = Writer(None, {"objectType": "Agent", "account": {"homePage": SITE, "name": "fill"}})
    started = time.perf_counter()
    for done in range(0, count, 5000):
        batch = [statement(rng) for _ in range(min(5000, count - done))]
        stored_at, stored_text = stored_now()
        async with sessions.begin() as db:
            await insert_statements(db, batch, writer, stored_at, stored_text, False)
    elapsed = time.perf_counter() - started
    async with engine.begin() as connection:  # as autovacuum would after a bulk load
        await connection.execute(text("ANALYZE"))
    await engine.dispose()
    os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    return elapsed


def _basic(key: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode(),
            "X-Experience-API-Version": "1.0.3"}


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process and its worker processes have used so far."""
    own = _stat(pid)
    workers = [entry.name for entry in Path("/proc").iterdir() if entry.name.isdigit()]
    total = int(own[11]) + int(own[12])
    for child in workers:
        with contextlib.suppress(OSError, IndexError):
            fields = _stat(int(child))
            if int(fields[1]) == pid:
                total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


async def ingest(url: str, headers: dict[str, str], writers: int, seconds: float,
                 server_pid: int, seed: int) -> dict[str, float]:
    """POSTs new statements (each ``seed`` makes different ones: a repeat would only be
    compared, not stored) from ``writers`` connections for ``seconds``."""
    rng = random.Random(seed)
    bodies = [json.dumps([statement(rng) for _ in range(50)]).encode()
              for _ in range(int(seconds * 200))]  # 10,000 statements/s at most
    latencies: list[float] = []
    sent, failed = 0, 0
    post_headers = {**headers, "Content-Type": "application/json"}

    async def one_writer(http: aiohttp.ClientSession) -> None:
        nonlocal sent, failed
        while time.perf_counter() < deadline and bodies:
            body = bodies.pop()
            began = time.perf_counter()
            async with http.post("/xapi/statements", data=body, headers=post_headers) as r:
                await r.read()
                if r.status == 200:
                    sent += 50
                else:
                    failed += 1
            latencies.append(time.perf_counter() - began)

    started, server_cpu, own_cpu = time.perf_counter(), cpu_seconds(server_pid), time.process_time()
    deadline = started + seconds
    async with aiohttp.ClientSession(url) as http:
        await asyncio.gather(*(one_writer(http) for _ in range(writers)))
    elapsed = time.perf_counter() - started
    server_busy = (cpu_seconds(server_pid) - server_cpu) / elapsed
    clients_busy = (time.process_time() - own_cpu) / elapsed
    latencies.sort()
    return {"statements_per_s": round(sent / elapsed, 1), "sent": sent,
            "batches": len(latencies),
            "failed_batches": failed,
            "batch_p50_ms": round(statistics.median(latencies) * 1000, 1),
            "batch_p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 1),
            # shares of one core: the server's is what the rate cost, the clients' shows
            # they were not the limit
            "server_core_busy": round(server_busy, 2), "clients_core_busy": round(clients_busy, 2)}


async def queries(url: str, headers: dict[str, str], requests: int) -> dict[str, float]:
    rng = random.Random(3)
    latencies, returned = [], 0
    async with aiohttp.ClientSession(url) as http:
        for _ in range(requests // 3):
            agent = json.dumps({"objectType": "Agent",
                                "account": {"homePage": SITE, "name": str(rng.randrange(AGENTS))}})
            path = "/xapi/statements?" + urlencode(
                {"agent": agent, "verb": rng.choice(VERBS), "limit": "2"})
            for _page in range(3):  # the first page and two more by `more`
                began = time.perf_counter()
                async with http.get(path, headers=headers) as r:
                    page = await r.json()
                    assert r.status == 200, page
                latencies.append(time.perf_counter() - began)
                returned += len(page["statements"])
                if not page["more"]:
                    break
                path = page["more"]
    latencies.sort()
    return {"requests": len(latencies), "statements_returned": returned,
            "p50_ms": round(statistics.median(latencies) * 1000, 2),
            "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 2)}


async def statement_count(database_url: str) -> int:
    engine = create_async_engine(database_url)
    async with engine.connect() as connection:
        count = (await connection.execute(text("SELECT count(*) FROM statements"))).scalar()
    await engine.dispose()
    return int(count or 0)


@contextlib.contextmanager
def largest_log(database_url: str) -> Iterator[list[int]]:
    """Samples of a SQLite database's write-ahead log size (bytes) while the block runs,
    taken by a thread every 0.2 s; empty for other databases."""
    path = sqlite_file(database_url)
    sizes: list[int] = []
    done = threading.Event()

    def sample() -> None:
        while path and not done.wait(0.2):
            with contextlib.suppress(FileNotFoundError):
                sizes.append(os.path.getsize(f"{path}-wal"))

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield sizes
    finally:
        done.set()
        thread.join()


@contextlib.asynccontextmanager
async def serving(database_url: str, folder: Path, cores: str,
                  workers: int = 1) -> AsyncIterator[tuple[str, int]]:
    """`redhall serve --workers ``workers``` on the database, pinned to ``cores``: its URL
    and process id (several workers share live tours through the Redis on this machine)."""
    port = free_port()
    env = {**os.environ, "REDHALL_DATABASE_URL": database_url,
           "REDHALL_DATA_DIR": str(folder / "data"), "REDHALL_ENCRYPTION_KEY":
           base64.b64encode(b"b" * 32).decode(), "REDHALL_REDIS_URL": REDIS,
           "REDHALL_REDIS_PREFIX": f"bench-credits-{port}"}
    server = subprocess.Popen(["taskset", "-c", cores, str(ROOT / ".venv/bin/redhall"), "serve",
                               "--port", str(port), "--workers", str(workers)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        await wait_until_serving(url, 60)
        await asyncio.sleep(3 if workers > 1 else 0)  # the first worker answers first
        yield url, server.pid
    finally:
        server.terminate()
        server.wait(30)


async def measure(name: str, database_url: str, args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="redhall-credits-"))
    print(f"[{name}] filling {args.stored:,} statements …", flush=True)
    fill_seconds = await fill(database_url, args.stored)
    engine = create_async_engine(database_url)
    key, secret = await create_client(async_sessionmaker(engine), "bench", ("write", "read"))
    await engine.dispose()
    headers = _basic(key, secret)
    os.sched_setaffinity(0, {1})  # the clients stay off the server's core

    async def ingest_on(cores: str, seed: int, workers: int = 1) -> dict[str, Any]:
        """One ingest run; its figures only once the database shows that every statement
        it counted was stored anew (a repeat is only compared, and would flatter the rate)."""
        os.sync()  # earlier pages are written back now, not during the run
        before = await statement_count(database_url)
        async with serving(database_url, folder, cores, workers) as (url, pid):
            print(f"[{name}] ingesting for {args.seconds} s, {workers} server process(es) "
                  f"on cores {cores} …", flush=True)
            with largest_log(database_url) as log:
                figures = await ingest(url, headers, args.writers, args.seconds, pid, seed)
            if log:
                figures["sqlite_log_peak_mib"] = round(max(log) / 2**20, 1)
        added = await statement_count(database_url) - before
        if added != figures["sent"]:
            raise SystemExit(f"the ingest run counted {figures['sent']} statements but the "
                             f"database gained {added}")
        return figures

    async with serving(database_url, folder, "0") as (url, _pid):
        print(f"[{name}] querying …", flush=True)
        got = await queries(url, headers, args.requests)
    put = await ingest_on("0", seed=2)
    # the same with the server free to use both cores (the clients need ~5 % of one)
    both = await ingest_on("0,1", seed=4)
    # two server processes (`redhall serve --workers 2`): Python runs on both cores
    workers = await ingest_on("0,1", seed=6, workers=2)
    result = {"stored": args.stored, "fill_seconds": round(fill_seconds, 1),
              "ingest": put, "ingest_server_on_both_cores": both,
              "ingest_two_workers": workers, "get": got,
              "ingest_ratio_to_goal": round(put["statements_per_s"] / 5000, 3),
              "ingest_both_cores_ratio_to_goal": round(both["statements_per_s"] / 5000, 3),
              "ingest_two_workers_ratio_to_goal": round(workers["statements_per_s"] / 5000, 3),
              "get_p99_ratio_to_goal": round(got["p99_ms"] / 50, 3)}
    print(f"[{name}] {json.dumps(result)}", flush=True)
    return result


async def main(args: argparse.Namespace) -> None:
    results: dict[str, Any] = {"command": "bench/credits/run " + " ".join(
        f"--{k} {v}" for k, v in vars(args).items() if k != "databases"),
        "goal": {"ingest_statements_per_s": 5000, "get_p99_ms": 50}}
    results |= await on_each(args.databases, "credits",
                             lambda name, url: measure(name, url, args))
    write_results(ROOT / "bench/results/credits.json", results)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stored", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--databases", nargs="+", choices=DATABASES, default=list(DATABASES))
    asyncio.run(main(parser.parse_args()))
