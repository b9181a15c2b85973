"""What the narrator's face does at a moment: mouth shapes from a lip-sync track, blinks.

Plain functions and a small class over numbers, no Panda3D: the figure (engine/narrator.py)
asks them each frame and sets its morph targets' weights.
"""

from __future__ import annotations

import math
import random

from protocol.lipsync import LipSyncTrack

MOUTH_TARGETS = {"A": "viseme_A", "E": "viseme_E", "O": "viseme_O", "S": "viseme_S"}
BLINK_SECONDS = 0.16
BLINK_GAP = (2.0, 6.0)  # seconds between blinks, drawn at random (seeded)


def mouth_at(track: LipSyncTrack, seconds: float) -> dict[str, float]:
    """Weights 0..1 of the mouth morph targets ``seconds`` after the audio's start.

    Frame ``i`` holds from ``i / rate``; between two frames the shapes blend linearly, so
    the mouth moves smoothly at any frame rate. Before the start and after the end, and
    for ``X`` (rest) frames, the mouth is closed.
    """
    weights = dict.fromkeys(MOUTH_TARGETS.values(), 0.0)
    count = len(track.openness)
    if not math.isfinite(seconds) or seconds < 0 or count == 0:
        return weights
    position = seconds * track.rate
    index = int(position)
    if index >= count:
        return weights
    blend = position - index
    for frame, share in ((index, 1.0 - blend), (index + 1, blend)):
        if frame < count and share > 0:
            target = MOUTH_TARGETS.get(track.visemes[frame])
            if target is not None:
                weights[target] += share * track.openness[frame] / 255.0
    return {name: min(value, 1.0) for name, value in weights.items()}


class Blinker:
    """Blinks at random intervals drawn from a seeded generator: the same scene blinks
    the same way every visit, and two narrators do not blink in step."""

    def __init__(self, seed: int, start: float) -> None:
        self._random = random.Random(seed)
        self.next = start + self._random.uniform(0.5, BLINK_GAP[1])

    def weight(self, now: float) -> float:
        """How closed the eyes are at ``now`` (0 open .. 1 shut); time only moves on."""
        while now >= self.next + BLINK_SECONDS:
            self.next += BLINK_SECONDS + self._random.uniform(*BLINK_GAP)
        into = now - self.next
        if into < 0:
            return 0.0
        return 1.0 - abs(2.0 * into / BLINK_SECONDS - 1.0)  # closes, then opens


def envelope(seconds: float, length: float, ramp: float) -> float:
    """0 -> 1 over ``ramp`` seconds, 1 until ``ramp`` before ``length``, then back to 0
    (smoothstep ramps): how far a gesture has turned the narrator."""
    if seconds <= 0 or seconds >= length:
        return 0.0
    edge = min(seconds, length - seconds, ramp) / ramp
    return edge * edge * (3 - 2 * edge)


def approach(value: float, target: float, rate: float, dt: float) -> float:
    """``value`` moved toward ``target`` as a critically damped follower would in ``dt``."""
    return target + (value - target) * math.exp(-rate * max(dt, 0.0))
