"""Starting `redhall serve` for a benchmark: a free port, and waiting until it answers."""

from __future__ import annotations

import asyncio
import socket

import aiohttp


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_until_serving(url: str, seconds: float = 30.0) -> None:
    """Returns once ``url``/healthz answers 200.

    Raises:
        RuntimeError: it did not within ``seconds``.
    """
    for _ in range(int(seconds / 0.2)):
        try:
            async with aiohttp.ClientSession() as c, c.get(f"{url}/healthz") as r:
                if r.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} did not start within {seconds:.0f} s")
