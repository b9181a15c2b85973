"""A lean live-tour load generator: raw websockets over asyncio protocols.

Every participant sends a pre-encoded, pre-framed pose message at 20 Hz (client frames
masked with the all-zero key, which RFC 6455 allows, so no per-message work). Received
frames are counted from their headers only, except on a few observer clients that decode
pose frames to measure latency: an observer's pose is timed from send to arrival at every
other observer.

With ``--colyseus-room`` the same participants join a Colyseus room instead (seats from
its matchmaker, the same pose bytes as a bytes message); ``colyseus/observers.js`` then
does the timing.

Run as its own process (pinned to its own core); it prints one JSON line of figures,
including whether the generator itself was saturated.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import struct
import time
from pathlib import Path

import aiohttp

from bench.tours.stand_ins import StandIn
from bench.tours.sway import VARIANTS, swaying
from protocol import tour as wire
from protocol.tour_poses import ENTRY_SIZE, FRAME_HEADER, Pose, Transform, encode_pose

HANDSHAKE = ("GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: cmVkaGFsbC1iZW5jaGtleQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")


def client_frame(opcode: int, payload: bytes) -> bytes:
    """A masked client frame with the zero mask key: the payload goes out unchanged."""
    size = len(payload)
    if size < 126:
        head = bytes([0x80 | opcode, 0x80 | size])
    elif size < 65536:
        head = bytes([0x80 | opcode, 0x80 | 126]) + struct.pack(">H", size)
    else:
        head = bytes([0x80 | opcode, 0x80 | 127]) + struct.pack(">Q", size)
    return head + b"\0\0\0\0" + payload


class Participant(asyncio.Protocol):
    def __init__(self, stats: Stats, observer: bool, colyseus: bool = False) -> None:
        self.stats = stats
        self.observer = observer
        self.colyseus = colyseus
        self.buffer = bytearray()
        self.upgraded = False
        self.seat: int | None = None
        self.welcomed = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.frames = 0
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.welcomed.done():
            self.welcomed.set_exception(ConnectionError("closed before the welcome"))

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        if not self.upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buffer.startswith(b"HTTP/1.1 101"):
                self.welcomed.set_exception(ConnectionError(bytes(buffer[:200]).decode()))
                return
            del buffer[:end + 4]
            self.upgraded = True
        offset = 0
        size = len(buffer)
        while size - offset >= 2:
            opcode, length = buffer[offset] & 0x0F, buffer[offset + 1] & 0x7F
            start = offset + 2
            if length == 126:
                if size - offset < 4:
                    break
                length = (buffer[offset + 2] << 8) | buffer[offset + 3]
                start = offset + 4
            elif length == 127:
                if size - offset < 10:
                    break
                length = int.from_bytes(buffer[offset + 2:offset + 10], "big")
                start = offset + 10
            if size - start < length:
                break
            if opcode == 2 and self.colyseus and not self.welcomed.done():
                self._colyseus_joined(buffer[start])
            elif opcode == 2:
                self.frames += 1
                if self.observer:
                    self.stats.observe(self, buffer[start:start + length])
            elif opcode == 1 and self.seat is None:
                self._welcome(bytes(buffer[start:start + length]))
            elif opcode == 9:  # ping: a client that stays quiet (while others join) must pong
                self.transport.write(client_frame(10, bytes(buffer[start:start + length])))  # type: ignore[union-attr]
            offset = start + length
        del buffer[:offset]

    def _colyseus_joined(self, code: int) -> None:
        """Colyseus answers the socket with JOIN_ROOM (10); the client acknowledges with
        the same code, and state patches follow."""
        if code == 10:
            self.transport.write(client_frame(2, b"\x0a"))  # type: ignore[union-attr]
            self.welcomed.set_result(None)
        else:
            self.welcomed.set_exception(ConnectionError(f"colyseus said {code} first"))

    def _welcome(self, text: bytes) -> None:
        message = wire.SERVER.validate_json(text)
        if isinstance(message, wire.Welcome):
            self.seat = message.seat
            self.welcomed.set_result(message)
        elif not self.welcomed.done():
            self.welcomed.set_exception(ConnectionError(text.decode()))


class Stats:
    def __init__(self) -> None:
        self.sent_at: dict[tuple[int, int], float] = {}
        self.latencies: list[float] = []
        self.exact = 0
        self.superseded = 0
        self.expected = 0
        self.observer_seats: set[int] = set()
        self.stood_in_seats: set[int] = set()  # observers of the other processes' members
        self.stood_in_latencies: list[float] = []
        self.measuring = False
        self.last_seen: dict[tuple[int | None, int], int] = {}

    def observe(self, receiver: Participant, frame: bytearray) -> None:
        now = time.perf_counter()
        count = struct.unpack_from("<H", frame, 2)[0]
        for i in range(count):
            offset = FRAME_HEADER.size + i * ENTRY_SIZE
            seat, seq = struct.unpack_from("<HxH", frame, offset)
            if seat == receiver.seat or seat not in self.observer_seats:
                continue
            sent = self.sent_at.get((seat, seq))
            key = (receiver.seat, seat)
            last = self.last_seen.get(key)
            if sent is not None and self.measuring and last != seq:
                self.latencies.append(now - sent)
                if seat in self.stood_in_seats:
                    self.stood_in_latencies.append(now - sent)
                self.exact += 1
                if last is not None and (seq - last) & 0xFFFF == 2:
                    self.superseded += 1  # the pose between was replaced within one tick
            self.last_seen[key] = seq


async def _colyseus_seat(http: aiohttp.ClientSession, url: str, room: str) -> str:
    """A seat reserved through Colyseus's matchmaker; the socket path that takes it."""
    async with http.post(f"{url}/matchmake/joinById/{room}", json={}) as response:
        seat = await response.json()
    return f"/{seat['room']['processId']}/{room}?sessionId={seat['sessionId']}"


