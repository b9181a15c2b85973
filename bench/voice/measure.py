"""Voice in one tour: a guide speaking continuously (a looped recording) to N listeners
who pose at 20 Hz, the server on one core (core 0) and this load generator on the other.

For each N of the ladder a fresh tour: the listeners join, poses run, then a window with
the guide silent and a window with the guide speaking (``--seconds`` each). Every listener
is lean (:class:`bench.voice.listeners.Listener`: frame headers and capture times only)
and proves it received every packet in time; a full sample of :data:`FULL_SAMPLE`, spread
over the join order, decodes, buffers and plays as the engine does and gives mouth to ear
and ``played``; :data:`POSE_OBSERVERS` of them also time each other's poses, for the pose
goal of ``bench/tours``. The generator's own CPU and loop lag say whether it kept up: a
row where it did not is marked, neither met nor missed.

    bench/voice/run --ladder 250 500 1000 --seconds 10

Writes bench/results/voice.json (bench/voice/README.md explains every figure).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvloop

from bench.serving import free_port, wait_until_serving
from bench.tours.generator import Stats
from bench.tours.measure import GOAL_DELIVERY as POSE_DELIVERY
from bench.tours.measure import GOAL_P99_MS as POSE_P99_MS
from bench.tours.measure import _errors_logged, _populate, _servers, _tick_counters
from bench.voice import window
from bench.voice.drive import Drive
from bench.voice.gauge import Gauge
from bench.voice.listeners import PLAY_BUDGET, FullListener, Listener
from bench.voice.speech import looped_packets
from bench.voice.websocket import client_frame, request
from bench.voice.window import POSE_TICK
from protocol import tour as wire
from server.demo import prepare
from server.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench/results/voice.json"
FULL_SAMPLE = 32
POSE_OBSERVERS = 8
GOAL_P99_MS = 200.0
GOAL_PLAYED = 0.995
SERVER_CORE, GENERATOR_CORE = 0, 1
SENDS = ("syscalls:sys_enter_sendto", "syscalls:sys_enter_sendmsg",
         "syscalls:sys_enter_write", "syscalls:sys_enter_writev")


def sample(count: int, size: int) -> list[int]:
    """``size`` join positions spread over ``count``: the first, the last, evenly between."""
    if count <= size:
        return list(range(count))
    return sorted({round(i * (count - 1) / (size - 1)) for i in range(size)})


async def _connect(url: str, tour: int, token: str, make: Callable[[], Listener]) -> Listener:
    loop = asyncio.get_running_loop()
    host, port = url.removeprefix("http://").split(":")
    transport, listener = await loop.create_connection(make, host, int(port))
    try:
        listener.write(request(f"/api/tours/{tour}/live", f"{host}:{port}"))
        listener.write(client_frame(1, wire.Hello(version=wire.TOUR_PROTOCOL, token=token)
                                    .model_dump_json().encode()))
        await asyncio.wait_for(listener.welcomed, 60)
    except BaseException:
        transport.close()  # a listener never welcomed holds no socket
        raise
    return listener


def _perf(server: int, seconds: float) -> subprocess.Popen[str] | None:
    """``perf stat`` counting the server's send system calls, where perf is installed."""
    try:
        return subprocess.Popen(["perf", "stat", "-x,", "-e", ",".join(SENDS), "-p",
                                 str(server), "--", "sleep", str(seconds)],
                                stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    except FileNotFoundError:
        return None


def _sends(perf: subprocess.Popen[str] | None) -> float | None:
    if perf is None:
        return None
    _, err = perf.communicate()
    counts = [line.split(",")[0] for line in err.splitlines() if line]
    numbers = [float(c) for c in counts if c.replace(".", "").isdigit()]
    return sum(numbers) if numbers else None


class Tour:
    """One N: the guide, the listeners, the schedule, and the server they talk to."""

    def __init__(self, url: str, pid: int, logs: list[Path], seconds: float) -> None:
        self.url, self.pid, self.logs, self.seconds = url, pid, logs, seconds
        self.guide: Listener
        self.people: list[Listener] = []
        self.drive: Drive

    async def join(self, tour: int, guide_token: str, tokens: list[str],
                   packets: list[bytes]) -> float:
        """The guide starts the tour, the listeners join in waves of 50; seconds taken."""
        self.guide = await _connect(self.url, tour, guide_token, Listener)
        self.guide.write(client_frame(1, wire.Start().model_dump_json().encode()))
        full = set(sample(len(tokens), FULL_SAMPLE))
        started = time.perf_counter()
        for index in range(0, len(tokens), 50):  # as a real audience would
            self.people += await asyncio.gather(*(
                _connect(self.url, tour, token, FullListener if index + i in full else Listener)
                for i, token in enumerate(tokens[index:index + 50])))
        joined = time.perf_counter() - started
        everyone = [p for p in self.people if isinstance(p, FullListener)]
        observers: list[Listener] = [
            p for p in everyone[::max(1, len(everyone) // POSE_OBSERVERS)]]
        spread = max(10.0, (len(tokens) * 16) ** 0.5 / 2)  # about 16 m² each, as bench/tours
        self.drive = Drive(self.guide, self.people, observers[:POSE_OBSERVERS], packets,
                           spread, random.Random(7))
        return joined

    async def measure(self, speaking: bool) -> dict[str, Any]:
        """One window: counters from zero, the guide speaking or not, then its figures."""
        drive, people = self.drive, self.people
        for person in people:
            person.reset()
        stats = Stats()
        drive.time_poses(stats)
        if speaking:
            for person in drive.full:
                person.hear({self.guide.seat})
        before = await _tick_counters([self.url])
        errors = _errors_logged(self.logs)
        perf = _perf(self.pid, self.seconds)
        try:
            drive.sent = drive.writes = 0
            drive.gauge = gauge = Gauge(self.pid, SERVER_CORE, GENERATOR_CORE)
            stats.measuring = True
            drive.speak(speaking)
            await asyncio.sleep(self.seconds)
            stats.measuring = False
            drive.speak(False)
            drive.gauge = None
            figures = gauge.figures()
            delays = [p.delay(self.guide.seat) for p in drive.full]
            pose_frames = [p.pose_frames for p in people]
            received = sum(p.bytes for p in people)
            # the generator's cost per socket read or write, and what it would need if every
            # listener sent and got its 20 a second: its headroom, whatever the machine's load
            io = drive.writes + drive.sent + sum(p.reads for p in people)
            generator: dict[str, Any] = figures["generator"]  # type: ignore[assignment]
            seconds = float(figures["seconds"])  # type: ignore[arg-type]
            full_cpu = sum(p.spent for p in drive.full) / seconds  # decoding and playing out
            per_io = max(0.0, generator["cpu"] - full_cpu) * seconds / io if io else 0.0
            generator.update(io_per_s=round(io / seconds), full_sample_cpu=round(full_cpu, 3),
                             us_per_io=round(per_io * 1e6, 2),
                             cpu_at_full_rate=round(per_io * len(people) * 2 / POSE_TICK
                                                    + full_cpu, 2))
            await asyncio.sleep(2 * PLAY_BUDGET)  # the last packets arrive and play
        except BaseException:
            if perf is not None:
                perf.kill()  # no perf left counting a server that is gone
                perf.wait()
            raise
        sends = _sends(perf)
        after = await _tick_counters([self.url])
        n = len(people)
        result: dict[str, Any] = {
            "voice": speaking, **figures,
            "sends_per_listener_per_s": round(sends / n / seconds, 2) if sends else None,
            "bytes_per_listener_per_s": round(received / n / seconds),
            "server_ticks": int(after["ticks"] - before["ticks"]),
            "ticks_lost": int(after["lost"] - before["lost"]),
            "server_errors": _errors_logged(self.logs) - errors,
            "pose": window.poses(stats, pose_frames, seconds),
            "voice_figures": window.voice(drive.sent, people, self.guide.seat, delays)
            if speaking else None,
            "unread_frames": sum(p.unread for p in people),
        }
        for person in drive.full:
            person.close_receiver()
        return result

    async def end(self) -> int:
        """Ends the tour (its seats go now, not a minute later during the next N) and
        closes every connection; how many listeners the server had closed before."""
        self.drive.stop()
        closed = sum(p.closed for p in self.people)
        self.guide.write(client_frame(1, wire.EndTour().model_dump_json().encode()))
        await asyncio.sleep(2.0)
        for person in [self.guide, *self.people]:
            if person.transport is not None:
                person.transport.close()
        return closed


def verdict(row: dict[str, Any]) -> tuple[bool | None, list[str]]:
    """Whether the speaking window met the goal (None: the generator did not keep up, or
    other processes took the server's core, so the row says nothing of the server), and
    what missed."""
    speaking = row["speaking"]
    heard = speaking["voice_figures"]
    full, everyone = heard["full_sample"], heard["all_listeners"]
    missed = []
    if full["p99_ms"] is None or full["p99_ms"] > GOAL_P99_MS:
        missed.append(f"mouth-to-ear p99 {full['p99_ms']} ms > {GOAL_P99_MS:.0f}")
    if full["played"] is None or full["played"] < GOAL_PLAYED:
        missed.append(f"played {full['played']} < {GOAL_PLAYED}")
    if everyone["in_time_overall"] is None or everyone["in_time_overall"] < GOAL_PLAYED:
        missed.append(f"received in time {everyone['in_time_overall']} < {GOAL_PLAYED}")
    pose = speaking["pose"]
    if pose["p99_ms"] is None or pose["p99_ms"] > POSE_P99_MS:
        missed.append(f"pose p99 {pose['p99_ms']} ms > {POSE_P99_MS:.0f}")
    if pose["delivery"] < POSE_DELIVERY:
        missed.append(f"pose delivery {pose['delivery']} < {POSE_DELIVERY}")
    if row["listeners_closed"]:
        missed.append(f"{row['listeners_closed']} listeners closed")
    if speaking["server_errors"]:
        missed.append(f"{speaking['server_errors']} server errors")
    if speaking["generator"]["saturated"] or speaking["server_core_contended"]:
        return None, missed
    return not missed, missed


async def _step(url: str, pid: int, logs: list[Path], tour: int, guide_token: str,
                tokens: list[str], packets: list[bytes], seconds: float) -> dict[str, Any]:
    room = Tour(url, pid, logs, seconds)
    joined = await room.join(tour, guide_token, tokens, packets)
    running = asyncio.create_task(room.drive.run())
    try:
        await asyncio.sleep(2.0)  # the joins are announced, poses settle
        silent = await room.measure(speaking=False)
        speaking = await room.measure(speaking=True)
    finally:
        closed = await room.end()
        await running
    row: dict[str, Any] = {"listeners": len(tokens), "join_seconds": round(joined, 1),
                           "full_sample": len(room.drive.full),
                           "pose_observers": len(room.drive.observers),
                           "silent": silent, "speaking": speaking, "listeners_closed": closed}
    met, missed = verdict(row)
    row.update(meets_goal=met, missed=missed,
               generator_saturated=speaking["generator"]["saturated"],
               server_core_contended=speaking["server_core_contended"])
    return row


def _line(row: dict[str, Any]) -> str:
    speaking, silent = row["speaking"], row["silent"]
    full = speaking["voice_figures"]["full_sample"]
    everyone = speaking["voice_figures"]["all_listeners"]
    state = "MET" if row["meets_goal"] else "missed"
    if row["meets_goal"] is None:
        state = "NOT JUDGED (" + ", ".join(
            why for why, yes in (("generator saturated", speaking["generator"]["saturated"]),
                                 ("server core contended", speaking["server_core_contended"]))
            if yes) + ")"
    return (f"  {row['listeners']:5d} listeners: mouth-to-ear p50 {full['p50_ms']} p99 "
            f"{full['p99_ms']} ms, played {full['played']}, in time (all) "
            f"{everyone['in_time_overall']} min {everyone['in_time']['min']}; pose p99 "
            f"{speaking['pose']['p99_ms']} ms delivery {speaking['pose']['delivery']}, "
            f"ticks lost {speaking['ticks_lost']}; server cpu {silent['server_cpu']} / "
            f"{speaking['server_cpu']}; generator cpu {speaking['generator']['cpu']} lag p99 "
            f"{speaking['generator']['lag_p99_ms']} ms: {state} {'; '.join(row['missed'])}")


async def main(ladder: list[int], seconds: float) -> dict[str, Any]:
    load = os.getloadavg()  # other work on the machine skews every figure
    folder = Path(tempfile.mkdtemp(prefix="redhall-voice-"))
    database_url = f"sqlite+aiosqlite:///{folder}/bench.db"
    key = ROOT / "var/keys/publisher.key.pub"
    settings = Settings(database_url=database_url, data_dir=folder / "data", port=free_port(),
                        trusted_keys=[key])
    runner, _ = await prepare(settings, sorted((ROOT / "var/exhibits").glob("*.exhibit")))
    await runner.cleanup()
    tokens, _users, guide_token, tours = await _populate(database_url, max(ladder),
                                                         len(ladder))
    env = {**os.environ, "REDHALL_DATABASE_URL": database_url,
           "REDHALL_DATA_DIR": str(folder / "data"),
           "REDHALL_TRUSTED_KEYS": json.dumps([str(key)])}
    processes, urls, logs = _servers([str(SERVER_CORE)], env, folder)
    if (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {GENERATOR_CORE})
    rows = []
    try:
        packets = looped_packets()
        await wait_until_serving(urls[0])
        for count, tour in zip(ladder, tours):
            row = await _step(urls[0], processes[0].pid, logs, tour, guide_token,
                              tokens[:count], packets, seconds)
            print(_line(row), flush=True)
            rows.append(row)
    finally:
        for process in processes:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        shutil.rmtree(folder, ignore_errors=True)
    return summary(rows, seconds, packets, load)


def summary(rows: list[dict[str, Any]], seconds: float, packets: list[bytes],
            load: tuple[float, float, float]) -> dict[str, Any]:
    best = max((r for r in rows if r["meets_goal"]), key=lambda r: r["listeners"],
               default=None)
    full = best["speaking"]["voice_figures"]["full_sample"] if best else {}
    return {"listeners_one_core": best["listeners"] if best else 0,
            "p50_ms": full.get("p50_ms"), "p99_ms": full.get("p99_ms"),
            "played": full.get("played"),
            "received_in_time": best["speaking"]["voice_figures"]["all_listeners"][
                "in_time_overall"] if best else None,
            "pose_p99_ms": best["speaking"]["pose"]["p99_ms"] if best else None,
            "goal": {"p99_ms": GOAL_P99_MS, "played": GOAL_PLAYED,
                     "play_budget_ms": PLAY_BUDGET * 1000, "pose_p99_ms": POSE_P99_MS,
                     "pose_delivery": POSE_DELIVERY},
            "figures_from": {
                "p50_ms, p99_ms, played, full_sample": f"the full sample: {FULL_SAMPLE} "
                "listeners spread over the join order (first, last, evenly between) that "
                "decode every frame and play it through the engine's jitter buffer; "
                "mouth to ear is capture (tour clock) to decoded for its playout slot",
                "received_in_time, all_listeners": "every listener, from frame headers "
                "and capture times: packets received and received within the play "
                "budget, per listener (min/median/max) and overall",
                "pose, pose_p99_ms": f"{POSE_OBSERVERS} of the full sample standing "
                "together time each other's poses (bench/tours' observers); pose frames "
                "per tick at every listener; ticks from the server's /metrics",
                "generator": "the load generator's own CPU and the lag of its 5 ms "
                "schedule; a saturated row has meets_goal null"},
            "rows": rows, "seconds": seconds,
            "payload_bytes_mean": round(sum(map(len, packets)) / len(packets), 1),
            "machine": f"{os.cpu_count()} cores",
            "load_average": {"start": round(load[0], 2), "end": round(os.getloadavg()[0], 2)},
            "measured_at": time.strftime("%Y-%m-%d")}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ladder", type=int, nargs="+", default=[250, 500, 1000])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    # uvloop, as the server uses: a listener's read or a pose's write costs least there
    result = uvloop.run(main(args.ladder, args.seconds))
    out = args.out
    if out == RESULTS and all(row["meets_goal"] is None for row in result["rows"]):
        # nothing could be judged (a busy machine): the last judged figures stay
        out = RESULTS.with_name("voice.unjudged.json")
        print(f"no row could be judged; written to {out}, {RESULTS} kept", flush=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k not in ("rows", "figures_from")},
                     indent=2))
