"""This participant's voice going out: gated (voice activity or push-to-talk), encoded to
Opus and wrapped in the tour's voice message with a sequence number and capture time."""

from __future__ import annotations

import numpy as np

from engine.voice.codec import OpusEncoder
from engine.voice.vad import TalkMode, VoiceGate
from protocol.voice import encode_voice


class VoiceSender:
    """Turns captured 20 ms frames into voice messages; silence gives none."""

    def __init__(self, mode: TalkMode = "vad", bitrate: int = 20_000) -> None:
        self.gate = VoiceGate(mode)
        self.encoder = OpusEncoder(bitrate)
        self.seq = 0
        self.sent = 0
        self.talking = False  # whether the last frame went out

    def message(self, frame: np.ndarray, capture: float) -> bytes | None:
        """The message for ``frame: (960,) float32`` captured at ``capture`` (tour clock),
        or None when it is not sent."""
        self.talking = self.gate.send(frame)
        if not self.talking:
            return None
        packet = self.encoder.encode(frame)
        self.seq = (self.seq + 1) & 0xFFFF
        self.sent += 1
        return encode_voice(self.seq, capture, packet)
