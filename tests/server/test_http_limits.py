"""What the HTTP API does with input beyond what it takes: bodies larger than a route reads
(refused 413 before they are read), ids no column holds, dates no calendar holds. Each is
a 4xx with a message, never a 500."""

from __future__ import annotations

import asyncio
import io
import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.server.conftest import World

HUGE_IDS = ["18446744073709551616", "99999999999999999999999", "2147483648", "0"]


async def _raw_request(world: World, head: str, body_chunks: int, chunk: bytes
                       ) -> tuple[bytes, int]:
    """Sends ``head`` and then up to ``body_chunks`` chunks of a chunked body while reading
    the answer; returns the answer's status line and how many body bytes got out."""
    host, port = world.client.server.host, world.client.server.port
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(head.encode())
    sent = 0
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"

    async def send() -> None:
        nonlocal sent
        try:
            for _ in range(body_chunks):
                writer.write(framed)
                await writer.drain()
                sent += len(chunk)
            writer.write(b"0\r\n\r\n")
            await writer.drain()
        except (ConnectionError, OSError):
            pass
    sender = asyncio.create_task(send())
    try:
        status = await asyncio.wait_for(reader.readline(), 30)
        answer = await asyncio.wait_for(reader.read(), 30)
    finally:
        await asyncio.wait_for(sender, 30)
        writer.close()
    return status + answer, sent


async def test_a_large_chunked_login_is_refused_before_it_is_read(world: World) -> None:
    head = ("POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n")
    total = 2000  # chunks of 64 KiB: 125 MiB if it were all read
    answer, sent = await _raw_request(world, head, total, b"[" * 65536)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"error"' in answer and b"bytes at most" in answer
    assert sent < total * 65536 // 4, sent  # the server hung up long before the end


async def test_a_declared_large_body_is_refused_unread(world: World) -> None:
    host, port = world.client.server.host, world.client.server.port
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                 b"\r\nContent-Length: 209715200\r\n\r\n{")
    await writer.drain()
    started = time.monotonic()
    status = await asyncio.wait_for(reader.readline(), 10)
    assert status.startswith(b"HTTP/1.1 413") and time.monotonic() - started < 5
    writer.close()


@pytest.mark.parametrize(("path", "who", "limit"), [
    ("/api/auth/login", None, 4096), ("/api/auth/tokens", "member", 4096),
    ("/api/participation", "member", 1024 * 1024), ("/api/tours", "guide", 8192),
])
async def test_each_route_takes_a_body_that_fits_it(world: World, path: str, who: str | None,
                                                    limit: int) -> None:
    padding = {"pad": "x" * limit}
    reply = await world.client.post(path, data=io.BytesIO(json.dumps(padding).encode()),
                                    headers={**world.auth(who),
                                             "Content-Type": "application/json"})
    assert reply.status == 413, await reply.text()
    assert (await reply.json())["limit"] == limit
    small = await world.client.post(path, json={"pad": "x"}, headers=world.auth(who))
    assert small.status == 400  # read, and refused for what it says


@pytest.mark.parametrize("raw", HUGE_IDS)
async def test_ids_no_column_holds_are_404(world: World, raw: str) -> None:
    for method, path in (("GET", f"/api/users/{raw}/export"),
                         ("POST", f"/api/tours/{raw}/registration"),
                         ("DELETE", f"/api/tours/{raw}/registration"),
                         ("GET", f"/api/tours/{raw}"), ("DELETE", f"/api/auth/tokens/{raw}"),
                         ("GET", f"/api/tours/{raw}/attendance")):
        reply = await world.client.request(method, path, headers=world.auth("admin"))
        assert reply.status == 404, (method, path, reply.status)
        assert "error" in await reply.json()


async def test_ids_in_bodies_beyond_a_column_are_400(world: World) -> None:
    starts = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    tour = {"exhibit_id": "founding", "version": "1.0.0", "title": "t", "starts_at": starts,
            "duration_minutes": 60, "capacity": 10}
    for branches in ([int(HUGE_IDS[0])], [2**63], [-1], [0]):
        reply = await world.client.post("/api/tours", json={**tour, "branches": branches},
                                        headers=world.auth("admin"))
        assert reply.status == 400, (branches, await reply.text())
    org = await world.client.post("/api/orgs", json={"name": "x", "kind": "branch",
                                                     "parent_id": 2**64},
                                  headers=world.auth("admin"))
    assert org.status in (400, 404), await org.text()


@pytest.mark.parametrize("starts_at", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00",
                                       "2200-01-01T00:00:00+00:00"])
async def test_a_tour_at_the_end_of_time_is_400(world: World, starts_at: str) -> None:
    reply = await world.client.post("/api/tours", json={
        "exhibit_id": "founding", "version": "1.0.0", "title": "t", "starts_at": starts_at,
        "duration_minutes": 60, "capacity": 10, "branches": [world.branch_a]},
        headers=world.auth("admin"))
    assert reply.status == 400, await reply.text()
    assert "starts_at" in await reply.text()


@pytest.mark.parametrize("query", ["from=0001-01-01&to=9999-12-31", "from=1999-12-31&to=2000-01-02",
                                   "from=2026-01-01&to=2101-01-01", "year=9999", "year=0",
                                   "year=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96"])
async def test_report_periods_beyond_sane_years_are_400(world: World, query: str) -> None:
    for kind in ("members", "branches", "exhibits"):
        reply = await world.client.get(f"/api/reports/{kind}?{query}",
                                       headers=world.auth("admin"))
        assert reply.status == 400, (kind, query, reply.status)
        assert "2000" in (await reply.json())["error"]


async def test_a_large_chunked_statement_batch_is_refused_before_it_is_read(
        world: World) -> None:
    import base64

    from server.keys import SESSIONS
    from server.lrs.clients import create_client

    key, secret = await create_client(world.client.server.app[SESSIONS], "limits",
                                      ("write", "read"))
    basic = base64.b64encode(f"{key}:{secret}".encode()).decode()
    head = ("POST /xapi/statements HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Authorization: Basic {basic}\r\nX-Experience-API-Version: 1.0.3\r\n"
            "Transfer-Encoding: chunked\r\n\r\n")
    total = 2000  # 125 MiB if it were all read; the LRS takes 8 MiB
    answer, sent = await _raw_request(world, head, total, b"[" * 65536)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < total * 65536 // 4, sent
