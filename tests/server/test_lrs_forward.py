"""Forwarding to an external LRS: a second running instance of this server plays the
organisation's LRS; statements reach it once it is up, after retries, and none twice."""

from __future__ import annotations

import asyncio
import base64
import socket
import uuid
from pathlib import Path

import aiohttp
from aiohttp import web
from pydantic import SecretStr
from sqlalchemy import select

from server.app import create_app
from server.db.models import ForwardItem
from server.keys import SESSIONS
from server.lrs.clients import create_client
from server.settings import Settings
from tests.server.conftest import KEY

V1 = {"X-Experience-API-Version": "1.0.3"}


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _start(app: web.Application, port: int) -> web.AppRunner:
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


def _basic(key: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode(),
            **V1}


def _statement(n: int) -> dict:
    return {"id": str(uuid.uuid4()), "actor": {"mbox": f"mailto:m{n}@example.com"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
            "object": {"id": f"http://example.com/scene/{n}"}}


async def test_statements_reach_the_external_lrs_after_it_comes_up(tmp_path: Path) -> None:
    external_port, primary_port = _port(), _port()
    primary = create_app(Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/primary.db", data_dir=tmp_path / "p",
        encryption_key=KEY, xapi_forward_url=f"http://127.0.0.1:{external_port}/xapi/statements",
        xapi_forward_key="forwarder", xapi_forward_secret=SecretStr("s" * 40),
        xapi_forward_retry_seconds=0.2, xapi_forward_poll_seconds=0.1))
    external = create_app(Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/external.db", data_dir=tmp_path / "e",
        encryption_key=KEY))
    primary_runner = await _start(primary, primary_port)
    external_runner = None
    try:
        key, secret = await create_client(primary[SESSIONS], "engine", ("write", "read"))
        sent = [_statement(n) for n in range(5)]
        async with aiohttp.ClientSession(f"http://127.0.0.1:{primary_port}") as http:
            for statement in sent:
                reply = await http.post("/xapi/statements", json=statement,
                                        headers=_basic(key, secret))
                assert reply.status == 200, await reply.text()
        await asyncio.sleep(1.0)  # the external LRS is down: the statements wait and retry
        async with primary[SESSIONS]() as db:
            waiting = (await db.scalars(select(ForwardItem))).all()
        assert len(waiting) == 5 and all(item.attempts >= 2 for item in waiting)
        assert waiting[0].last_error  # why it failed is kept for the operator
        external_runner = await _start(external, external_port)
        await create_client(external[SESSIONS], "RedHall primary", ("write", "read"),
                            key="forwarder", secret="s" * 40)
        reader = await create_client(external[SESSIONS], "auditor", ("read",))
        async with aiohttp.ClientSession(f"http://127.0.0.1:{external_port}") as http:
            received: list[dict] = []
            for _ in range(100):
                reply = await http.get("/xapi/statements?ascending=true",
                                       headers=_basic(*reader))
                received = (await reply.json())["statements"]
                if len(received) == 5:
                    break
                await asyncio.sleep(0.2)
        assert [s["id"] for s in received] == [s["id"] for s in sent]
        assert received[0]["actor"] == sent[0]["actor"]
        assert received[0]["authority"]["account"]["name"] == "forwarder"
        async with primary[SESSIONS]() as db:
            assert (await db.scalars(select(ForwardItem))).all() == []
    finally:
        await primary_runner.cleanup()
        if external_runner is not None:
            await external_runner.cleanup()
