"""The OpenAPI description covers every route, and a schemathesis run finds no 5xx."""

import asyncio
import re
import shutil
import socket
import sys
from pathlib import Path

import aiohttp
from aiohttp import web

from server.app import create_app
from server.bootstrap import ensure_org, ensure_user
from server.keys import SESSIONS
from server.openapi import OPERATIONS
from server.settings import Settings
from tests.server.conftest import KEY, PASSWORD, World

# the machine-readable interface; the rest are the portal's pages and their static files,
# which the role matrix covers
MACHINE = ("/api/", "/xapi/", "/calendar/", "/healthz", "/metrics")


async def test_the_description_covers_every_route(world: World) -> None:
    served = {(r.method.lower(), re.sub(r"\{(\w+)(:[^}]*)?\}", r"{\1}", r.resource.canonical))
              for r in world.client.server.app.router.routes()
              if r.method != "HEAD" and r.resource is not None
              and r.resource.canonical.startswith(MACHINE)}
    described = {(op.method, op.path) for op in OPERATIONS}
    described |= {("get", "/api/openapi.json"), ("get", "/api/docs")}
    assert served == described
    spec = await (await world.client.get("/api/openapi.json")).json()
    assert spec["openapi"].startswith("3.") and "/api/tours" in spec["paths"]
    page = await world.client.get("/api/docs")
    assert page.status == 200 and "/api/tours" in await page.text()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_schemathesis_finds_no_server_errors(database_url: str, tmp_path: Path) -> None:
    port = _free_port()
    settings = Settings(database_url=database_url, data_dir=tmp_path / "data",
                        encryption_key=KEY, port=port)
    app = create_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        committee = await ensure_org(app[SESSIONS], "党委", "committee")
        await ensure_org(app[SESSIONS], "支部", "branch", committee)
        await ensure_user(app[SESSIONS], "admin", PASSWORD, "admin", committee)
        url = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession(url, cookie_jar=aiohttp.CookieJar(unsafe=True)) as c:
            await c.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
            token = (await (await c.post("/api/auth/tokens", json={})).json())["token"]
        executable = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
        assert executable, "scripts/setup installs schemathesis"
        process = await asyncio.create_subprocess_exec(
            executable, "run", f"{url}/api/openapi.json", "--checks", "not_a_server_error",
            "--max-examples", "15", "-H", f"Authorization: Bearer {token}",
            "--exclude-path", "/api/auth/logout", "--request-timeout", "20",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=600)
        text = output.decode(errors="replace")
        assert process.returncode == 0, text[-4000:]
    finally:
        await runner.cleanup()
