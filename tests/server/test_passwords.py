"""Password hashing: Argon2id at the production cost, off the event loop."""

from __future__ import annotations

import asyncio
import time

import pytest
from argon2 import PasswordHasher

from server import auth
from server.settings import Settings


def test_new_hashes_use_the_production_cost_unless_told_otherwise(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDHALL_PASSWORD_HASH_TIME_COST")
    monkeypatch.delenv("REDHALL_PASSWORD_HASH_MEMORY_KIB")
    settings = Settings()
    assert (settings.password_hash_time_cost, settings.password_hash_memory_kib) == (3, 65536)


async def test_hashing_leaves_the_event_loop_free_and_checks_what_it_should() -> None:
    auth.configure_passwords(3, 65536)
    try:
        stored = await auth.hash_password("红色记忆1921")
        assert "$argon2id$" in stored and "m=65536,t=3" in stored
        gaps: list[float] = []
        running = True

        async def tick() -> None:  # like a tour's 20 Hz pose tick
            last = time.perf_counter()
            while running:
                await asyncio.sleep(0.005)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        ticker = asyncio.create_task(tick())
        started = time.perf_counter()
        right, wrong, nobody = await asyncio.gather(
            auth.check_password(stored, "红色记忆1921"), auth.check_password(stored, "wrong"),
            auth.check_password(None, "红色记忆1921"))
        took = time.perf_counter() - started
        running = False
        await ticker
        assert (right, wrong, nobody) == (True, False, False)
        # three checks at this cost take a core for over a tenth of a second each; run on
        # the loop, they would have stopped the ticker for all of that
        assert took > 0.1 and max(gaps) < took / 2, (took, max(gaps))
        # a hash made at another cost still verifies (its cost is stored with it)
        assert await auth.check_password(PasswordHasher(time_cost=1, memory_cost=1024)
                                         .hash("旧密码"), "旧密码")
    finally:
        settings = Settings()  # as the tests' environment sets it
        auth.configure_passwords(settings.password_hash_time_cost,
                                 settings.password_hash_memory_kib)
