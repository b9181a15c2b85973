"""The short-lived cache in front of hot reads: expiry, eviction, single-flight loading."""

import asyncio
import time

import pytest

from server.ttl_cache import TTLCache


async def test_concurrent_misses_share_one_load() -> None:
    cache: TTLCache[str, int] = TTLCache(60)
    calls = 0

    async def load() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return 42

    values = await asyncio.gather(*(cache.get_or_load("k", load) for _ in range(50)))
    assert values == [42] * 50 and calls == 1
    assert await cache.get_or_load("k", load) == 42 and calls == 1


async def test_a_failed_load_fails_every_waiter_and_is_not_cached() -> None:
    cache: TTLCache[str, int] = TTLCache(60)

    async def broken() -> int:
        await asyncio.sleep(0.01)
        raise ValueError("database down")

    results = await asyncio.gather(*(cache.get_or_load("k", broken) for _ in range(5)),
                                   return_exceptions=True)
    assert all(isinstance(r, ValueError) for r in results)
    assert cache.get("k") is None


def test_entries_expire_and_the_oldest_are_evicted(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    cache: TTLCache[str, int] = TTLCache(5, size=2)
    cache.put("a", 1)
    now[0] += 4
    assert cache.get("a") == 1
    now[0] += 2
    assert cache.get("a") is None
    cache.put("b", 2), cache.put("c", 3), cache.put("d", 4)
    assert cache.get("b") is None and cache.get("d") == 4
