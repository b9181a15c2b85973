"""The mixer: five voices at most (guides kept), soft clipping, gain and pan."""

from __future__ import annotations

import math

import numpy as np

from engine.voice import FRAME_SAMPLES, MAX_VOICES, Voice, mix, soft_clip
from engine.voice.mixer import KNEE, chosen


def _tone(level: float, hz: float = 220.0) -> np.ndarray:
    t = np.arange(FRAME_SAMPLES) / 48_000
    return (level * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def test_beyond_five_voices_the_quietest_go_and_the_guide_stays() -> None:
    voices = [Voice(1, _tone(0.01), guide=True)]
    voices += [Voice(10 + i, _tone(0.05 * (i + 1))) for i in range(7)]
    kept = chosen(voices)
    assert len(kept) == MAX_VOICES
    assert kept[0].seat == 1, "the guide is heard however quiet"
    assert {v.seat for v in kept[1:]} == {16, 15, 14, 13}


def test_between_equals_the_newest_speaker_is_kept() -> None:
    voices = [Voice(10 + i, _tone(0.2), started=float(i)) for i in range(7)]
    assert {v.seat for v in chosen(voices)} == {12, 13, 14, 15, 16}


def test_loud_voices_bend_below_full_scale() -> None:
    out = mix([Voice(i, _tone(0.9)) for i in range(5)])
    assert out.shape == (FRAME_SAMPLES, 2) and out.dtype == np.float32
    assert float(np.abs(out).max()) <= 1.0, "never past full scale"
    assert float(np.abs(out).max()) > KNEE, "clipped softly, not silenced"
    quiet = _tone(0.3)
    assert np.array_equal(soft_clip(quiet), quiet), "below the knee nothing changes"
    assert np.all(np.diff(soft_clip(np.linspace(-1.5, 1.5, 1000))) > 0), "monotonic"


def test_gain_and_pan_place_a_voice() -> None:
    tone = _tone(0.4)
    left = mix([Voice(2, tone, pan=-1.0)])
    assert np.allclose(left[:, 0], tone) and np.allclose(left[:, 1], 0.0)
    half = mix([Voice(2, tone, gain=0.5, pan=0.5)])
    assert np.allclose(half[:, 1], 0.5 * tone) and np.allclose(half[:, 0], 0.25 * tone)


def test_hostile_numbers_are_tamed() -> None:
    frame = _tone(0.4)
    frame[10] = np.nan
    out = mix([Voice(3, frame, gain=math.inf, pan=math.nan), Voice(4, _tone(0.1), gain=-3)])
    assert np.isfinite(out).all() and float(np.abs(out).max()) == 0.0
