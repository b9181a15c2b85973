"""Real Opus for the recording tests: speech-like test audio encoded with libopus (PyAV),
and Ogg Opus files decoded back with PyAV."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from protocol import tour as wire

RATE = 48_000


def tone(seconds: float, hz: float = 440.0, level: int = 8000) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (np.sin(2 * np.pi * hz * t) * level).astype(np.int16)


def opus_packets(pcm: np.ndarray) -> list[bytes]:
    """20 ms Opus packets of mono 48 kHz ``pcm: (n,) int16``, one a 960 samples."""
    codec = av.CodecContext.create("libopus", "w")
    codec.sample_rate = RATE
    codec.layout = "mono"
    codec.format = "s16"
    codec.bit_rate = 24000
    codec.options = {"frame_duration": "20", "application": "voip"}
    codec.open()
    out: list[bytes] = []
    for i in range(0, len(pcm) - 959, 960):
        frame = av.AudioFrame.from_ndarray(pcm[None, i:i + 960], format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = i
        out += [bytes(p) for p in codec.encode(frame)]
    out += [bytes(p) for p in codec.encode(None)]
    return out


def decode(path: Path) -> np.ndarray:
    """Every sample PyAV decodes from an Ogg Opus file: (n,) float32 at 48 kHz, on the
    int16 scale of :func:`tone`."""
    chunks = []
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            samples = frame.to_ndarray().reshape(-1).astype(np.float32)
            chunks.append(samples * 32768 if frame.format.name.startswith("flt") else samples)
    return np.concatenate(chunks) if chunks else np.zeros(0, np.float32)


def rms(samples: np.ndarray, start: float, end: float) -> float:
    part = samples[int(start * RATE):int(end * RATE)].astype(np.float64)
    return float(np.sqrt(np.mean(part * part))) if len(part) else 0.0


def joined(seat: int, user: int, role: wire.Role) -> wire.Joined:
    return wire.Joined(participant=wire.Participant(seat=seat, user=user, name=f"u{user}",
                                                    role=role))
