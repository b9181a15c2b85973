"""`redhall serve --workers N`: several processes on one port and one database."""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from bench.serving import free_port, wait_until_serving
from server.lrs.clients import create_client
from tests.server.conftest import KEY

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


def _environment(database_url: str, tmp_path: Path, port: int,
                 redis_url: str | None) -> dict[str, str]:
    env = {**os.environ, "REDHALL_DATABASE_URL": database_url,
           "REDHALL_DATA_DIR": str(tmp_path / "data"), "REDHALL_ENCRYPTION_KEY": KEY,
           "REDHALL_PORT": str(port)}
    env.pop("REDHALL_REDIS_URL", None)
    if redis_url:
        env["REDHALL_REDIS_URL"] = redis_url
        env["REDHALL_REDIS_PREFIX"] = f"workers-{uuid.uuid4().hex[:8]}"
    return env


async def _answering_pids(url: str, expected: set[int]) -> set[int]:
    """The worker pids that answer requests, each on a new connection, until all of
    ``expected`` have (a worker may still be starting), or 30 s have passed."""
    pids: set[int] = set()
    deadline = time.monotonic() + 30
    while pids != expected and time.monotonic() < deadline:
        async with aiohttp.ClientSession() as http, http.get(f"{url}/healthz") as reply:
            pids.add((await reply.json())["pid"])
    return pids


def _children(pid: int) -> set[int]:
    """The worker processes of the supervisor ``pid``."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if int(fields[1]) == pid and b"spawn_main" in command:
                found.add(int(entry.name))
    return found


@pytest.fixture
async def two_workers(database_url: str, redis_url: str, tmp_path: Path
                      ) -> AsyncIterator[tuple[str, subprocess.Popen[bytes], dict[str, str]]]:
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "redhall", "serve", "--workers", "2"],
                               env=_environment(database_url, tmp_path, port, redis_url),
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        await wait_until_serving(url, 60)
        engine = create_async_engine(database_url)
        key, secret = await create_client(async_sessionmaker(engine), "workers",
                                          ("write", "read"))
        await engine.dispose()
        basic = base64.b64encode(f"{key}:{secret}".encode()).decode()
        yield url, process, {"Authorization": f"Basic {basic}",
                             "X-Experience-API-Version": "1.0.3"}
    except BaseException:
        print((tmp_path / "serve.log").read_text(errors="replace")[-4000:])
        raise
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()


def _statements(count: int) -> list[dict[str, Any]]:
    return [{"id": str(uuid.uuid4()), "actor": {"mbox": "mailto:workers@example.com"},
             "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
             "object": {"id": f"http://example.com/workers/{uuid.uuid4()}"}}
            for _ in range(count)]


@BOTH
async def test_two_workers_share_the_port_and_the_statements(
        two_workers: tuple[str, subprocess.Popen[bytes], dict[str, str]]) -> None:
    url, process, headers = two_workers
    workers = _children(process.pid)
    assert len(workers) == 2
    assert await _answering_pids(url, workers) == workers  # the kernel spreads connections

    batches = [_statements(20) for _ in range(16)]

    async def post(batch: list[dict[str, Any]]) -> list[str]:
        async with aiohttp.ClientSession() as http, http.post(
                f"{url}/xapi/statements", json=batch, headers=headers) as reply:
            assert reply.status == 200, await reply.text()
            return list(await reply.json())

    stored = await asyncio.gather(*(post(b) for b in batches))
    assert sorted(i for ids in stored for i in ids) == sorted(
        s["id"] for b in batches for s in b)
    async with aiohttp.ClientSession() as http:
        found: list[dict[str, Any]] = []
        path = "/xapi/statements?" + "agent=" + '{"mbox":"mailto:workers@example.com"}'
        while path:
            async with http.get(f"{url}{path}", headers=headers) as reply:
                page = await reply.json()
                through = reply.headers["X-Experience-API-Consistent-Through"]
            found += page["statements"]
            path = page["more"]
    assert sorted(s["id"] for s in found) == sorted(s["id"] for b in batches for s in b)
    # every worker's statements were committed before the header's time
    assert max(s["stored"] for s in found) <= through


@BOTH
async def test_a_worker_that_dies_is_started_again_and_sigterm_stops_them_all(
        two_workers: tuple[str, subprocess.Popen[bytes], dict[str, str]]) -> None:
    from server.workers import CRASH_LOOP_SECONDS

    url, process, _ = two_workers
    first = _children(process.pid)
    await asyncio.sleep(CRASH_LOOP_SECONDS + 0.5)  # past the crash-loop window
    dead = min(first)
    os.kill(dead, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while len(now := _children(process.pid) - {dead}) < 2:
        assert time.monotonic() < deadline, "the dead worker was not started again"
        await asyncio.sleep(0.2)
    assert await _answering_pids(url, now) == now
    process.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(process.wait, 90) == 0
    assert not any(Path(f"/proc/{pid}").exists() for pid in now)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("workers", "redis", "expected"), [
    (2, False, "REDHALL_REDIS_URL"),
    (0, True, "at least 1"),
])
def test_workers_that_cannot_share_are_refused(
        database_url: str, redis_url: str, tmp_path: Path, workers: int, redis: bool,
        expected: str) -> None:
    done = subprocess.run([sys.executable, "-m", "redhall", "serve", "--workers", str(workers)],
                          env=_environment(database_url, tmp_path, free_port(),
                                           redis_url if redis else None),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert expected in done.stderr


def test_an_in_memory_database_is_refused(redis_url: str, tmp_path: Path) -> None:
    from server.settings import Settings
    from server.workers import WorkersRefused, check

    settings = Settings(database_url="sqlite+aiosqlite:///:memory:", redis_url=redis_url)
    with pytest.raises(WorkersRefused, match="in-memory"):
        check(settings, 2)
