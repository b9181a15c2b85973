"""Server fixtures: the app on SQLite and on PostgreSQL (started here if it is down)."""

from __future__ import annotations

import asyncio
import base64
import glob
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from server.app import create_app
from server.bootstrap import ensure_org, ensure_user
from server.keys import SESSIONS
from server.settings import Settings

PG = "postgresql://root@127.0.0.1:5432/test"
KEY = base64.b64encode(b"k" * 32).decode()
PASSWORD = "correct horse battery"


async def _pg_up() -> bool:
    try:
        connection = await asyncpg.connect(PG, timeout=3)
    except (OSError, asyncpg.PostgresError):
        return False
    await connection.close()
    return True


@pytest.fixture(scope="session")
def postgres() -> str:
    """The PostgreSQL server on this machine, started if it is not running."""
    if not asyncio.run(_pg_up()):
        versions = sorted(Path(p).name for p in glob.glob("/etc/postgresql/*"))
        assert versions, "PostgreSQL is not installed (apt-get install postgresql)"
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main",
                        "start"], check=True)
        assert asyncio.run(_pg_up()), "PostgreSQL did not come up"
    return PG


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/redhall.db"
        return
    server = request.getfixturevalue("postgres")
    name = f"redhall_{uuid.uuid4().hex[:12]}"

    async def run(sql: str) -> None:
        connection = await asyncpg.connect(server)
        await connection.execute(sql)
        await connection.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    yield f"postgresql+asyncpg://root@127.0.0.1:5432/{name}"
    asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@dataclass
class World:
    """A running server with a committee, two branches and one account per role."""

    client: TestClient
    committee: int
    branch_a: int
    branch_b: int
    users: dict[str, int]
    tokens: dict[str, str]

    def auth(self, who: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}


@pytest.fixture
async def world(aiohttp_client, database_url: str, tmp_path: Path) -> AsyncIterator[World]:  # type: ignore[no-untyped-def]
    settings = Settings(database_url=database_url, data_dir=tmp_path / "data",
                        encryption_key=KEY)
    client = await aiohttp_client(create_app(settings))
    sessions = client.server.app[SESSIONS]
    committee = await ensure_org(sessions, "机关党委", "committee")
    branch_a = await ensure_org(sessions, "第一党支部", "branch", committee)
    branch_b = await ensure_org(sessions, "第二党支部", "branch", committee)
    users = {
        "admin": await ensure_user(sessions, "admin", PASSWORD, "admin"),
        "editor": await ensure_user(sessions, "editor", PASSWORD, "editor"),
        "guide": await ensure_user(sessions, "guide-a", PASSWORD, "guide", branch_a),
        "member": await ensure_user(sessions, "member-a", PASSWORD, "member", branch_a),
        "member_b": await ensure_user(sessions, "member-b", PASSWORD, "member", branch_b),
    }
    tokens = {}
    for who, _user_id in users.items():
        username = {"guide": "guide-a", "member": "member-a", "member_b": "member-b"}.get(who, who)
        login = await client.post("/api/auth/login", json={"username": username,
                                                           "password": PASSWORD})
        assert login.status == 200, await login.text()
        response = await client.post("/api/auth/tokens", json={"label": "tests"},
                                     cookies=login.cookies)
        tokens[who] = (await response.json())["token"]
    client.session.cookie_jar.clear()  # from here on, requests say who they are explicitly
    yield World(client, committee, branch_a, branch_b, users, tokens)


REDIS = "redis://127.0.0.1:6379/0"


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS, socket_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis server on this machine, started if it is not running."""
    if not _redis_up():
        subprocess.run(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port",
                        "6379", "--save", ""], check=True)
        for _ in range(50):
            if _redis_up():
                break
            time.sleep(0.1)
        assert _redis_up(), "Redis did not come up"
    return REDIS
