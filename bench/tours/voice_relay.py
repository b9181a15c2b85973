"""Voice in one tour: one guide speaking (50 Opus packets a second, a looped recording)
to N listeners who pose at 20 Hz, against the same tour silent.

One `redhall serve` pinned to core 0, this load generator pinned to core 1. For each N
of the ladder, a fresh tour runs ``--seconds`` silent, then ``--seconds`` with the guide
speaking. For each half: the server's socket sends per listener per second (``perf stat``
on its send syscalls), the bytes each listener received per second, the server's CPU
(share of one core), its pose ticks. With voice: capture (tour clock) to arrival at every
listener (``relay_*``), capture to decoded by libopus at ``OBSERVERS`` listeners
(``p50_ms``/``p99_ms``: mouth to ear without the jitter buffer's wait), and ``played``:
the share of packets sent × listeners that arrived within ``PLAY_BUDGET`` of capture
(a jitter buffer of at most 200 ms plays them; later ones are lost).

    bench/tours/voice_run --ladder 250 500 1000 --seconds 10

Writes bench/results/voice.json: ``listeners_one_core``, ``p50_ms``, ``p99_ms``, ``played``
for the largest N that met the goal (p99 ≤ 200 ms, played ≥ 99.5 %, generator not late),
and one row per N tried.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.serving import free_port, wait_until_serving
from bench.tours.generator import HANDSHAKE, Participant, Stats, client_frame
from bench.tours.measure import _populate, _servers, _tick_counters
from bench.tours.sway import VARIANTS, swaying
from protocol import tour as wire
from protocol.voice import ENTRY_HEADER, FRAME_HEADER, VOICE_FRAME_KIND, encode_voice
from server.demo import prepare
from server.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench/results/voice.json"
OBSERVERS = 8
PLAY_BUDGET = 0.200
GOAL_P99_MS = 200.0
GOAL_PLAYED = 0.995
SENDS = ("syscalls:sys_enter_sendto", "syscalls:sys_enter_sendmsg",
         "syscalls:sys_enter_write", "syscalls:sys_enter_writev")


class Listener(Participant):
    """Counts the bytes it receives; its frames go to :class:`VoiceStats`."""

    def __init__(self, voice: VoiceStats) -> None:
        super().__init__(voice, observer=True)  # type: ignore[arg-type]
        self.bytes = 0

    def data_received(self, data: bytes) -> None:
        self.bytes += len(data)
        super().data_received(data)


class VoiceStats:
    """Stands where ``Participant`` expects its pose statistics: times each voice packet
    of each voice frame a listener gets (pose frames are only counted); the observers'
    packets are decoded too."""

    def __init__(self) -> None:
        self.decoders: dict[int, Any] = {}  # id(observer) -> its libopus decoder
        self.reset()

    def reset(self) -> None:
        self.measuring = False
        self.latencies: list[float] = []  # capture to arrival, every listener
        self.decoded: list[float] = []  # capture to decoded, the observers
        self.in_time = 0
        self.sent = 0

    def watch(self, listener: Participant) -> None:
        import av

        decoder = av.CodecContext.create("libopus", "r")
        assert isinstance(decoder, av.AudioCodecContext)
        decoder.sample_rate, decoder.layout = 48_000, "mono"
        self.decoders[id(listener)] = decoder

    def observe(self, receiver: Participant, frame: bytearray) -> None:
        if not self.measuring or frame[0] != VOICE_FRAME_KIND:
            return
        import av

        now = time.time()
        decoder = self.decoders.get(id(receiver))
        offset = FRAME_HEADER.size
        for _ in range(int.from_bytes(frame[2:4], "little")):
            _seat, _seq, capture, length = ENTRY_HEADER.unpack_from(frame, offset)
            offset += ENTRY_HEADER.size
            self.latencies.append(now - capture)
            self.in_time += now - capture <= PLAY_BUDGET
            if decoder is not None:
                decoder.decode(av.Packet(bytes(frame[offset:offset + length])))
                self.decoded.append(time.time() - capture)
            offset += length


def _opus_loop(count: int = 50) -> list[bytes]:
    """A second of real Opus packets (speech-like: a gliding tone with syllable gaps)."""
    import av
    import numpy as np

    context = av.CodecContext.create("libopus", "w")
    assert isinstance(context, av.AudioCodecContext)
    context.sample_rate, context.layout, context.format = 48_000, "mono", "s16"
    context.bit_rate = 20_000
    context.options = {"frame_duration": "20", "application": "voip", "fec": "1",
                       "packet_loss": "10"}
    t = np.arange(count * 960) / 48_000
    pitch = 140 + 40 * np.sin(2 * np.pi * 0.7 * t)
    envelope = 0.3 + 0.7 * (np.sin(2 * np.pi * 4 * t) > -0.2)
    pcm = (np.sin(2 * np.pi * np.cumsum(pitch) / 48_000) * envelope * 9000).astype(np.int16)
    packets: list[bytes] = []
    for i in range(count):
        frame = av.AudioFrame.from_ndarray(pcm[i * 960:(i + 1) * 960].reshape(1, -1),
                                           format="s16", layout="mono")
        frame.sample_rate, frame.pts = 48_000, i * 960
        packets += [bytes(p) for p in context.encode(frame)]
    return packets + [bytes(p) for p in context.encode(None)]


async def _connect(url: str, tour: int, token: str, make: Any) -> Participant:
    loop = asyncio.get_running_loop()
    host, port = url.removeprefix("http://").split(":")
    _, protocol = await loop.create_connection(make, host, int(port))
    protocol.transport.write(HANDSHAKE.format(path=f"/api/tours/{tour}/live",
                                              host=f"{host}:{port}").encode())
    protocol.transport.write(client_frame(1, wire.Hello(
        version=wire.TOUR_PROTOCOL, token=token).model_dump_json().encode()))
    await asyncio.wait_for(protocol.welcomed, 60)
    return protocol  # type: ignore[no-any-return]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _half(server: int, urls: list[str], listeners: list[Listener],
                guide: Participant | None, packets: list[bytes], seconds: float,
                voice: VoiceStats) -> dict[str, Any]:
    """One measured stretch: listeners pose at 20 Hz; the guide speaks if given."""
    loop = asyncio.get_running_loop()
    rng = random.Random(3)
    poses = {id(p): [client_frame(2, pose) for pose in swaying(rng.uniform(-20, 20),
                                                               rng.uniform(-20, 20))]
             for p in listeners}
    perf = subprocess.Popen(["perf", "stat", "-x,", "-e", ",".join(SENDS), "-p", str(server),
                             "--", "sleep", str(seconds)],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    before_ticks = await _tick_counters(urls)
    bytes_before = sum(p.bytes for p in listeners)
    cpu_before, started = _cpu_seconds(server), time.perf_counter()
    voice.reset()
    voice.measuring = True
    seq, next_at, step, late = 0, loop.time(), 0, 0.0
    while time.perf_counter() - started < seconds:  # 10 ms steps
        if guide is not None and step % 2 == 0:  # a 20 ms packet, stamped on the tour clock
            guide.transport.write(client_frame(2, encode_voice(  # type: ignore[union-attr]
                seq, time.time(), packets[seq % len(packets)])))
            seq += 1
            voice.sent += 1
        for p in listeners[step % 5::5]:  # each listener poses every 5th step: 20 Hz
            p.transport.write(poses[id(p)][(step // 5) % VARIANTS])  # type: ignore[union-attr]
        step += 1
        next_at += 0.01
        delay = next_at - loop.time()
        if delay < 0:
            late, next_at = late - delay, loop.time()
        await asyncio.sleep(max(0.0, delay))
    measured = time.perf_counter() - started
    cpu = (_cpu_seconds(server) - cpu_before) / measured
    await asyncio.sleep(PLAY_BUDGET * 2)  # the last packets sent are still on their way
    voice.measuring = False
    _, err = perf.communicate()
    sends = sum(float(line.split(",")[0]) for line in err.splitlines()
                if line and line.split(",")[0].replace(".", "").isdigit())
    ticks = await _tick_counters(urls)
    n = len(listeners)

    def pct(q: float, values: list[float]) -> float | None:
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1) \
            if ordered else None
    return {
        "listeners": n, "voice": guide is not None, "seconds": round(measured, 2),
        "server_cpu": round(cpu, 3),
        "sends_per_listener_per_s": round(sends / n / measured, 2),
        "bytes_per_listener_per_s": round((sum(p.bytes for p in listeners) - bytes_before)
                                          / n / measured),
        "server_ticks": int(ticks["ticks"] - before_ticks["ticks"]),
        "ticks_lost": int(ticks["lost"] - before_ticks["lost"]),
        "voice_packets_sent": voice.sent,
        "voice_delivered": round(len(voice.latencies) / (voice.sent * n), 4)
        if voice.sent else None,
        "played": round(voice.in_time / (voice.sent * n), 4) if voice.sent else None,
        "relay_p50_ms": pct(0.5, voice.latencies), "relay_p99_ms": pct(0.99, voice.latencies),
        "p50_ms": pct(0.5, voice.decoded), "p99_ms": pct(0.99, voice.decoded),
        "generator_late_s": round(late, 2),
        "generator_saturated": late > 0.05 * measured,
    }


async def _step(url: str, pid: int, tour: int, tokens: list[str], guide_token: str,
                packets: list[bytes], seconds: float) -> dict[str, Any]:
    """One N: listeners join a fresh tour, which runs silent, then with the guide speaking;
    then the tour ends."""
    voice = VoiceStats()
    guide = await _connect(url, tour, guide_token, lambda: Participant(Stats(), observer=False))
    people: list[Any] = []  # Listener
    started = time.perf_counter()
    for index in range(0, len(tokens), 50):  # join in waves, as a real audience would
        people += await asyncio.gather(*(_connect(url, tour, t, lambda: Listener(voice))
                                         for t in tokens[index:index + 50]))
    join_seconds = time.perf_counter() - started
    for listener in people[:OBSERVERS]:
        voice.watch(listener)
    await asyncio.sleep(2.0)  # the joins are applied and announced
    silent = await _half(pid, [url], people, None, packets, seconds, voice)
    speaking = await _half(pid, [url], people, guide, packets, seconds, voice)
    closed = sum(p.closed for p in people)
    # ended, the tour lets its seats go now rather than holding them into the next step
    guide.transport.write(client_frame(1, wire.EndTour().model_dump_json().encode()))  # type: ignore[union-attr]
    await asyncio.sleep(2.0)
    for p in [guide, *people]:
        p.transport.close()
    met = (speaking["p99_ms"] is not None and speaking["p99_ms"] <= GOAL_P99_MS
           and speaking["played"] >= GOAL_PLAYED and not speaking["generator_saturated"]
           and not closed)
    return {"listeners": len(people), "join_seconds": round(join_seconds, 1),
            "silent": silent, "speaking": speaking, "listeners_closed": closed,
            "meets_goal": met}


async def main(ladder: list[int], seconds: float) -> dict[str, Any]:
    load = os.getloadavg()[0]  # other work on the machine skews every figure
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
    processes, urls, _logs = _servers(["0"], env, folder)
    if (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})
    packets = _opus_loop()
    rows = []
    try:
        await wait_until_serving(urls[0])
        for count, tour in zip(ladder, tours):
            row = await _step(urls[0], processes[0].pid, tour, tokens[:count], guide_token,
                              packets, seconds)
            speaking = row["speaking"]
            print(f"  {count:5d} listeners: decoded p50 {speaking['p50_ms']} ms p99 "
                  f"{speaking['p99_ms']} ms, played {speaking['played']}, sends/listener/s "
                  f"{row['silent']['sends_per_listener_per_s']} silent "
                  f"{speaking['sends_per_listener_per_s']} speaking, server cpu "
                  f"{row['silent']['server_cpu']} / {speaking['server_cpu']}", flush=True)
            rows.append(row)
    finally:
        for process in processes:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
    best = max((r for r in rows if r["meets_goal"]), key=lambda r: r["listeners"],
               default=None)
    return {"listeners_one_core": best["listeners"] if best else 0,
            "p50_ms": best["speaking"]["p50_ms"] if best else None,
            "p99_ms": best["speaking"]["p99_ms"] if best else None,
            "played": best["speaking"]["played"] if best else None,
            "goal": {"p99_ms": GOAL_P99_MS, "played": GOAL_PLAYED,
                     "play_budget_ms": PLAY_BUDGET * 1000},
            "rows": rows, "seconds": seconds,
            "payload_bytes_mean": round(sum(map(len, packets)) / len(packets), 1),
            "machine": f"{os.cpu_count()} cores",
            "load_average": {"start": load, "end": os.getloadavg()[0]},
            "measured_at": time.strftime("%Y-%m-%d")}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ladder", type=int, nargs="+", default=[250, 500, 1000])
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    result = asyncio.run(main(args.ladder, args.seconds))
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}, indent=2))
