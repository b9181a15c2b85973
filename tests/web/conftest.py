"""The portal in a real browser: a real server (SQLite or PostgreSQL) on a loopback port,
seeded like a small party committee with the sample exhibits published and a tour
scheduled, and Debian's Chromium driven by Playwright.

Every page a test opens goes through :func:`look`: it saves the page's screenshot under
``var/screenshots/web/`` (look at them), runs axe-core in the page (no serious or critical
violation), and the page's own log must show no error (a CSP refusal is one). Each page
also checks that nothing was loaded from another origin."""

from __future__ import annotations

import asyncio
import io
import re
import threading
import uuid
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from server.app import create_app
from server.bootstrap import ensure_org, ensure_user
from server.keys import SESSIONS
from server.settings import Settings
from tests.server.conftest import KEY, PASSWORD, postgres  # noqa: F401
from tools.build import BuildResult

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots" / "web"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1920, "height": 1080}
LAPTOP = {"width": 1280, "height": 720}
_T = TypeVar("_T")

# username: (display name, role, branch key or None for the committee)
PEOPLE = {
    "admin": ("系统管理员", "admin", None),
    "editor": ("内容编辑", "editor", None),
    "guide-a": ("第一支部书记", "guide", "a"),
    "member-a": ("党员甲", "member", "a"),
    "member-a2": ("党员乙", "member", "a"),
    "member-b": ("党员丙", "member", "b"),
}


class ServerThread:
    """An aiohttp app served on a loopback port from a thread of its own, so the tests
    (and Playwright's synchronous API) stay synchronous; :meth:`call` runs a coroutine on
    the server's loop."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._serve, name="portal server", daemon=True)
        self.port = 0
        self.runner: web.AppRunner | None = None
        self.thread.start()
        if not self.ready.wait(60):
            raise RuntimeError("the portal server did not start")

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._start())
        self.ready.set()
        self.loop.run_forever()
        # closed here, in its own thread: its sockets close now rather than at a later GC
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()

    async def _start(self) -> None:
        self.runner = web.AppRunner(self.app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def call(self, coroutine: Coroutine[Any, Any, _T], timeout: float = 120) -> _T:
        future: Future[_T] = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(timeout)

    def stop(self) -> None:
        if self.runner is not None:
            self.call(self.runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)


@dataclass
class Portal:
    """A running server and what was made in it."""

    server: ServerThread
    url: str
    orgs: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    tour_id: int | None = None

    def call(self, coroutine: Coroutine[Any, Any, _T], timeout: float = 120) -> _T:
        return self.server.call(coroutine, timeout)

    def api(self, who: str, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        """An API request as ``who`` (bearer token); the status and the JSON (or text)."""
        async def go() -> tuple[int, Any]:
            async with aiohttp.ClientSession(self.url) as client:
                headers = {"Authorization": f"Bearer {self.tokens[who]}"}
                async with client.request(method, path, headers=headers, **kwargs) as r:
                    kind = r.headers.get("Content-Type", "")
                    return r.status, (await r.json()) if "json" in kind else await r.text()
        return self.call(go())


async def _seed(portal: Portal, samples: dict[str, BuildResult]) -> None:
    sessions = portal.server.app[SESSIONS]
    committee = await ensure_org(sessions, "机关党委", "committee")
    portal.orgs = {"committee": committee,
                   "a": await ensure_org(sessions, "第一党支部", "branch", committee),
                   "b": await ensure_org(sessions, "第二党支部", "branch", committee)}
    for username, (name, role, branch) in PEOPLE.items():
        portal.users[username] = await ensure_user(
            sessions, username, PASSWORD, role, portal.orgs[branch or "committee"], name)
    async with aiohttp.ClientSession(portal.url) as client:
        for username in PEOPLE:
            login = await client.post("/api/auth/login",
                                      json={"username": username, "password": PASSWORD})
            assert login.status == 200, await login.text()
            made = await client.post("/api/auth/tokens", json={"label": "portal tests"},
                                     cookies=login.cookies)
            portal.tokens[username] = (await made.json())["token"]
        editor = {"Authorization": f"Bearer {portal.tokens['editor']}"}
        for result in samples.values():
            upload = await client.post("/api/exhibits", data=io.BytesIO(result.path.read_bytes()),
                                       headers=editor)
            assert upload.status in (200, 201), await upload.text()
            info = await upload.json()
            published = await client.post(
                f"/api/exhibits/{info['id']}/{info['version']}/publish", headers=editor)
            assert published.status == 200, await published.text()
        start = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
        made = await client.post("/api/tours", headers={
            "Authorization": f"Bearer {portal.tokens['guide-a']}"}, json={
            "exhibit_id": "founding", "version": "1.0.0", "title": "主题党日：开天辟地",
            "starts_at": start.isoformat(), "duration_minutes": 60, "capacity": 30,
            "branches": [portal.orgs["a"]]})
        assert made.status == 201, await made.text()
        portal.tour_id = (await made.json())["id"]


@pytest.fixture(params=["sqlite"])
def web_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The portal's database: SQLite, unless a test asks for both with
    ``@pytest.mark.parametrize("web_db", ["sqlite", "postgresql"], indirect=True)``."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/redhall.db"
        return
    # Playwright's synchronous API keeps an event loop running in this thread
    server = _apart(lambda: request.getfixturevalue("postgres"))
    name = f"redhall_{uuid.uuid4().hex[:12]}"

    async def run(sql: str) -> None:
        connection = await asyncpg.connect(server)
        await connection.execute(sql)
        await connection.close()

    _apart(lambda: asyncio.run(run(f'CREATE DATABASE "{name}"')))
    yield f"postgresql+asyncpg://root@127.0.0.1:5432/{name}"
    _apart(lambda: asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')))


def _apart(work: Callable[[], _T]) -> _T:
    """``work`` run in a thread of its own (where no event loop is running)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


