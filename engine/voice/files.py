"""Voice from and to files: speech read from WAV/Ogg/any format FFmpeg knows, resampled to
48 kHz mono; what a listener hears written to a 16-bit WAV."""

from __future__ import annotations

import os
import wave
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np

from engine.voice.codec import FRAME_SAMPLES, SAMPLE_RATE
from engine.voice.errors import BadAudioFile, VoiceError

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_SECONDS = 3 * 60 * 60  # a tour's length


def read_speech(path: str | os.PathLike[str]) -> np.ndarray:
    """The audio of ``path`` as (samples,) float32 at 48 kHz, mono.

    Raises:
        BadAudioFile: missing, too large, too long, or not audio FFmpeg can decode.
    """
    where = Path(path)
    try:
        size = where.stat().st_size
    except OSError as error:
        raise BadAudioFile(f"{where}: cannot be read ({error.strerror})") from error
    if size > MAX_FILE_BYTES:
        raise BadAudioFile(f"{where}: {size} bytes is more than {MAX_FILE_BYTES} allowed")
    chunks: list[np.ndarray] = []
    total = 0
    try:
        with av.open(str(where)) as container:
            if not container.streams.audio:
                raise BadAudioFile(f"{where}: holds no audio")
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
                    total += out.samples
                if total > MAX_SECONDS * SAMPLE_RATE:
                    raise BadAudioFile(f"{where}: longer than {MAX_SECONDS // 3600} hours")
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except av.FFmpegError as error:
        raise BadAudioFile(f"{where}: not audio that can be read ({error})") from error
    if not chunks:
        raise BadAudioFile(f"{where}: holds no samples")
    return np.clip(np.concatenate(chunks).astype(np.float32), -1.0, 1.0)


def frames_of(samples: np.ndarray) -> Iterator[np.ndarray]:
    """``samples`` cut into (960,) frames, the last padded with silence."""
    for start in range(0, len(samples), FRAME_SAMPLES):
        frame = samples[start:start + FRAME_SAMPLES]
        if len(frame) < FRAME_SAMPLES:
            frame = np.pad(frame, (0, FRAME_SAMPLES - len(frame)))
        yield frame


class WavRecorder:
    """Writes frames to a 16-bit 48 kHz WAV as they come (stereo or mono)."""

    def __init__(self, path: str | os.PathLike[str], channels: int = 2) -> None:
        if channels not in (1, 2):
            raise VoiceError(f"a recording has 1 or 2 channels, not {channels}")
        self.path = Path(path)
        self.channels = channels
        self.samples = 0
        self._wav = wave.open(str(self.path), "wb")  # noqa: SIM115 (closed by close())
        self._wav.setnchannels(channels)
        self._wav.setsampwidth(2)
        self._wav.setframerate(SAMPLE_RATE)

    def write(self, frame: np.ndarray) -> None:
        """Appends ``frame``: (n,) or (n, channels) float32 in −1…1."""
        block = frame.reshape(len(frame), -1)
        if block.shape[1] != self.channels:
            block = np.repeat(block.mean(axis=1, keepdims=True), self.channels, axis=1)
        pcm = np.round(np.clip(block, -1.0, 1.0) * 32767).astype("<i2")
        self._wav.writeframes(pcm.tobytes())
        self.samples += len(block)

    def close(self) -> None:
        self._wav.close()


def read_wav(path: str | os.PathLike[str]) -> np.ndarray:
    """A recording written by :class:`WavRecorder`, as (samples,) float32 mono."""
    with wave.open(str(path), "rb") as wav:
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), "<i2").astype(np.float32)
        mono: np.ndarray = pcm.reshape(-1, wav.getnchannels()).mean(axis=1) / 32767
        return mono.astype(np.float32)