async def run(urls: list[str], tour: int, tokens: list[str], seconds: float, observers: int,
              spread: float, colyseus_room: str | None = None,
              stand_ins: list[StandIn] | None = None, relay_hz: float = 100.0
              ) -> dict[str, object]:
    loop = asyncio.get_running_loop()
    stats = Stats()
    people: list[Participant] = []
    path = f"/api/tours/{tour}/live"
    rng = random.Random(7)

    http = aiohttp.ClientSession()

    async def connect(token: str, observer: bool, url: str) -> Participant:
        host, port = url.removeprefix("http://").split(":")
        socket_path = path if colyseus_room is None else \
            await _colyseus_seat(http, url, colyseus_room)
        _, protocol = await loop.create_connection(
            lambda: Participant(stats, observer, colyseus_room is not None), host, int(port))
        assert protocol.transport is not None
        protocol.transport.write(HANDSHAKE.format(path=socket_path,
                                                  host=f"{host}:{port}").encode())
        if colyseus_room is None:
            protocol.transport.write(client_frame(1, wire.Hello(
                version=wire.TOUR_PROTOCOL, token=token).model_dump_json().encode()))
        await asyncio.wait_for(protocol.welcomed, 60)
        return protocol

    started = time.perf_counter()
    stand_ins = stand_ins or []
    for stand_in in stand_ins:  # the other processes' members first: their seats come next
        await stand_in.join()
    for stand_in in stand_ins:
        await stand_in.find_seats()
    for index in range(0, len(tokens), 50):  # join in waves, as a real audience would
        batch = tokens[index:index + 50]
        people += await asyncio.gather(*(connect(t, index + i < observers,
                                                 urls[(index + i) % len(urls)])
                                         for i, t in enumerate(batch)))
    join_seconds = time.perf_counter() - started
    await http.close()
    watchers = [p for p in people if p.observer]
    stats.observer_seats = {p.seat for p in watchers}  # type: ignore[misc]
    # observers stand together (one interest cell); the rest spread over the floor, each
    # cycling through its swaying poses (``bench.tours.sway``)
    frames: dict[int, list[bytes]] = {}
    for p in people:
        x, z = (rng.uniform(0, 3), rng.uniform(0, 3)) if p.observer else \
            (rng.uniform(-spread, spread), rng.uniform(-spread, spread))
        # Colyseus: ROOM_DATA_BYTES (17), message type 1, the same pose bytes
        frames[id(p)] = [client_frame(2, b"\x11\x01" + pose if colyseus_room else pose)
                         for pose in swaying(x, z)]
    seq = {p.seat: 0 for p in watchers}

    def send_observer(p: Participant) -> None:
        seq[p.seat] = (seq[p.seat] + 1) & 0xFFFF  # type: ignore[index]
        x, z = rng.uniform(0, 3), rng.uniform(0, 3)
        data = client_frame(2, encode_pose(Pose(Transform((x, 1.6, z)), seq=seq[p.seat])))
        stats.sent_at[(p.seat, seq[p.seat])] = time.perf_counter()  # type: ignore[index]
        if stats.measuring:
            stats.expected += len(watchers) - 1
        p.transport.write(data)  # type: ignore[union-attr]

    groups = 10
    period = 0.05
    late = 0.0
    ticks = 0
    cpu_start = time.process_time()
    wall_start = time.perf_counter()
    warmup = 2.0
    relays = [asyncio.create_task(s.relay(stats, len(watchers), relay_hz,
                                          wall_start + seconds + warmup)) for s in stand_ins]
    frames_at_start: dict[int, int] = {}
    next_at = loop.time()
    while time.perf_counter() - wall_start < seconds + warmup:
        if not stats.measuring and time.perf_counter() - wall_start >= warmup:
            stats.measuring = True
            frames_at_start = {id(p): p.frames for p in people}
            cpu_start = time.process_time()
            measure_start = time.perf_counter()
        for group in range(groups):  # spread the sends over the tick
            for p in people[group::groups]:
                if p.closed:
                    continue
                if p.observer:
                    send_observer(p)
                else:
                    p.transport.write(frames[id(p)][ticks % VARIANTS])  # type: ignore[union-attr]
            next_at += period / groups
            delay = next_at - loop.time()
            if delay < 0:
                late += -delay
                next_at = loop.time()
            await asyncio.sleep(max(0.0, delay))
        ticks += 1
    measured = time.perf_counter() - measure_start
    cpu = (time.process_time() - cpu_start) / measured
    await asyncio.gather(*relays)
    stand_ins_late = sum(s.late for s in stand_ins)
    for stand_in in stand_ins:
        await stand_in.close()
    for p in people:
        p.transport.close()  # type: ignore[union-attr]
    received = sorted((p.frames - frames_at_start.get(id(p), 0)) / (measured / period)
                      for p in people)
    latencies = sorted(stats.latencies)

    def pct(q: float, latencies: list[float] = latencies) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 \
            if latencies else float("nan")
    from_stand_ins = {"p99_ms_from_other_processes": round(pct(
        0.99, sorted(stats.stood_in_latencies)), 1)} if stand_ins else {}
    delivered = (stats.exact + stats.superseded) / stats.expected if stats.expected else 0.0
    return {"participants": len(people) + sum(len(s.users) for s in stand_ins),
            "local_participants": len(people), "join_seconds": round(join_seconds, 2),
            "p50_ms": round(pct(0.5), 1), "p99_ms": round(pct(0.99), 1),
            "pose_delivery": round(min(1.0, delivered), 4), **from_stand_ins,
            "frames_per_tick_median": round(received[len(received) // 2], 3),
            "frames_per_tick_p1": round(received[len(received) // 100], 3),
            "closed": sum(p.closed for p in people),
            "generator_cpu": round(cpu, 2), "generator_late_s": round(late, 2),
            "stand_ins_late_s": round(stand_ins_late, 2),
            "generator_saturated": cpu > 0.9 or late > 0.05 * measured
            or stand_ins_late > 0.05 * measured}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, nargs="+", help="one or more servers; "
                        "participants are dealt to them in turn")
    parser.add_argument("--tour", type=int, default=0)
    parser.add_argument("--tokens", help="file with one token a line")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--observers", type=int, default=8)
    parser.add_argument("--stand-ins", type=int, default=0, help="stand in on Redis for "
                        "this many other server processes, each with --count members of "
                        "its own (bench/tours/stand_ins.py)")
    parser.add_argument("--stand-in-users", help="file with the user ids of the stand-ins' "
                        "members, one a line (--count for each)")
    parser.add_argument("--redis", help="the servers' REDHALL_REDIS_URL, for --stand-ins")
    parser.add_argument("--prefix", help="the servers' REDHALL_REDIS_PREFIX")
    parser.add_argument("--relay-hz", type=float, default=100.0,
                        help="the servers' REDHALL_TOUR_RELAY_HZ")
    parser.add_argument("--colyseus-room", help="join this Colyseus room instead of a tour "
                        "(no observers here: bench/tours/colyseus/observers.js times it)")
    args = parser.parse_args()
    if args.colyseus_room:
        tokens, args.observers = [""] * args.count, 0
    else:
        tokens = Path(args.tokens).read_text().split()[:args.count]
        assert len(tokens) == args.count, "not enough tokens"
    everyone = args.count * (1 + args.stand_ins)
    spread = max(10.0, (everyone * 16) ** 0.5 / 2)  # about 16 m² each
    rng = random.Random(11)
    users = [int(u) for u in Path(args.stand_in_users).read_text().split()] \
        if args.stand_ins else []
    assert len(users) >= args.count * args.stand_ins, "not enough stand-in users"
    stand_ins = [StandIn(args.redis, args.prefix, args.tour,
                         users[i * args.count:(i + 1) * args.count], args.observers // 2,
                         spread, rng) for i in range(args.stand_ins)]
    result = asyncio.run(run(args.url, args.tour, tokens, args.seconds, args.observers,
                             spread, args.colyseus_room, stand_ins, args.relay_hz))
    print(json.dumps(result), flush=True)
    os._exit(0)


if __name__ == "__main__":
    main()
