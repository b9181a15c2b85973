"""`redhall demo`: the sample exhibits served on SQLite with demo accounts, ready to click."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import aiohttp
from aiohttp import web

from protocol.errors import RedhallError
from server.app import create_app
from server.bootstrap import ensure_org, ensure_user
from server.keys import SESSIONS
from server.settings import Settings

DEMO_PASSWORD = "redhall-demo"
ACCOUNTS = [  # username, display name, role, branch (None = committee level)
    ("admin", "系统管理员", "admin", None),
    ("editor", "内容编辑", "editor", None),
    ("guide-1", "第一支部书记", "guide", 1),
    ("guide-2", "第二支部书记", "guide", 2),
    ("member-1", "党员甲", "member", 1),
    ("member-2", "党员乙", "member", 1),
    ("member-3", "党员丙", "member", 2),
]


class DemoFailed(RedhallError):
    """The demo could not publish the sample exhibits."""


@dataclass
class DemoInfo:
    url: str
    packages: list[str]


async def prepare(settings: Settings, packages: list[Path]) -> tuple[web.AppRunner, DemoInfo]:
    """Start the server, create the demo accounts, upload and publish ``packages``."""
    app = create_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    sessions = app[SESSIONS]
    committee = await ensure_org(sessions, "示范单位机关党委", "committee")
    branches = {1: await ensure_org(sessions, "第一党支部", "branch", committee),
                2: await ensure_org(sessions, "第二党支部", "branch", committee)}
    for username, name, role, branch in ACCOUNTS:
        await ensure_user(sessions, username, DEMO_PASSWORD, role,
                          branches[branch] if branch else committee, name)
    url = f"http://{settings.host}:{settings.port}"
    published = []
    # unsafe=True: the jar must keep cookies from an IP-address host such as 127.0.0.1.
    async with aiohttp.ClientSession(url, cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
        login = await client.post("/api/auth/login", json={"username": "editor",
                                                           "password": DEMO_PASSWORD})
        login.raise_for_status()
        for package in packages:
            upload = await client.post("/api/exhibits", data=io.BytesIO(package.read_bytes()))
            if upload.status not in (200, 201):
                raise DemoFailed(f"uploading {package.name} failed: {await upload.text()}")
            info = await upload.json()
            publish = await client.post(f"/api/exhibits/{info['id']}/{info['version']}/publish")
            publish.raise_for_status()
            published.append(f"{info['id']} {info['version']}")
        await _schedule_tour(url, branches[1])
    return runner, DemoInfo(url, published)


async def _schedule_tour(url: str, branch: int) -> None:
    """A themed party day tour for branch 1, tomorrow at 14:00 Beijing time (once)."""
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(url, cookie_jar=jar) as guide:
        login = await guide.post("/api/auth/login", json={"username": "guide-1",
                                                          "password": DEMO_PASSWORD})
        login.raise_for_status()
        title = "主题党日：开天辟地——走进中共一大会址与南湖红船"
        tours = await (await guide.get("/api/tours")).json()
        if any(t["title"] == title and not t["cancelled"] for t in tours):
            return
        beijing = timezone(timedelta(hours=8))
        tomorrow = datetime.now(beijing).date() + timedelta(days=1)
        start = datetime.combine(tomorrow, time(14, 0), beijing)
        made = await guide.post("/api/tours", json={
            "exhibit_id": "founding", "version": "1.0.0", "title": title,
            "starts_at": start.isoformat(), "duration_minutes": 60, "capacity": 30,
            "branches": [branch]})
        if made.status != 201:
            raise DemoFailed(f"scheduling the demo tour failed: {await made.text()}")


async def serve_forever(runner: web.AppRunner) -> None:
    try:
        await asyncio.Event().wait()  # until cancelled
    finally:
        await runner.cleanup()
