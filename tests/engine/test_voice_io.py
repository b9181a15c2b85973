"""Voice from files and to files, and the path with no audio device."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile

from engine.voice import BadAudioFile, WavRecorder, devices, open_devices, read_speech, read_wav


def test_an_ogg_file_is_read_resampled_and_mono(tmp_path: Path) -> None:
    t = np.arange(44_100) / 44_100
    stereo = np.stack([0.5 * np.sin(2 * np.pi * 300 * t)] * 2, axis=1)
    soundfile.write(tmp_path / "tone.ogg", stereo, 44_100, format="OGG", subtype="VORBIS")
    speech = read_speech(tmp_path / "tone.ogg")
    assert abs(len(speech) - 48_000) < 2_000
    spectrum = np.abs(np.fft.rfft(speech[4800:4800 + 48_00]))
    assert abs(float(np.argmax(spectrum)) * 48_000 / 4800 - 300) < 20


@pytest.mark.parametrize("content", [b"", b"RIFF\x00\x00\x00\x00WAVEjunk" * 10],
                         ids=["empty", "broken"])
def test_a_file_that_is_not_audio_is_refused_clearly(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(BadAudioFile, match=r"bad\.wav"):
        read_speech(path)
    with pytest.raises(BadAudioFile, match="cannot be read"):
        read_speech(tmp_path / "missing.wav")


def test_a_recording_reads_back(tmp_path: Path) -> None:
    recorder = WavRecorder(tmp_path / "heard.wav")
    frame = np.linspace(-0.5, 0.5, 960, dtype=np.float32)
    recorder.write(np.stack([frame, frame], axis=1))
    recorder.write(frame)  # mono frames go to both channels
    recorder.close()
    back = read_wav(tmp_path / "heard.wav")
    assert len(back) == 1920 and np.allclose(back[:960], frame, atol=1e-4)


def test_without_an_audio_device_it_is_said_once(monkeypatch: pytest.MonkeyPatch,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    # These machines have no sound card (DESIGN: audio in tests goes to and from files).
    monkeypatch.setattr(devices, "_said", threading.Event())
    with caplog.at_level(logging.WARNING, logger="engine.voice.devices"):
        first = open_devices(lambda frame: None, None)
        second = open_devices(lambda frame: None, None)
    assert first.reason is not None and second.reason is not None
    assert first.microphone is None and first.speaker is None
    assert first.notice is not None and "tour goes on" in first.notice
    said = [r for r in caplog.records if "without sound" in r.getMessage()]
    assert len(said) == 1, "said once, not at every attempt"
