"""The browser viewer's first and second visit of each sample scene over loopback, beside
the desktop engine's cold and warm load of the same package.

- first visit: a fresh browser profile logs in and opens the scene; time from the start of
  navigation to the first frame drawn, and every byte received (headers and bodies);
- second visit: the same profile opens it again: entries come from the Cache API, the
  manifest is revalidated (304), the scripts from the HTTP cache;
- engine cold and warm: bench.engine.measure's loads (verify, convert to BAM, build; then
  with the BAM cache filled) of the same package;
- draw calls and triangles of the viewer's first frame at the spawn camera, against the
  standalone-headset budget (150 draw calls, 300k triangles).

Chromium draws with SwiftShader (a CPU rasterizer) here, so the times are upper bounds of
what a headset's GPU gives. Writes bench/results/web_viewer.json.
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import aiohttp
from playwright.sync_api import Browser, sync_playwright

from bench.engine.measure import SCENES, _visit
from server.app import create_app
from server.bootstrap import ensure_org, ensure_user
from server.keys import SESSIONS
from server.settings import Settings
from tests.web.conftest import CHROMIUM, CHROMIUM_FLAGS, ServerThread
from tools.build import build_exhibit
from tools.cache import BuildCache
from tools.keys import keygen, load_private

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results" / "web_viewer.json"
PASSWORD = "benchmark-password-1"
BUDGET = {"calls": 150, "triangles": 300_000}
VIEWPORT = {"width": 1280, "height": 720}


async def _seed(url: str, server: ServerThread, packages: list[Path]) -> None:
    sessions = server.app[SESSIONS]
    org = await ensure_org(sessions, "机关党委", "committee")
    await ensure_user(sessions, "editor", PASSWORD, "editor", org, "编辑")
    await ensure_user(sessions, "member", PASSWORD, "member", org, "党员")
    async with aiohttp.ClientSession(url) as client:
        login = await client.post("/api/auth/login",
                                  json={"username": "editor", "password": PASSWORD})
        made = await client.post("/api/auth/tokens", json={"label": "bench"},
                                 cookies=login.cookies)
        editor = {"Authorization": f"Bearer {(await made.json())['token']}"}
        for path in packages:
            upload = await client.post("/api/exhibits", data=io.BytesIO(path.read_bytes()),
                                       headers=editor)
            info = await upload.json()
            await client.post(f"/api/exhibits/{info['id']}/{info['version']}/publish",
                              headers=editor)


def _visit_twice(browser: Browser, url: str, scene: str) -> dict[str, Any]:
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)  # type: ignore[arg-type]
    page = context.new_page()
    page.goto(url + "/login")
    page.fill("#username", "member")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_load_state()
    received: list[int] = []
    page.on("requestfinished", lambda r: received.append(
        r.sizes()["responseBodySize"] + r.sizes()["responseHeadersSize"]))
    row: dict[str, Any] = {"scene": scene}
    for visit in ("first", "second"):
        received.clear()
        page.goto(f"{url}/exhibits/{SCENES[scene]}/versions/1.0.0/view?scene={scene}")
        page.locator("#viewer[data-state=ready]").wait_for(timeout=180_000)
        row[f"{visit}_frame_s"] = page.evaluate("redhallViewer.firstFrame") / 1000
        page.wait_for_load_state("networkidle")
        row[f"{visit}_bytes"] = sum(received)
        row[f"{visit}_entries_fetched"] = page.evaluate("redhallViewer.source.fetched")
    info = page.evaluate("redhallViewer.renderInfo()")
    row.update(draw_calls=info["calls"], triangles=info["triangles"],
               within_budget=info["calls"] <= BUDGET["calls"]
               and info["triangles"] <= BUDGET["triangles"])
    context.close()
    return row


def _engine(package: Path, scene: str) -> dict[str, float]:
    cache = Path(tempfile.mkdtemp(prefix="redhall-bench-viewer-"))
    cold, app, _ = _visit(package, scene, cache, (64, 36))
    app.destroy()
    warm, app, _ = _visit(package, scene, cache, (64, 36))
    app.destroy()
    return {"engine_cold_s": cold, "engine_warm_s": warm}


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="redhall-bench-viewer-"))
    public = keygen(work / "publisher.key")
    key = load_private(work / "publisher.key")
    packages = {p.stem: build_exhibit(p, work / "dist", key, cache=BuildCache(None)).path
                for p in sorted((ROOT / "exhibits").glob("*.yaml"))}
    settings = Settings(database_url=f"sqlite+aiosqlite:///{work}/redhall.db",
                        data_dir=work / "data", trusted_keys=[public],
                        password_hash_time_cost=1, password_hash_memory_kib=1024)
    server = ServerThread(create_app(settings))
    url = f"http://127.0.0.1:{server.port}"
    rows = []
    try:
        server.call(_seed(url, server, list(packages.values())))
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            for scene in SCENES:
                row = _visit_twice(browser, url, scene)
                row.update(_engine(packages[SCENES[scene]], scene))
                rows.append(row)
            browser.close()
    finally:
        server.stop()
    RESULTS.write_text(json.dumps({"rows": rows, "budget": BUDGET,
                                   "viewport": VIEWPORT}, indent=1) + "\n")
    print(f"{'scene':20} {'1st s':>6} {'1st KiB':>8} {'2nd s':>6} {'2nd KiB':>8} "
          f"{'eng cold':>8} {'eng warm':>8} {'calls':>5} {'tris':>7}")
    for r in rows:
        print(f"{r['scene']:20} {r['first_frame_s']:6.2f} {r['first_bytes'] / 1024:8.0f} "
              f"{r['second_frame_s']:6.2f} {r['second_bytes'] / 1024:8.0f} "
              f"{r['engine_cold_s']:8.2f} {r['engine_warm_s']:8.2f} {r['draw_calls']:5d} "
              f"{r['triangles']:7d}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
