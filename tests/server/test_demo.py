"""`redhall demo`'s set-up: accounts, published samples, a live server answering."""

import socket
from pathlib import Path

import aiohttp

from server.demo import ACCOUNTS, DEMO_PASSWORD, prepare
from server.settings import Settings
from tests.server.conftest import KEY
from tools.build import BuildResult


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_demo_publishes_the_samples_and_logs_everyone_in(
        samples: dict[str, BuildResult], key_files: tuple[Path, Path], tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/demo.db",
                        data_dir=tmp_path / "data", port=_free_port(), encryption_key=KEY,
                        trusted_keys=[key_files[1]])
    packages = [r.path for r in samples.values()]
    runner, info = await prepare(settings, packages)
    try:
        assert sorted(info.packages) == ["founding 1.0.0", "long-march 1.0.0"]
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(info.url, cookie_jar=jar) as client:
            assert (await client.get("/healthz")).status == 200
            for username, _, _, _ in ACCOUNTS:
                login = await client.post("/api/auth/login",
                                          json={"username": username, "password": DEMO_PASSWORD})
                assert login.status == 200, username
            listing = await (await client.get("/api/exhibits")).json()
            assert {e["id"] for e in listing} == {"founding", "long-march"}
            await client.post("/api/auth/login", json={"username": "member-1",
                                                       "password": DEMO_PASSWORD})
            (tour,) = await (await client.get("/api/tours")).json()
            assert tour["exhibit_id"] == "founding" and tour["capacity"] == 30
    finally:
        await runner.cleanup()
    again, info = await prepare(settings, packages)  # running the demo twice is fine
    await again.cleanup()
    assert sorted(info.packages) == ["founding 1.0.0", "long-march 1.0.0"]
