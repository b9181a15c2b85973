"""Where a recorded tour stands at any moment: the guide's pose between two samples, and
the stop, highlight, laser and quiz item the messages up to then leave in place. Pure, so
seeking anywhere is a lookup, not a replay from the start."""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from typing import Any

from engine.replay_recording import GuidePose
from protocol import tour as wire

SPEEDS = (0.5, 1.0, 1.5, 2.0)


@dataclass(frozen=True)
class TourAt:
    scene: str | None = None
    stop: str | None = None
    highlight: str | None = None
    laser: tuple[wire.Vec3, wire.Vec3 | None] | None = None
    quiz: wire.QuizState | None = None


class Timeline:
    def __init__(self, messages: list[tuple[float, Any]], poses: list[GuidePose],
                 first_scene: str | None = None) -> None:
        self.first_scene = first_scene
        self.messages = messages
        self._message_times = [t for t, _ in messages]
        self.poses = poses
        self._pose_times = [p.t for p in poses]

    def tour_at(self, t: float) -> TourAt:
        scene, stop, highlight = self.first_scene, None, None
        laser: tuple[wire.Vec3, wire.Vec3 | None] | None = None
        quiz = None
        for _, message in self.messages[:bisect.bisect_right(self._message_times, t)]:
            if isinstance(message, wire.StopChanged):
                scene, stop, highlight = message.scene, message.stop, None
            elif isinstance(message, wire.Highlighted):
                highlight = message.hotspot
            elif isinstance(message, wire.LaserMoved):
                laser = (message.origin, message.target) if message.origin else None
            elif isinstance(message, wire.QuizUpdate):
                quiz = message.quiz
            elif isinstance(message, wire.Welcome):
                scene = message.snapshot.scene
        return TourAt(scene, stop, highlight, laser, quiz)

    def guide_at(self, t: float) -> tuple[tuple[float, float, float], float] | None:
        """The guide's head position and heading (degrees) at ``t``, interpolated between
        the samples around it; held at the first and last sample."""
        if not self.poses:
            return None
        i = bisect.bisect_right(self._pose_times, t)
        if i == 0:
            a = b = self.poses[0]
        elif i == len(self.poses):
            a = b = self.poses[-1]
        else:
            a, b = self.poses[i - 1], self.poses[i]
        mix = (t - a.t) / (b.t - a.t) if b.t > a.t else 0.0
        mix = min(1.0, max(0.0, mix))
        head = tuple(pa + (pb - pa) * mix for pa, pb in zip(a.head, b.head, strict=True))
        ha, hb = _heading(a), _heading(b)
        turn = (hb - ha + 180.0) % 360.0 - 180.0  # the short way round
        return (head[0], head[1], head[2]), ha + turn * mix


def _heading(pose: GuidePose) -> float:
    _, _, qz, qw = pose.rotation
    return math.degrees(2 * math.atan2(qz, qw))


class Playback:
    """The replay's own clock: paused or running at one of :data:`SPEEDS`, seekable."""

    def __init__(self, duration: float) -> None:
        self.duration = duration
        self.position = 0.0
        self.speed = 1.0
        self.paused = False

    def advance(self, dt: float) -> None:
        if not self.paused and math.isfinite(dt) and dt > 0:
            self.position = min(self.duration, self.position + dt * self.speed)

    def seek(self, t: float) -> None:
        if math.isfinite(t):
            self.position = min(self.duration, max(0.0, t))

    def set_speed(self, speed: float) -> None:
        if speed not in SPEEDS:
            raise ValueError(f"replay speeds are {', '.join(map(str, SPEEDS))}")
        self.speed = speed

    @property
    def finished(self) -> bool:
        return self.position >= self.duration
