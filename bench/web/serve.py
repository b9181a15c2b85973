"""`redhall serve` as a process of its own for the portal benchmark, pinned to core 0."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

from bench.serving import free_port, wait_until_serving

ROOT = Path(__file__).resolve().parents[2]
SERVER_CORE, LOAD_CORE = "0", "1"
STOP_SECONDS = 10.0


def pinned(core: str, command: list[str]) -> list[str]:
    """``command`` run on one core only (`taskset`), where the machine has more than one."""
    return ["taskset", "-c", core, *command] if (os.cpu_count() or 1) > 1 else command


@contextlib.asynccontextmanager
async def redhall_serve(database_url: str, data_dir: Path, code: Path | None = None
                        ) -> AsyncIterator[str]:
    """The base URL of a server on ``database_url`` (already migrated and filled); ``code``:
    a folder holding another version of the code to serve (``git archive`` of a commit)."""
    port = free_port()
    env = {**os.environ, **({"PYTHONPATH": str(code)} if code else {}),
           "REDHALL_DATABASE_URL": database_url,
           "REDHALL_DATA_DIR": str(data_dir), "REDHALL_PORT": str(port),
           # every benchmark user logs in from 127.0.0.1 within the same minute
           "REDHALL_LOGIN_ATTEMPTS_PER_MINUTE": "100000"}
    log = (data_dir.parent / "server.log").open("wb")
    server = subprocess.Popen(pinned(SERVER_CORE, [str(ROOT / ".venv/bin/redhall"), "serve"]),
                              env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        await wait_until_serving(url, seconds=120)
        yield url
    finally:
        server.terminate()
        try:  # requests still queued are of no interest: do not wait for them
            server.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
