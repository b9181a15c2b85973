"""The load: logged-in users each asking for a page again and again, from a process of its own.

Each user logs in through ``POST /api/auth/login`` and keeps their session cookie on one
keep-alive connection of their own. Then, for each path in turn, every user asks for it,
reads the whole answer and asks again, for a warm-up and then ``--seconds`` (see
:func:`hammer` for what is counted). Redirects are not followed: a page that sends a user
to /login counts as a failure, not as a fast answer.

Prints one JSON object: by path, requests a second, p50/p99 latency in ms, answers that were
not 200, transport errors, requests still unanswered at the cut-off, the mean answer size,
and the share of one core this client used (near 1.0, the client rather than the server
may be what limits the rate).

    python -m bench.web.load --url http://127.0.0.1:8080 --usernames users.txt \\
        --password PASSWORD --path /me --path /api/me --seconds 15
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

LOGINS_AT_ONCE = 20
WARM_UP_SECONDS = 2.0
CUT_OFF_SECONDS = 30.0


@dataclass
class Tally:
    """What the users saw for one path."""

    latencies: list[float] = field(default_factory=list)  # of requests started in the window
    warm_up_latencies: list[float] = field(default_factory=list)  # of those started before
    not_ok: int = 0  # of every request, warm-up or not
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0
    body_bytes: int = 0
    finished_in_window: int = 0  # answers that came back within the window, whenever asked
    last_finish: float = 0.0


async def log_in(url: str, username: str, password: str) -> aiohttp.ClientSession:
    """A session holding ``username``'s cookie and one keep-alive connection."""
    client = aiohttp.ClientSession(
        url, connector=aiohttp.TCPConnector(limit=1),
        cookie_jar=aiohttp.CookieJar(unsafe=True),  # unsafe: cookies for a bare IP address
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=30))  # the cut-off ends waits
    async with client.post("/api/auth/login",
                           json={"username": username, "password": password}) as answer:
        if answer.status != 200:
            await client.close()
            raise SystemExit(f"{username} could not log in: {answer.status} "
                             f"{await answer.text()}")
    return client


async def _user(client: aiohttp.ClientSession, path: str, window: tuple[float, float],
                tally: Tally) -> None:
    counted_from, end = window
    while (started := time.perf_counter()) < end:
        try:
            async with client.get(path, allow_redirects=False) as answer:
                size = len(await answer.read())
                status = answer.status
        except aiohttp.ClientError:
            status, size = 0, 0
        finished = time.perf_counter()
        if status == 0:
            tally.errors += 1
            continue
        tally.not_ok += status != 200
        tally.statuses[status] += 1
        tally.last_finish = max(tally.last_finish, finished)
        tally.body_bytes += size
        tally.finished_in_window += counted_from <= finished <= end
        if started < counted_from:
            tally.warm_up_latencies.append(finished - started)
            continue
        tally.latencies.append(finished - started)


def _percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


async def hammer(clients: list[aiohttp.ClientSession], path: str, seconds: float
                 ) -> dict[str, Any]:
    """Every client asks for ``path`` in a loop for a warm-up and ``seconds``.

    The rate is of answers that came back within the counted window (as wrk counts);
    latencies are of the requests started within it, each waited for up to
    ``CUT_OFF_SECONDS`` after the window; those still unanswered then are ``unfinished``.
    A page so slow that no answer came back within the window, or no request was asked in
    it, is measured over the whole run instead (``measured_over`` says which).
    """
    tally = Tally()
    began = time.perf_counter()
    counted_from = began + WARM_UP_SECONDS
    end = counted_from + seconds
    cpu_at_start = [0.0]
    asyncio.get_running_loop().call_later(
        WARM_UP_SECONDS, lambda: cpu_at_start.__setitem__(0, time.process_time()))
    users = [asyncio.create_task(_user(c, path, (counted_from, end), tally)) for c in clients]
    _, unfinished = await asyncio.wait(users, timeout=end + CUT_OFF_SECONDS - time.perf_counter())
    for user in unfinished:
        user.cancel()
    await asyncio.gather(*unfinished, return_exceptions=True)
    client_cpu = (time.process_time() - cpu_at_start[0]) / (time.perf_counter() - counted_from)
    latencies, rate = tally.latencies, tally.finished_in_window / seconds
    over = "window"
    if not (latencies and tally.finished_in_window):
        latencies = tally.latencies + tally.warm_up_latencies
        rate = len(latencies) / max(1e-9, tally.last_finish - began)
        over = "whole run"
    ordered = sorted(latencies)
    return {"requests_per_s": round(rate, 1),
            "p50_ms": round(_percentile(ordered, 0.50) * 1000, 1),
            "p99_ms": round(_percentile(ordered, 0.99) * 1000, 1),
            "answers": len(ordered), "measured_over": over, "not_200": tally.not_ok,
            "statuses": {str(code): n for code, n in sorted(tally.statuses.items())},
            "errors": tally.errors, "unfinished": len(unfinished),
            "mean_bytes": round(tally.body_bytes / max(1, len(tally.latencies)
                                                       + len(tally.warm_up_latencies))),
            "client_cpu": round(client_cpu, 2)}


async def run(url: str, usernames: list[str], password: str, paths: list[str],
              seconds: float) -> dict[str, Any]:
    gate = asyncio.Semaphore(LOGINS_AT_ONCE)

    async def one(username: str) -> aiohttp.ClientSession:
        async with gate:
            return await log_in(url, username, password)

    clients = await asyncio.gather(*(one(name) for name in usernames))
    try:
        return {"users": len(clients), "seconds": seconds,
                "paths": {path: await hammer(clients, path, seconds) for path in paths}}
    finally:
        await asyncio.gather(*(c.close() for c in clients))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--usernames", type=Path, required=True, help="a file, one a line")
    parser.add_argument("--password", required=True)
    parser.add_argument("--path", action="append", required=True)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    usernames = args.usernames.read_text(encoding="utf-8").split()
    figures = asyncio.run(run(args.url, usernames, args.password, args.path, args.seconds))
    json.dump(figures, sys.stdout)


if __name__ == "__main__":
    main()
