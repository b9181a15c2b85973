"""Live-tour capacity: N participants posing at 20 Hz in one tour while a guide steers.

Four ladders, each of rising N (participants in the tour):

- one core: `redhall serve` pinned to core 0;
- three nodes: three processes sharing the tour through Redis, on cores 0-2 where the
  machine has four cores or more, all on core 0 otherwise;
- node of three: one process on core 0 holding a third of the participants, the other
  two processes stood in for on Redis (``bench.tours.stand_ins``), for machines without
  a core for each of three;
- the peer: a Colyseus 0.16 room at a 20 Hz patch rate (``bench/tours/colyseus``).

The load generator (``bench.tours.generator``) runs pinned to the next core (core 1 on a
2-core machine). Each step reports p50/p99 pose latency between observer clients, the
share of pose updates delivered and of frames received; capacity is the largest N with
p99 ≤ 100 ms, ≥ 99 % delivered and an unsaturated generator. Writes
bench/results/tours.json; a ladder not run keeps its last figures there.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from bench.serving import free_port, wait_until_serving
from engine.tour_client import TourClient
from protocol import tour as wire
from server.auth import hash_password
from server.db.models import Credential, ExhibitVersion, Organization, Tour, TourBranch, User
from server.demo import prepare
from server.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
GOAL_P99_MS = 100.0
GOAL_DELIVERY = 0.99


async def _populate(database_url: str, people: int, tours: int
                    ) -> tuple[list[str], list[int], str, list[int]]:
    """Members with bearer tokens (and their user ids), a guide token, and ``tours``
    scheduled tours."""
    engine = create_async_engine(database_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    password = await hash_password(secrets.token_hex(8))
    expires = datetime.now(UTC) + timedelta(days=1)
    tokens = [secrets.token_urlsafe(24) for _ in range(people + 1)]
    async with sessions.begin() as db:
        branch = Organization(name="压测党支部", kind="branch")
        db.add(branch)
        await db.flush()
        users = [User(username=f"load-{i}", display_name=f"党员{i}", password_hash=password,
                      role="guide" if i == 0 else "member", org_id=branch.id)
                 for i in range(people + 1)]
        db.add_all(users)
        await db.flush()
        db.add_all(Credential(token_hash=hashlib.sha256(t.encode()).hexdigest(), user_id=u.id,
                              kind="bearer", expires_at=expires) for t, u in zip(tokens, users))
        version = await db.scalar(select(ExhibitVersion).where(
            ExhibitVersion.exhibit_id == "founding"))
        assert version is not None
        tour_ids = []
        for _ in range(tours):
            tour = Tour(exhibit_version_id=version.id, guide_id=users[0].id, title="压测",
                        starts_at=datetime.now(UTC) + timedelta(hours=1), duration_minutes=60,
                        capacity=5000)
            db.add(tour)
            await db.flush()
            db.add(TourBranch(tour_id=tour.id, org_id=branch.id))
            tour_ids.append(tour.id)
    await engine.dispose()
    return tokens[1:], [u.id for u in users[1:]], tokens[0], tour_ids


def cores_for(nodes: int, available: int) -> tuple[list[str], str]:
    """The core of each server process and the load generator's: a core each where the
    machine has enough, else every server on core 0 and the generator on core 1."""
    if available >= nodes + 1:
        return [str(core) for core in range(nodes)], str(nodes)
    return ["0"] * nodes, "1"


def _servers(cores: list[str], env: dict[str, str], folder: Path
             ) -> tuple[list[subprocess.Popen[bytes]], list[str], list[Path]]:
    """The server processes, their addresses and their logs (in ``folder``)."""
    processes, urls, logs = [], [], []
    for number, core in enumerate(cores):
        port = free_port()
        logs.append(folder / f"server-{number}.log")
        with logs[-1].open("wb") as log:
            processes.append(subprocess.Popen(
                ["taskset", "-c", core, str(ROOT / ".venv/bin/redhall"), "serve"],
                env={**env, "REDHALL_PORT": str(port)}, stdout=subprocess.DEVNULL,
                stderr=log))
        urls.append(f"http://127.0.0.1:{port}")
    return processes, urls, logs


async def _guide(url: str, tour: int, token: str, stop: asyncio.Event) -> tuple[int, str]:
    """Starts the tour and keeps steering it (laser, follow-me, once a second) until
    ``stop``, then ends it. Returns the commands sent, and why the guide's connection
    failed ("" if it did not)."""
    guide = TourClient(f"{url}/api/tours/{tour}/live", token)
    commands = 0
    try:
        welcome = await guide.connect()
        assert welcome.role == "guide"
        await guide.send(wire.Start())
        while not stop.is_set():
            for message in (wire.Follow(on=commands % 2 == 0),
                            wire.Laser(origin=(0, 1.5, 0), target=(commands % 5, 1.0, 2.0))):
                await guide.send(message)
                commands += 1
            while not guide.frames.empty():
                guide.frames.get_nowait()
            while not guide.messages.empty():
                guide.messages.get_nowait()
            await asyncio.sleep(1.0)
        # Ended, the tour lets its seats go now; left open, a thousand held seats would all
        # expire a minute later, during the next step's measurement.
        await guide.send(wire.EndTour())
    except Exception as exc:  # noqa: BLE001  the step then misses the goal, and the ladder goes on
        closed = guide.ws.close_code if guide.ws is not None else None
        return commands, f"{type(exc).__name__}: {exc} (close code {closed})"
    finally:
        await guide.close()
    return commands, ""


def _errors_logged(logs: list[Path]) -> int:
    """Errors the server processes have logged so far."""
    return sum(line.count('"level": "error"') for log in logs if log.exists()
               for line in log.open(encoding="utf-8", errors="replace"))


def _meets_goal(result: dict[str, Any]) -> bool:
    return (result["p99_ms"] <= GOAL_P99_MS and result["pose_delivery"] >= GOAL_DELIVERY
            and not result["generator_saturated"] and not result.get("server_errors")
            and not result.get("guide_failed"))


async def _climb(label: str, ladder: list[int],
                 step: Callable[[int], Awaitable[dict[str, Any]]]
                 ) -> tuple[int, list[dict[str, Any]]]:
    """Runs ``step`` up the ladder until one misses the goal; the last N that met it."""
    results: list[dict[str, Any]] = []
    capacity = 0
    for count in ladder:
        result = await step(count)
        ticks = f"  ticks {result['server_ticks']}" if "server_ticks" in result else ""
        if result.get("server_errors"):
            ticks += f"  SERVER ERRORS {result['server_errors']}"
        if result.get("guide_failed"):
            ticks += f"  GUIDE FAILED {result['guide_failed']}"
        print(f"  {label} {count:5d}: p50 {result['p50_ms']:6.1f} ms  p99 "
              f"{result['p99_ms']:6.1f} ms  delivered {result['pose_delivery']:.3f}  "
              f"frames/tick {result['frames_per_tick_median']:.2f}  generator cpu "
              f"{result['generator_cpu']:.2f}"
              f"{' SATURATED' if result['generator_saturated'] else ''}{ticks}", flush=True)
        results.append(result)
        if not result["meets_goal"]:
            break
        capacity = count
    return capacity, results


async def _tick_counters(urls: list[str]) -> dict[str, float]:
    """The servers' pose-tick metrics, summed: ticks run, lost, and late by over 25 ms."""
    totals = {"ticks": 0.0, "lost": 0.0, "late_25ms": 0.0, "tick_seconds": 0.0}
    async with aiohttp.ClientSession() as http:
        for url in urls:
            async with http.get(f"{url}/metrics") as response:
                text = await response.text()
            for line in text.splitlines():
                name, _, value = line.rpartition(" ")
                if name == "redhall_tour_tick_lateness_seconds_count":
                    totals["ticks"] += float(value)
                elif name == 'redhall_tour_tick_lateness_seconds_bucket{le="0.025"}':
                    totals["late_25ms"] -= float(value)
                elif name == "redhall_tour_ticks_lost_total":
                    totals["lost"] += float(value)
                elif name == "redhall_tour_tick_seconds_sum":
                    totals["tick_seconds"] += float(value)
    totals["late_25ms"] += totals["ticks"]
    return totals


