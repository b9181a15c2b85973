"""Speech through the whole voice chain without a server: sender, a simulated network
(jitter, reordering, loss), the receiver's jitter buffers, decoders and mixer."""

from __future__ import annotations

import numpy as np
import pytest

from engine.voice import (
    FRAME_SECONDS,
    PlayoutClock,
    VoiceReceiver,
    VoiceSender,
    frames_of,
    read_speech,
)
from engine.voice.jitter import MAX_TARGET
from protocol.voice import VoiceEntry, decode_voice
from tests.engine.tour_support import best_alignment, speech_wav, window_matches


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    return read_speech(speech_wav(tmp_path_factory.mktemp("speech")))


def _heard(speech: np.ndarray, loss: float, jitter: float, seed: int = 11,
           seat: int = 3) -> tuple[np.ndarray, VoiceReceiver]:
    """What a listener's mix holds after the speech crossed the simulated network."""
    rng = np.random.default_rng(seed)
    sender = VoiceSender()
    arrivals: list[tuple[float, VoiceEntry]] = []
    for index, frame in enumerate(frames_of(speech)):
        capture = 10.0 + index * FRAME_SECONDS
        message = sender.message(frame, capture)
        if message is None or rng.random() < loss:
            continue
        packet = decode_voice(message)
        arrival = capture + 0.03 + float(rng.uniform(0, jitter))
        arrivals.append((arrival, VoiceEntry(seat, packet.seq, packet.capture, packet.payload)))
    arrivals.sort(key=lambda pair: pair[0])  # jitter reorders them
    receiver = VoiceReceiver()
    receiver.guides.add(seat)
    clock = PlayoutClock(10.0)
    out, pending = [], 0
    end = 10.0 + len(speech) / 48_000 + 1.0
    for tick in clock.due(end):
        while pending < len(arrivals) and arrivals[pending][0] <= tick:
            receiver.receive([arrivals[pending][1]], arrivals[pending][0])
            pending += 1
        out.append(receiver.tick(tick).mean(axis=1))
    return np.concatenate(out), receiver


def test_speech_crosses_a_clean_network(speech: np.ndarray) -> None:
    heard, receiver = _heard(speech, loss=0.0, jitter=0.0)
    lag, score = best_alignment(heard, speech)
    assert score > 0.9, f"heard speech correlates {score:.3f}"
    latency = lag / 48_000
    assert 0.08 < latency < 0.15, "transit 30 ms + the 60 ms minimum margin, near enough"
    assert min(window_matches(heard, speech)) > 0.85
    assert max(receiver.latencies) <= 0.03 + MAX_TARGET


def test_speech_survives_jitter_and_loss(speech: np.ndarray) -> None:
    heard, receiver = _heard(speech, loss=0.08, jitter=0.08)
    # each talk spurt plays with a delay of its own: matched window by window
    scores = window_matches(heard, speech)
    assert len(scores) > 15
    assert np.median(scores) > 0.85 and np.percentile(scores, 10) > 0.7, scores
    assert receiver.speakers[3].buffer.lost > 0, "frames were lost and concealed"
    assert np.percentile(receiver.latencies, 99) <= 0.03 + 0.08 + MAX_TARGET


def test_the_speaking_state_follows_the_voice(speech: np.ndarray) -> None:
    receiver = VoiceReceiver()
    sender = VoiceSender()
    frames = list(frames_of(speech))[:30]
    for index, frame in enumerate(frames):
        message = sender.message(frame, index * FRAME_SECONDS)
        if message is not None:
            packet = decode_voice(message)
            receiver.receive([VoiceEntry(7, packet.seq, packet.capture, packet.payload)],
                             index * FRAME_SECONDS + 0.02)
    clock = PlayoutClock(0.0)
    speaking = []
    for tick in clock.due(2.0):
        receiver.tick(tick)
        speaking.append(7 in receiver.speaking(tick))
    assert any(speaking[:40]) and not any(speaking[-20:])


def test_bad_packets_and_a_flood_of_seats_are_contained() -> None:
    receiver = VoiceReceiver()
    receiver.receive([VoiceEntry(1, 1, 0.0, b"\xff\xfe\xfd")], 0.01)  # not Opus
    receiver.receive([VoiceEntry(seat, 1, 0.0, b"\xf8\xff\xfe") for seat in range(2, 500)],
                     0.01)
    assert len(receiver.speakers) <= 32 and receiver.ignored > 0
    for tick in PlayoutClock(0.0).due(0.5):
        mix = receiver.tick(tick)
        assert np.isfinite(mix).all()
    assert receiver.bad >= 1
