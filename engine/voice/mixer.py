"""Mixes the voices heard in one 20 ms slot into a stereo frame.

At most :data:`MAX_VOICES` are mixed: the guides always, then the loudest of the rest
(the most recent speaker first among equals). Each voice has a gain and a pan, which the
engine sets from where the speaker's avatar stands; the sum goes through a soft clipper
so that several loud voices bend rather than crack.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.voice.codec import FRAME_SAMPLES

MAX_VOICES = 5
KNEE = 0.8  # below this the mix passes untouched


@dataclass
class Voice:
    """One speaker's frame for this slot and how it is placed.

    ``frame``: (960,) float32; ``gain`` ≥ 0; ``pan`` −1 (left) … 1 (right).
    """

    seat: int
    frame: np.ndarray
    guide: bool = False
    gain: float = 1.0
    pan: float = 0.0
    started: float = 0.0  # when this speaker began talking, to prefer the newer


def soft_clip(mix: np.ndarray) -> np.ndarray:
    """``mix`` with magnitudes over :data:`KNEE` bent smoothly towards 1 (never past it)."""
    size = np.abs(mix)
    over = size > KNEE
    if not over.any():
        return mix
    bent = KNEE + (1.0 - KNEE) * np.tanh((size[over] - KNEE) / (1.0 - KNEE))
    out = mix.copy()
    out[over] = np.sign(mix[over]) * bent
    return out


def chosen(voices: list[Voice], limit: int = MAX_VOICES) -> list[Voice]:
    """The voices to mix: the guides, then the loudest others (newest first if equal)."""
    guides = [v for v in voices if v.guide]
    others = sorted((v for v in voices if not v.guide),
                    key=lambda v: (-float(np.sqrt(np.mean(np.square(v.frame)))), -v.started))
    return (guides + others)[:max(limit, len(guides))]


def mix(voices: list[Voice], limit: int = MAX_VOICES) -> np.ndarray:
    """The stereo mix of ``voices``: (960, 2) float32 within −1…1."""
    out = np.zeros((FRAME_SAMPLES, 2), np.float32)
    for voice in chosen(voices, limit):
        gain = min(max(voice.gain, 0.0), 4.0) if np.isfinite(voice.gain) else 0.0
        pan = min(max(voice.pan, -1.0), 1.0) if np.isfinite(voice.pan) else 0.0
        # balance law: the centre is at full level in both ears, a side fades the other
        left, right = gain * min(1.0, 1.0 - pan), gain * min(1.0, 1.0 + pan)
        frame = np.nan_to_num(voice.frame.astype(np.float32), nan=0.0, posinf=0.0,
                              neginf=0.0)
        out[:, 0] += left * frame
        out[:, 1] += right * frame
    return soft_clip(out)
