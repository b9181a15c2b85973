"""The load generator's schedule: every listener poses at 20 Hz, the guide steers once a
second and, while speaking, sends a 20 ms Opus packet every 20 ms; the full listeners play
out every 10 ms. One loop on 5 ms steps does it all, each step sending a tenth of the
poses, so the sends spread over each 50 ms tick as in ``bench/tours``."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable

from bench.tours.generator import Stats
from bench.tours.sway import VARIANTS, swaying
from bench.voice.gauge import Gauge
from bench.voice.listeners import FullListener, Listener
from bench.voice.websocket import client_frame
from engine.voice import FRAME_SECONDS
from protocol import tour as wire
from protocol.tour_poses import Pose, Transform, encode_pose
from protocol.voice import encode_voice

STEP = 0.005
GROUPS = 10  # steps per 50 ms pose tick
PLAY_EVERY = 2  # steps: 10 ms, as the engine's playout loop
STEER_EVERY = 200  # steps: 1 s


class Drive:
    """Runs the schedule until :meth:`stop`; :meth:`speak` turns the guide's voice on."""

    def __init__(self, guide: Listener, people: list[Listener], observers: list[Listener],
                 packets: list[bytes], spread: float, rng: random.Random) -> None:
        self.guide = guide
        self.packets = packets
        self.speaking = False
        self.voice_due = 0.0
        self.sent = 0  # voice packets since the window began
        self.writes = 0  # poses sent since the window began
        self.seq = 0
        self.gauge: Gauge | None = None
        self.poses = Stats()
        self.observers = observers
        self.full = [p for p in people if isinstance(p, FullListener)]
        self.rng = rng
        self._stop = asyncio.Event()
        # each listener's write and its swaying poses, dealt into the groups
        self.groups: list[list[tuple[Callable[[bytes], None], list[bytes]]]] = \
            [[] for _ in range(GROUPS)]
        self.observer_groups: list[list[Listener]] = [[] for _ in range(GROUPS)]
        self.pose_seq: dict[int, int] = {}
        for index, person in enumerate(people):
            if person in observers:
                self.observer_groups[index % GROUPS].append(person)
                self.pose_seq[person.seat] = 0
                continue
            assert person.transport is not None
            frames = [client_frame(2, pose) for pose in swaying(
                rng.uniform(-spread, spread), rng.uniform(-spread, spread))]
            self.groups[index % GROUPS].append((person.transport.write, frames))

    def time_poses(self, stats: Stats) -> None:
        """Observers time each other's poses into ``stats`` from now on."""
        stats.observer_seats = {p.seat for p in self.observers}
        self.poses = stats
        for observer in self.observers:
            observer.poses = stats

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        step, next_at = 0, loop.time()
        while not self._stop.is_set():
            group = step % GROUPS
            variant = (step // GROUPS) % VARIANTS
            for write, frames in self.groups[group]:
                write(frames[variant])
            for observer in self.observer_groups[group]:
                self._observer_pose(observer)
            self.writes += len(self.groups[group]) + len(self.observer_groups[group])
            if self.speaking:
                self._speak()
            if step % PLAY_EVERY == 0:
                for listener in self.full:
                    listener.play()
            if step % STEER_EVERY == 0:
                self._steer(step // STEER_EVERY)
            step += 1
            next_at += STEP
            delay = next_at - loop.time()
            if delay < 0 and self.gauge is not None:
                self.gauge.behind(-delay)
            await asyncio.sleep(max(0.0, delay))
            lag = max(0.0, loop.time() - next_at)
            if self.gauge is not None:
                self.gauge.woke(lag)
            if lag > STEP:  # behind: the schedule goes on from now, without a burst
                next_at = loop.time()

    def _observer_pose(self, observer: Listener) -> None:
        """An observer poses at a spot near the other observers, with a sequence number of
        its own, timed when sent."""
        seq = self.pose_seq[observer.seat] = (self.pose_seq[observer.seat] + 1) & 0xFFFF
        pose = Pose(Transform((self.rng.uniform(0, 3), 1.6, self.rng.uniform(0, 3))), seq=seq)
        data = client_frame(2, encode_pose(pose))
        self.poses.sent_at[(observer.seat, seq)] = time.perf_counter()
        if self.poses.measuring:
            self.poses.expected += len(self.observers) - 1
        observer.write(data)

    def speak(self, on: bool) -> None:
        """The guide starts (or stops) speaking now."""
        self.speaking = on
        self.voice_due = time.time() + FRAME_SECONDS

    def _speak(self) -> None:
        """Every packet of the recording whose 20 ms have been captured by now, stamped
        with its first sample's capture time: a late loop sends late, never fewer."""
        now = time.time()
        while self.voice_due <= now:
            packet = self.packets[self.seq % len(self.packets)]
            self.guide.write(client_frame(2, encode_voice(
                self.seq, self.voice_due - FRAME_SECONDS, packet)))
            self.seq += 1
            self.sent += 1
            self.voice_due += FRAME_SECONDS

    def _steer(self, second: int) -> None:
        """What ``bench/tours``' guide does each second: follow-me and the laser."""
        for message in (wire.Follow(on=second % 2 == 0),
                        wire.Laser(origin=(0, 1.5, 0), target=(second % 5, 1.0, 2.0))):
            self.guide.write(client_frame(1, message.model_dump_json().encode()))