@pytest.fixture
def portal(web_db: str, tmp_path: Path, samples: dict[str, BuildResult],
           key_files: tuple[Path, Path]) -> Iterator[Portal]:
    settings = Settings(database_url=web_db, data_dir=tmp_path / "data",
                        encryption_key=KEY, trusted_keys=[key_files[1]],
                        password_hash_time_cost=1, password_hash_memory_kib=1024)
    server = ServerThread(create_app(settings))
    portal = Portal(server, f"http://127.0.0.1:{server.port}")
    try:
        portal.call(_seed(portal, samples))
        yield portal
    finally:
        server.stop()


# package scope: Playwright's synchronous API keeps an event loop running in this thread
# while it is open, which the asyncio tests elsewhere cannot share, so it closes when the
# browser tests are done
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
    yield chromium
    chromium.close()


@dataclass
class Visit:
    """A browser tab on the portal, and what it has done: each request's URL and the
    page's errors (an uncaught exception, a console error such as a CSP refusal)."""

    portal: Portal
    context: BrowserContext
    page: Page
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def open(self, path: str) -> Page:
        self.page.goto(self.portal.url + path)
        return self.page

    def log_in(self, username: str, password: str = PASSWORD) -> None:
        self.open("/login")
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        self.page.click("button[type=submit].primary")
        self.page.wait_for_load_state()


def _visit(portal: Portal, browser: Browser, viewport: dict[str, int],
           permissions: tuple[str, ...] = ()) -> Iterator[Visit]:
    context = browser.new_context(viewport=viewport, locale="zh-CN",  # type: ignore[arg-type]
                                  device_scale_factor=1,
                                  is_mobile=viewport["width"] < 700,
                                  has_touch=viewport["width"] < 700)
    if permissions:
        context.grant_permissions(list(permissions), origin=portal.url)
    page = context.new_page()
    visit = Visit(portal, context, page)
    page.on("request", lambda request: visit.requests.append(request.url))
    page.on("pageerror", lambda error: visit.errors.append(str(error)))
    page.on("console", lambda message: visit.errors.append(message.text)
            if message.type == "error" else None)
    yield visit
    context.close()


@pytest.fixture
def desktop(portal: Portal, browser: Browser) -> Iterator[Visit]:
    """A tab at 1920×1080."""
    yield from _visit(portal, browser, DESKTOP)


@pytest.fixture
def laptop(portal: Portal, browser: Browser) -> Iterator[Visit]:
    """A tab at 1280×720: the scene tests' window, a laptop's screen (in software, a third
    of a full-HD frame's pixels to draw)."""
    yield from _visit(portal, browser, LAPTOP)


@pytest.fixture
def phone(portal: Portal, browser: Browser) -> Iterator[Visit]:
    """A phone-sized tab (390×844, touch)."""
    yield from _visit(portal, browser, PHONE)


SERIOUS = ("serious", "critical")


def look(visit: Visit, name: str, *, errors_expected: bool = False) -> list[dict[str, Any]]:
    """Checks the page ``visit`` shows and saves its screenshot as ``<name>.png``; returns
    axe-core's violations of every impact (those below serious are allowed)."""
    page = visit.page
    page.wait_for_load_state("networkidle")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)
    page.screenshot(path=str(SCREENSHOTS / f"{safe}.png"), full_page=True)
    page.evaluate(AXE.read_text(encoding="utf-8"))  # evaluated by the driver: CSP allows it
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    violations: list[dict[str, Any]] = result["violations"]
    serious = [f"{v['id']} ({v['impact']}): {v['help']} — "
               f"{[n['target'] for n in v['nodes']][:3]}"
               for v in violations if v["impact"] in SERIOUS]
    assert serious == [], f"{name}: accessibility violations: {serious}"
    foreign = [url for url in visit.requests
               if not url.startswith((visit.portal.url, "data:", "blob:", "about:"))]
    assert foreign == [], f"{name}: loaded from another origin: {foreign}"
    if not errors_expected:
        assert visit.errors == [], f"{name}: errors in the page: {visit.errors}"
    return violations
