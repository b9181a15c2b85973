"""Opus through PyAV and libopus: speech survives the round trip, FEC beats plain PLC."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.voice import FRAME_SAMPLES, OpusDecoder, OpusEncoder, VoiceError, frames_of, read_speech
from tests.engine.tour_support import best_alignment, speech_wav


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    return read_speech(speech_wav(tmp_path_factory.mktemp("speech")))


@pytest.mark.parametrize("bitrate", [16_000, 20_000, 24_000])
def test_speech_survives_opus(speech: np.ndarray, bitrate: int) -> None:
    encoder, decoder = OpusEncoder(bitrate), OpusDecoder()
    packets = [encoder.encode(frame) for frame in frames_of(speech)]
    heard = np.concatenate([decoder.decode(packet) for packet in packets])
    lag, score = best_alignment(heard, speech, max_lag=4800)
    assert score > 0.9, f"decoded speech correlates {score:.3f} with the source"
    assert lag < 960, "libopus delays by its look-ahead (6.5 ms), not more"
    # the bitrate holds: bytes a frame near bitrate / 8 / 50 (FEC and VBR included)
    assert np.mean([len(p) for p in packets]) < bitrate / 8 / 50 * 1.25


def _lost_frames(count: int) -> set[int]:
    """About one frame in ten, none two in a row (FEC carries one frame back)."""
    rng = np.random.default_rng(7)
    picked = sorted(rng.choice(np.arange(5, count - 1), size=count // 10, replace=False))
    lost: set[int] = set()
    for index in picked:
        if index - 1 not in lost:
            lost.add(int(index))
    return lost


def test_fec_recovers_lost_frames_better_than_plc(speech: np.ndarray) -> None:
    encoder = OpusEncoder(expected_loss=10)
    packets = [encoder.encode(frame) for frame in frames_of(speech)]
    clean = np.concatenate([d.decode(p) for d in [OpusDecoder()] for p in packets])
    lost = _lost_frames(len(packets))
    errors = {}
    for mode in ("plc", "fec"):
        decoder, out = OpusDecoder(), []
        for index, packet in enumerate(packets):
            if index not in lost:
                out.append(decoder.decode(packet))
            elif mode == "fec":
                out.append(decoder.recover(packets[index + 1]))
            else:
                out.append(decoder.conceal())
        heard = np.concatenate(out)
        where = np.concatenate([np.arange(i * FRAME_SAMPLES, (i + 1) * FRAME_SAMPLES)
                                for i in sorted(lost)])
        errors[mode] = float(np.sum((heard[where] - clean[where]) ** 2)
                             / np.sum(clean[where] ** 2))
    assert errors["fec"] < 0.25, f"FEC left {errors['fec']:.2f} of the lost frames' energy wrong"
    assert errors["fec"] < errors["plc"] / 3, errors


def test_concealment_continues_the_voice(speech: np.ndarray) -> None:
    encoder, decoder = OpusEncoder(), OpusDecoder()
    frames = list(frames_of(speech))
    voiced = max(range(20, len(frames) - 1), key=lambda i: float(np.sum(frames[i] ** 2)))
    for frame in frames[:voiced]:
        decoder.decode(encoder.encode(frame))
    guess = decoder.conceal()
    assert guess.shape == (FRAME_SAMPLES,)
    assert float(np.sqrt(np.mean(guess ** 2))) > 0.01, "PLC fades out, not to silence at once"


@pytest.mark.parametrize("packet", [b"", b"\x00" * 1276, b"\xe0" + b"\x00" * 10],
                         ids=["empty", "oversize", "10-ms-frame"])
def test_bad_packets_are_refused(packet: bytes) -> None:
    with pytest.raises(VoiceError):
        OpusDecoder().decode(packet)


def test_encoder_settings_are_checked() -> None:
    with pytest.raises(VoiceError, match="bitrate"):
        OpusEncoder(bitrate=64_000)
    with pytest.raises(VoiceError, match="loss"):
        OpusEncoder(expected_loss=0)
    with pytest.raises(VoiceError, match="960"):
        OpusEncoder().encode(np.zeros(480, np.float32))


def test_a_speech_file_is_read_at_48_khz(tmp_path: Path) -> None:
    path = speech_wav(tmp_path)
    import soundfile
    source, rate = soundfile.read(path)
    speech = read_speech(path)
    assert rate != 48_000
    assert abs(len(speech) - len(source) * 48_000 / rate) < 48
