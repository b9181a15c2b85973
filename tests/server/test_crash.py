"""Killing the server mid-ingest loses nothing it acknowledged: `redhall serve` takes
statements and qualifying visits from several clients and is killed with SIGKILL; after a
restart every acknowledged statement and fact is there, every batch is whole or absent,
and the credit ledger still verifies."""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from protocol.participation import stored_id
from redhall.cli import main as redhall
from server.db.models import LedgerEntry, ParticipationRecord, StatementRow
from server.demo import DEMO_PASSWORD, prepare
from server.live.loading import outlines
from server.lrs.clients import create_client
from server.settings import Settings
from tests.server.conftest import KEY
from tools.build import BuildResult

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _serve(settings: Settings) -> subprocess.Popen[bytes]:
    env = {**os.environ, "REDHALL_DATABASE_URL": settings.database_url,
           "REDHALL_DATA_DIR": str(settings.data_dir), "REDHALL_ENCRYPTION_KEY": KEY,
           "REDHALL_PORT": str(settings.port)}
    process = subprocess.Popen([sys.executable, "-m", "redhall", "serve"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{settings.port}"
    for _ in range(150):
        try:
            async with aiohttp.ClientSession() as http, http.get(f"{url}/healthz") as reply:
                if reply.status == 200:
                    return process
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    process.kill()
    raise AssertionError("redhall serve did not start")


def _statement() -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "actor": {"mbox": "mailto:crash@example.com"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
            "object": {"id": f"http://example.com/{uuid.uuid4()}"}}


def _visit(scene: str, hotspots: list[str], quiz: dict[str, tuple[int, int]],
           offset: int) -> list[dict[str, Any]]:
    # within the window the server accepts: from 300 days ago, a minute apart
    session, at = str(uuid.uuid4()), time.time() - 300 * 86400 + offset * 60
    common = {"at": at, "session": session, "exhibit": "founding",
              "exhibit_version": "1.0.0", "scene": scene}
    facts = [{"id": str(uuid.uuid4()), "kind": "hotspot_viewed", "hotspot": h,
              "dwell_seconds": 4.0, **common} for h in hotspots]
    facts += [{"id": str(uuid.uuid4()), "kind": "quiz_answered", "item": item,
               "response": answer, "correct": True, **common}
              for item, (_, answer) in quiz.items()]
    facts.append({"id": str(uuid.uuid4()), "kind": "scene_left", "seconds": 900.0, **common})
    return facts


async def test_a_killed_server_keeps_what_it_acknowledged(
        database_url: str, tmp_path: Path, samples: dict[str, BuildResult],
        key_files: tuple[Path, Path]) -> None:
    settings = Settings(database_url=database_url, data_dir=tmp_path / "data",
                        encryption_key=KEY, port=_free_port(), trusted_keys=[key_files[1]])
    runner, _ = await prepare(settings, [samples["founding"].path])
    await runner.cleanup()
    engine = create_async_engine(database_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    key, secret = await create_client(sessions, "crash", ("write", "read"))
    lrs = {"Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode(),
           "X-Experience-API-Version": "1.0.3", "Content-Type": "application/json"}
    from server.catalog_store import PackageStore
    from server.db.models import ExhibitVersion

    async with sessions() as db:
        sha = (await db.scalars(select(ExhibitVersion.sha256))).first()
    scenes, _ = outlines(PackageStore(settings.data_dir), sha)
    url = f"http://127.0.0.1:{settings.port}"
    acknowledged: list[list[str]] = []
    facts_acknowledged: list[str] = []
    process = await _serve(settings)
    try:
        await _load(url, lrs, scenes, acknowledged, facts_acknowledged, process)
    finally:
        process.kill()
        process.wait(10)
    assert len(acknowledged) > 5 and len(facts_acknowledged) > 10
    await _restart_and_check(settings, url, sessions, engine, acknowledged, facts_acknowledged,
                             tmp_path)


async def _load(url: str, lrs: dict[str, str], scenes: dict[str, Any],
                acknowledged: list[list[str]], facts_acknowledged: list[str],
                process: subprocess.Popen[bytes]) -> None:
    async with aiohttp.ClientSession(url, cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        login = await http.post("/api/auth/login", json={"username": "member-1",
                                                         "password": DEMO_PASSWORD})
        assert login.status == 200
        token = (await (await http.post("/api/auth/tokens", json={})).json())["token"]

        async def statements() -> None:
            while True:
                batch = [_statement() for _ in range(20)]
                async with http.post("/xapi/statements", json=batch, headers=lrs) as reply:
                    if reply.status == 200:
                        acknowledged.append(await reply.json())

        async def visits() -> None:
            me = await (await http.get("/api/me", headers={"Authorization": f"Bearer {token}"})
                        ).json()
            for offset in range(1000):
                for scene, outline in sorted(scenes.items()):
                    facts = _visit(scene, sorted(outline.hotspots), outline.quiz, offset)
                    async with http.post("/api/participation", json={"facts": facts},
                                         headers={"Authorization": f"Bearer {token}"}) as r:
                        if r.status == 200:
                            # stored under the member's own id space
                            facts_acknowledged.extend(stored_id(me["id"], f["id"])
                                                      for f in facts)

        workers = [asyncio.ensure_future(statements()) for _ in range(3)]
        workers.append(asyncio.ensure_future(visits()))
        await asyncio.sleep(2.5)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        results = await asyncio.gather(*workers, return_exceptions=True)
    assert all(isinstance(r, aiohttp.ClientError) for r in results), results


async def _restart_and_check(settings: Settings, url: str, sessions: Any, engine: Any,
                             acknowledged: list[list[str]], facts_acknowledged: list[str],
                             tmp_path: Path) -> None:
    database_url = settings.database_url
    process = await _serve(settings)  # restarting replays nothing: it was all committed
    try:
        # awards the kill interrupted
        async with aiohttp.ClientSession(url, cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            login = await http.post("/api/auth/login", json={"username": "admin",
                                                             "password": DEMO_PASSWORD})
            assert login.status == 200
            assert (await http.post("/api/credits/evaluate", json={})).status == 200
        async with sessions() as db:
            stored = set((await db.scalars(select(StatementRow.id))).all())
            facts = set((await db.scalars(select(ParticipationRecord.id))).all())
            awards = len((await db.scalars(select(LedgerEntry.seq))).all())
        for batch in acknowledged:
            assert set(batch) <= stored
        assert set(facts_acknowledged) <= facts and facts <= stored  # each fact a statement
        assert awards >= 1
        config = tmp_path / "settings.toml"
        config.write_text(f'database_url = "{database_url}"\ndata_dir = "{settings.data_dir}"\n',
                          encoding="utf-8")
        assert await asyncio.to_thread(redhall, ["credits", "verify", "--config",
                                                 str(config)]) == 0
    finally:
        process.terminate()
        process.wait(10)
        await engine.dispose()