async def _step(urls: list[str], logs: list[Path], tour: int, tokens_file: Path,
                guide_token: str, count: int, seconds: float, generator_core: str,
                stand_ins: list[str]) -> dict[str, object]:
    before = await _tick_counters(urls)
    errors_before = _errors_logged(logs)
    stop = asyncio.Event()
    guide = asyncio.create_task(_guide(urls[0], tour, guide_token, stop))
    generator = await asyncio.create_subprocess_exec(
        "taskset", "-c", generator_core, sys.executable, "-m", "bench.tours.generator",
        "--url", *urls,
        "--tour", str(tour), "--tokens", str(tokens_file), "--count", str(count),
        "--seconds", str(seconds), *stand_ins, stdout=asyncio.subprocess.PIPE, cwd=ROOT)
    out, _ = await generator.communicate()
    stop.set()
    commands, guide_failed = await guide
    result = json.loads(out.decode().strip().splitlines()[-1])
    result["guide_commands"] = commands
    if guide_failed:
        result["guide_failed"] = guide_failed
    await asyncio.sleep(1.0)  # the departures are applied (and any error logged)
    result["server_errors"] = _errors_logged(logs) - errors_before
    after = await _tick_counters(urls)
    ticks = after["ticks"] - before["ticks"]
    result["server_ticks"] = {  # over the whole step, joining included
        "run": int(ticks), "lost": int(after["lost"] - before["lost"]),
        "late_over_25ms": int(after["late_25ms"] - before["late_25ms"]),
        "mean_ms": round(1000 * (after["tick_seconds"] - before["tick_seconds"])
                         / max(1.0, ticks), 2)}
    result["meets_goal"] = _meets_goal(result)
    return result


