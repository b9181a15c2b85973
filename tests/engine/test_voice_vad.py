"""Nothing is sent in silence; speech goes out; push-to-talk sends only while pressed."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.voice import FRAME_SAMPLES, VoiceSender, frames_of, read_speech
from engine.voice.vad import HANGOVER_FRAMES
from protocol.voice import decode_voice
from tests.engine.tour_support import speech_wav


def _sent(sender: VoiceSender, samples: np.ndarray) -> list[int]:
    """The indices of the frames that went out."""
    return [i for i, frame in enumerate(frames_of(samples))
            if sender.message(frame, i * 0.02) is not None]


def test_silence_and_room_noise_send_nothing() -> None:
    rng = np.random.default_rng(1)
    hiss = (rng.standard_normal(48_000 * 3) * 10 ** (-65 / 20)).astype(np.float32)
    assert _sent(VoiceSender(), np.zeros(48_000 * 2, np.float32)) == []
    assert _sent(VoiceSender(), hiss) == []


def test_a_tone_burst_is_sent_with_its_hangover() -> None:
    t = np.arange(48_000) / 48_000
    burst = (0.3 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)
    quiet = np.zeros(48_000, np.float32)
    sent = _sent(VoiceSender(), np.concatenate([quiet, burst, quiet]))
    assert sent[0] == 50 and sent == list(range(50, 100 + HANGOVER_FRAMES))


def test_speech_is_sent_as_numbered_messages(tmp_path: Path) -> None:
    speech = read_speech(speech_wav(tmp_path))
    padded = np.concatenate([np.zeros(48_000, np.float32), speech])
    sender = VoiceSender()
    messages = [sender.message(f, i * 0.02) for i, f in enumerate(frames_of(padded))]
    out = [decode_voice(m) for m in messages if m is not None]
    assert all(m is None for m in messages[:50]), "the second of silence first sent nothing"
    assert len(out) > 0.6 * (len(messages) - 50)
    assert [p.seq for p in out] == list(range(1, len(out) + 1))
    assert out[0].capture == 50 * 0.02


def test_push_to_talk_sends_only_while_the_key_is_held() -> None:
    t = np.arange(FRAME_SAMPLES * 20) / 48_000
    tone = (0.3 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)
    sender = VoiceSender(mode="push_to_talk")
    assert _sent(sender, tone) == []
    sender.gate.pressed = True
    assert len(_sent(sender, tone)) == 20
    assert len(_sent(sender, np.zeros(FRAME_SAMPLES * 5, np.float32))) == 5
