"""The narrator's face in numbers: mouth weights from a lip-sync track, blinks, envelopes."""

from __future__ import annotations

import math

import pytest

from engine.narrator_face import BLINK_SECONDS, Blinker, approach, envelope, mouth_at
from protocol.lipsync import LipSyncTrack

TRACK = LipSyncTrack(rate=50, openness=[0, 255, 255, 100, 0, 200], visemes="XAAOXS")


def test_mouth_weights_follow_the_track_frame_by_frame() -> None:
    assert mouth_at(TRACK, 0.0) == {"viseme_A": 0.0, "viseme_E": 0.0, "viseme_O": 0.0,
                                    "viseme_S": 0.0}
    assert mouth_at(TRACK, 1 / 50)["viseme_A"] == pytest.approx(1.0)
    halfway = mouth_at(TRACK, 2.5 / 50)  # between an open A and a lesser O: both, blended
    assert halfway["viseme_A"] == pytest.approx(0.5) and \
        halfway["viseme_O"] == pytest.approx(0.5 * 100 / 255)
    assert mouth_at(TRACK, 5 / 50)["viseme_S"] == pytest.approx(200 / 255)
    for outside in (-0.01, 6 / 50, 10.0, math.nan, math.inf):  # before, after, nonsense
        assert max(mouth_at(TRACK, outside).values()) == 0.0, outside
    assert all(0.0 <= w <= 1.0 for t in range(300) for w in mouth_at(TRACK, t / 2000).values())


def test_a_blink_closes_and_opens_the_eyes_once() -> None:
    blinker = Blinker(7, 0.0)
    start = blinker.next
    assert blinker.weight(start - 0.01) == 0.0
    assert blinker.weight(start + BLINK_SECONDS / 2) == pytest.approx(1.0)
    assert blinker.weight(start + BLINK_SECONDS + 0.01) == 0.0 and blinker.next > start + 2.0


def test_envelope_and_approach() -> None:
    assert envelope(0.0, 2.4, 0.6) == 0.0 and envelope(1.2, 2.4, 0.6) == 1.0
    assert 0 < envelope(0.3, 2.4, 0.6) < 1 and envelope(2.4, 2.4, 0.6) == 0.0
    assert approach(0.0, 10.0, 6.0, 0.0) == 0.0
    assert approach(0.0, 10.0, 6.0, 1.0) == pytest.approx(10.0, abs=0.03)
    assert approach(5.0, 10.0, 6.0, -1.0) == 5.0  # time never runs backwards