async def _ladder(nodes: int, ladder: list[int], seconds: float, stand_ins: int = 0
                  ) -> tuple[int, list[dict[str, object]]]:
    """Climbs ``ladder`` (participants in the tour) against ``nodes`` server processes;
    with ``stand_ins``, one process holds its share of the participants and the others'
    are stood in for on Redis (``bench.tours.stand_ins``)."""
    folder = Path(tempfile.mkdtemp(prefix="redhall-tours-"))
    database_url = f"sqlite+aiosqlite:///{folder}/bench.db"
    key = ROOT / "var/keys/publisher.key.pub"
    settings = Settings(database_url=database_url, data_dir=folder / "data", port=free_port(),
                        trusted_keys=[key])
    runner, _ = await prepare(settings, sorted((ROOT / "var/exhibits").glob("*.exhibit")))
    await runner.cleanup()
    tokens, users, guide_token, tours = await _populate(database_url, max(ladder) + 10,
                                                        len(ladder))
    tokens_file = folder / "tokens.txt"
    tokens_file.write_text("\n".join(tokens))
    stood_in = max(ladder) * stand_ins // (stand_ins + 1)
    users_file = folder / "stand-in-users.txt"  # the last accounts; real clients take the first
    users_file.write_text("\n".join(map(str, users[len(users) - stood_in:])))
    env = {**os.environ, "REDHALL_DATABASE_URL": database_url,
           "REDHALL_DATA_DIR": str(folder / "data"),
           "REDHALL_TRUSTED_KEYS": json.dumps([str(key)])}
    if nodes > 1 or stand_ins:
        env["REDHALL_REDIS_URL"] = "redis://127.0.0.1:6379/0"
        env["REDHALL_REDIS_PREFIX"] = f"bench-{uuid.uuid4().hex[:8]}"
    stand_in_args = ["--stand-ins", str(stand_ins), "--stand-in-users", str(users_file),
                     "--redis", env["REDHALL_REDIS_URL"], "--prefix",
                     env["REDHALL_REDIS_PREFIX"]] if stand_ins else []
    server_cores, generator_core = cores_for(nodes, os.cpu_count() or 1)
    processes, urls, logs = _servers(server_cores, env, folder)
    unused_tours = iter(tours)
    try:
        for url in urls:
            await wait_until_serving(url)
        label = f"1 node of {stand_ins + 1}" if stand_ins else f"{nodes} node(s)"
        capacity, steps = await _climb(label, ladder, lambda count: _step(
            urls, logs, next(unused_tours), tokens_file, guide_token,
            count // (stand_ins + 1), seconds, generator_core, stand_in_args))
        for step in steps:
            step["server_cores"] = ",".join(server_cores)
        return capacity, steps
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)


OBSERVERS = 8


async def _colyseus_step(url: str, count: int, seconds: float) -> dict[str, object]:
    """The same workload against a fresh Colyseus room: the generator's participants send
    the same pose bytes at 20 Hz; observers on the colyseus.js client time the poses."""
    async with aiohttp.ClientSession() as http, \
            http.post(f"{url}/matchmake/create/tour", json={}) as response:
        room = (await response.json())["room"]["roomId"]
    generator = await asyncio.create_subprocess_exec(
        "taskset", "-c", "1", sys.executable, "-m", "bench.tours.generator", "--url", url,
        f"--colyseus-room={room}", "--count", str(count - OBSERVERS), "--seconds",
        str(seconds + 1), stdout=asyncio.subprocess.PIPE, cwd=ROOT)
    observers = await asyncio.create_subprocess_exec(
        "taskset", "-c", "1", "node", "bench/tours/colyseus/observers.js", url, room,
        str(OBSERVERS), str(count), "2", str(seconds), stdout=asyncio.subprocess.PIPE,
        cwd=ROOT)
    (out, _), (seen, _) = await asyncio.gather(generator.communicate(),
                                               observers.communicate())
    result = json.loads(out.decode().strip().splitlines()[-1])
    timing = json.loads(seen.decode().strip().splitlines()[-1])
    result.update(participants=count, p50_ms=round(timing["p50_ms"] or float("nan"), 1),
                  p99_ms=round(timing["p99_ms"] or float("nan"), 1),
                  pose_delivery=round(timing["delivered"], 4))
    result["meets_goal"] = _meets_goal(result)
    return result


async def _colyseus_ladder(ladder: list[int], seconds: float
                           ) -> tuple[int, list[dict[str, object]]]:
    port = free_port()
    server = subprocess.Popen(["taskset", "-c", "0", "node", "bench/tours/colyseus/server.js",
                               str(port)], cwd=ROOT, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):  # Colyseus has no health route: wait for the port
            try:
                await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.1)
        return await _climb("colyseus", ladder,
                            lambda count: _colyseus_step(url, count, seconds))
    finally:
        server.terminate()
        server.wait(10)


