"""Requests/s and p99 latency of catalog listing and package download, 200 clients.

The server runs as `redhall serve` pinned to core 0 (`taskset`); wrk runs pinned to core 1.
Each database gets the same data: the demo accounts and both sample exhibits.
Writes bench/results/server.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import asyncpg

from bench.serving import free_port, wait_until_serving
from server.demo import DEMO_PASSWORD, prepare
from server.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN = "postgresql://root@127.0.0.1:5432/test"


def _wrk(url: str, token: str, seconds: int) -> dict[str, float]:
    result = subprocess.run(
        ["taskset", "-c", "1", "wrk", "-t2", "-c200", f"-d{seconds}s", "--latency",
         "-H", f"Authorization: Bearer {token}", url], capture_output=True, text=True, check=True)
    text = result.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", text)
    assert p99 is not None, text
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return {"requests_per_s": rps, "p99_ms": float(p99.group(1)) * scale,
            "non_2xx": float(errors.group(1)) if errors else 0.0}


async def _token(url: str) -> str:
    async with aiohttp.ClientSession(url, cookie_jar=aiohttp.CookieJar(unsafe=True)) as c:
        await c.post("/api/auth/login", json={"username": "member-1", "password": DEMO_PASSWORD})
        return (await (await c.post("/api/auth/tokens", json={})).json())["token"]


async def _run(database_url: str, seconds: int) -> dict[str, dict[str, float]]:
    folder = Path(tempfile.mkdtemp(prefix="redhall-bench-"))
    port = free_port()
    key = ROOT / "var/keys/publisher.key.pub"
    settings = Settings(database_url=database_url, data_dir=folder / "data", port=port,
                        trusted_keys=[key])
    runner, _ = await prepare(settings, sorted((ROOT / "var/exhibits").glob("*.exhibit")))
    await runner.cleanup()
    env = {**os.environ, "REDHALL_DATABASE_URL": database_url,
           "REDHALL_DATA_DIR": str(folder / "data"), "REDHALL_PORT": str(port),
           "REDHALL_TRUSTED_KEYS": json.dumps([str(key)])}
    server = subprocess.Popen(["taskset", "-c", "0", str(ROOT / ".venv/bin/redhall"), "serve"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        await wait_until_serving(url)
        token = await _token(url)
        listing = await asyncio.to_thread(_wrk, f"{url}/api/exhibits", token, seconds)
        download = await asyncio.to_thread(_wrk, f"{url}/api/exhibits/founding/1.0.0/package",
                                           token, seconds)
    finally:
        server.terminate()
        server.wait(10)
    return {"catalog_listing": listing, "package_download": download}


async def main(seconds: int) -> None:
    results: dict[str, object] = {}
    sqlite_file = Path(tempfile.mkdtemp()) / "bench.db"
    results["sqlite"] = await _run(f"sqlite+aiosqlite:///{sqlite_file}", seconds)
    name = f"redhall_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        results["postgresql"] = await _run(f"postgresql+asyncpg://root@127.0.0.1:5432/{name}",
                                           seconds)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    print(f"{'database':12} {'endpoint':18} {'req/s':>9} {'p99 ms':>9} {'non-2xx':>8}")
    for database, endpoints in results.items():
        for endpoint, figures in endpoints.items():  # type: ignore[attr-defined]
            print(f"{database:12} {endpoint:18} {figures['requests_per_s']:9.0f} "
                  f"{figures['p99_ms']:9.1f} {figures['non_2xx']:8.0f}")
    out = ROOT / "bench/results/server.json"
    out.write_text(json.dumps({"clients": 200, "seconds": seconds, "results": results,
                               "measured_at": time.strftime("%Y-%m-%d")}, indent=2) + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=15)
    asyncio.run(main(parser.parse_args().seconds))
