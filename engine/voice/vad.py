"""Whether to send a frame: voice-activity detection or push-to-talk.

The detector compares each frame's level with a noise floor it keeps (following quiet
frames quickly, loud ones slowly) and keeps sending for a hangover after the last voiced
frame, so word endings and short pauses are not clipped. Nothing is sent in silence.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

TalkMode = Literal["vad", "push_to_talk"]

FLOOR_START_DB = -60.0
MIN_SPEECH_DB = -45.0  # quieter than this is never speech
ABOVE_FLOOR_DB = 12.0
HANGOVER_FRAMES = 15  # 300 ms
FLOOR_RISE = 0.005  # per frame: a few seconds of steady noise become the floor


def level_db(frame: np.ndarray) -> float:
    """The frame's RMS level in dBFS (−120 for digital silence)."""
    rms = float(np.sqrt(np.mean(np.square(frame, dtype=np.float64)))) if frame.size else 0.0
    return 20.0 * math.log10(rms) if rms > 1e-6 else -120.0


class VoiceGate:
    """Decides frame by frame whether this participant is talking.

    Args:
        mode: ``"vad"`` sends while voice is detected; ``"push_to_talk"`` only while
            :attr:`pressed` (the talk key is held).
    """

    def __init__(self, mode: TalkMode = "vad") -> None:
        self.mode: TalkMode = mode
        self.pressed = False
        self.floor = FLOOR_START_DB
        self._hang = 0

    def voiced(self, frame: np.ndarray) -> bool:
        """Whether the detector hears voice in ``frame`` (it also learns the floor)."""
        level = level_db(frame)
        speech = level > max(self.floor + ABOVE_FLOOR_DB, MIN_SPEECH_DB)
        # the floor falls to quiet frames at once and creeps up under steady noise
        self.floor = level if level < self.floor else self.floor + FLOOR_RISE * (level - self.floor)
        return speech

    def send(self, frame: np.ndarray) -> bool:
        """Whether ``frame: (960,) float32`` goes out."""
        speech = self.voiced(frame)
        if self.mode == "push_to_talk":
            return self.pressed
        if speech:
            self._hang = HANGOVER_FRAMES
            return True
        if self._hang > 0:
            self._hang -= 1
            return True
        return False