RESULTS = ROOT / "bench/results/tours.json"
# name: (capacity figure, heading, how the ladder runs)
LADDERS: dict[str, tuple[str, str, Callable[[list[int], float], Awaitable[
        tuple[int, list[dict[str, Any]]]]]]] = {
    "one_core": ("capacity_one_core", "one server process on one core",
                 lambda ladder, seconds: _ladder(1, ladder, seconds)),
    "three_nodes": ("capacity_three_nodes", "three server processes sharing the tour "
                    "through Redis", lambda ladder, seconds: _ladder(3, ladder, seconds)),
    "node_of_three": ("capacity_node_of_three", "one of three processes on its own core, "
                      "the other two stood in for on Redis",
                      lambda ladder, seconds: _ladder(1, ladder, seconds, stand_ins=2)),
    "colyseus": ("colyseus_capacity", "the peer: a Colyseus 0.16 room on one core, 20 Hz "
                 "patches", _colyseus_ladder),
}


async def main(seconds: float, ladders: dict[str, list[int]]) -> None:
    """Runs each ladder given; one left empty keeps its figures from the last run."""
    figures: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    if not isinstance(figures.get("measured_at"), dict):
        figures["measured_at"] = {}
    for name, ladder in ladders.items():
        if not ladder:
            continue
        figures.pop("notes", None)  # written by hand about the figures they described
        capacity_key, heading, run = LADDERS[name]
        print(f"{heading}:")
        figures[capacity_key], figures[name] = await run(ladder, seconds)
        figures["measured_at"][name] = time.strftime("%Y-%m-%d")
    one, colyseus = figures.get("capacity_one_core"), figures.get("colyseus_capacity")
    figures.update(ratio_to_colyseus=round(one / colyseus, 2) if one and colyseus else None,
                   goal={"p99_ms": GOAL_P99_MS, "delivery": GOAL_DELIVERY}, seconds=seconds,
                   machine=f"{os.cpu_count()} cores")
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print("capacity: " + ", ".join(f"{name} {figures.get(key)}"
                                   for name, (key, _, _) in LADDERS.items()))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    one_core_ladder = [100, 250, 500, 750, 1000, 1250, 1500, 1750, 2000]
    defaults = {"one_core": one_core_ladder,
                "three_nodes": [250, 500, 1000, 1500, 2000, 2400],
                "node_of_three": [900, 1800, 2400, 3000, 3300, 3600, 3900, 4200, 4500],
                "colyseus": one_core_ladder}
    for name, ladder in defaults.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, nargs="*",
                            default=ladder, help=f"participants in all (default {ladder}); "
                            "none: keep the last figures")
    args = parser.parse_args()
    asyncio.run(main(args.seconds, {name: getattr(args, name) for name in defaults}))
