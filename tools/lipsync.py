"""Lip-sync tracks from narration audio: mouth openness from the loudness envelope and a
viseme from the spectrum's shape, 50 frames a second (see :mod:`protocol.lipsync`).

Everything is plain float64 numpy over fixed frame positions, so the same audio always
gives the same bytes.
"""

from __future__ import annotations

import io

import numpy as np

from protocol.lipsync import LipSyncTrack
from tools.errors import AssetError

# Raise when the analysis changes: cached tracks are then computed again.
LIPSYNC_VERSION = "1"
FRAME_RATE = 50
WINDOW_SECONDS = 0.04
SILENCE_DBFS = -55.0     # quieter frames are silence whatever the recording's level
DYNAMIC_RANGE_DB = 30.0  # this far below the narration's loud frames the mouth is closed
FULL_OPEN_DB = 4.0       # and this close to them it is wide open
OPENING, CLOSING = 0.7, 0.35  # per-frame smoothing: mouths open faster than they close
_TINY = 1e-12


_CHUNK = 512  # frames analysed at once: ten minutes at 48 kHz never needs the whole matrix


def _features(samples: np.ndarray, rate: int) -> dict[str, np.ndarray]:
    """Per frame: level (dBFS), first-formant centroid (Hz), and the energy of the front-vowel
    (1.8-3.5 kHz) and hiss (3-8 kHz) bands relative to the first-formant band, in dB.

    Each frame is a Hann window centred on the frame's midpoint (zeros beyond the ends).
    """
    count = -(-len(samples) * FRAME_RATE // rate)  # a partial frame at the end counts
    width = max(8, round(WINDOW_SECONDS * rate))
    padded = np.concatenate([np.zeros(width), samples, np.zeros(width)])
    window = np.hanning(width)
    window_power = float(np.sum(window**2))
    freqs = np.fft.rfftfreq(width, 1 / rate)
    f1_mask = (freqs >= 150) & (freqs < 1000)
    out: dict[str, list[np.ndarray]] = {"level": [], "f1": [], "front": [], "hiss": []}
    for first in range(0, count, _CHUNK):
        numbers = np.arange(first, min(count, first + _CHUNK))
        starts = ((numbers * 2 + 1) * rate) // (2 * FRAME_RATE) + width - width // 2
        frames = padded[starts[:, None] + np.arange(width)[None, :]] * window[None, :]
        power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
        f1_region = _band(power, freqs, 150, 1000)
        out["level"].append(10 * np.log10(np.sum(frames**2, axis=1) / window_power + _TINY))
        out["f1"].append((power[:, f1_mask] * freqs[f1_mask]).sum(axis=1) / f1_region)
        out["front"].append(10 * np.log10(_band(power, freqs, 1800, 3500) / f1_region))
        out["hiss"].append(10 * np.log10(_band(power, freqs, 3000, 8000) / f1_region))
    return {name: np.concatenate(parts) for name, parts in out.items()}


def _band(power: np.ndarray, freqs: np.ndarray, low: float, high: float) -> np.ndarray:
    band: np.ndarray = power[:, (freqs >= low) & (freqs < high)].sum(axis=1) + _TINY
    return band


def _openness(level_db: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Loudness (dBFS per frame) to 0..1 openness, relative to the narration's loud frames:
    the frame's own (target) and the mouth's, which follows it smoothly (smooth)."""
    voiced = level_db[level_db > SILENCE_DBFS]
    loud = float(np.percentile(voiced, 90)) if voiced.size else 0.0
    target = np.clip((level_db - (loud - DYNAMIC_RANGE_DB)) / (DYNAMIC_RANGE_DB - FULL_OPEN_DB),
                     0.0, 1.0)
    target[level_db <= SILENCE_DBFS] = 0.0
    smooth = np.zeros_like(target)
    current = 0.0
    for i, value in enumerate(target):
        current += (OPENING if value > current else CLOSING) * (value - current)
        smooth[i] = current
    return target, smooth


def _visemes(features: dict[str, np.ndarray], target: np.ndarray, open_: np.ndarray) -> str:
    """One viseme letter a frame from where the spectrum's energy lies.

    Hiss above 3 kHz outweighing the first-formant region: teeth (S). Otherwise a high
    first formant means an open jaw (A), energy around the F2-F3 of front vowels spread
    lips (E), and little energy there rounded ones (O). While a sound dies away the mouth
    keeps its last shape as it closes.
    """
    front, f1, hiss = features["front"], features["f1"], features["hiss"]
    letters = np.full(len(open_), "X")
    sounding = target >= 0.08
    letters[sounding & (front <= -14)] = "O"
    letters[sounding & (front > -14)] = "E"
    letters[sounding & (f1 >= 650)] = "A"
    letters[sounding & (front > -9)] = "E"
    letters[sounding & (hiss > 0)] = "S"
    for i in range(1, len(letters)):
        if not sounding[i] and open_[i] >= 0.08:
            letters[i] = letters[i - 1]
    # a shape held for a single frame (20 ms) is flicker, not a mouth movement
    for i in range(1, len(letters) - 1):
        if letters[i - 1] == letters[i + 1] != letters[i]:
            letters[i] = letters[i - 1]
    return "".join(letters.tolist())


def analyse(samples: np.ndarray, rate: int) -> LipSyncTrack:
    """The lip-sync track of mono ``samples: (n,) float`` at ``rate`` Hz."""
    if samples.ndim != 1 or not 4000 <= rate <= 384000:
        raise ValueError("mono samples at 4-384 kHz expected")
    if samples.size == 0:
        return LipSyncTrack(rate=FRAME_RATE, openness=[], visemes="")
    samples = np.asarray(samples, dtype=np.float64)
    if not np.isfinite(samples).all():
        samples = np.nan_to_num(samples, nan=0.0, posinf=0.0, neginf=0.0)
    features = _features(np.clip(samples, -1.0, 1.0), rate)
    target, open_ = _openness(features["level"])
    return LipSyncTrack(rate=FRAME_RATE,
                        openness=[int(v) for v in np.round(open_ * 255).astype(np.int64)],
                        visemes=_visemes(features, target, open_))


def track_of_ogg(data: bytes, name: str) -> LipSyncTrack:
    """The lip-sync track of narration stored as Ogg bytes (as the package holds it)."""
    import soundfile  # libsndfile loads only when a track is computed

    try:
        samples, rate = soundfile.read(io.BytesIO(data), dtype="float64", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, OSError) as exc:
        raise AssetError(name, f"cannot decode the narration for lip-sync: {exc}",
                         "give WAV, Ogg Vorbis, MP3 or FLAC") from exc
    return analyse(samples.mean(axis=1), int(rate))
