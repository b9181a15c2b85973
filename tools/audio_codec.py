"""Narration audio: WAV/OGG/MP3/FLAC normalized to mono Ogg Vorbis at a steady loudness;
Mandarin speech synthesized with espeak-ng when an editor gives only text."""

from __future__ import annotations

import io
import subprocess
import tempfile
import zlib
from pathlib import Path

import numpy as np
import soundfile

from tools.errors import AssetError
from tools.ogg import set_serial

TARGET_RMS_DBFS = -20.0
PEAK_LIMIT_DBFS = -1.0
MAX_SECONDS = 600.0


def _encode(samples: np.ndarray, rate: int, name: str) -> bytes:
    rms = float(np.sqrt(np.mean(samples**2))) if samples.size else 0.0
    if rms > 1e-6:
        gain = 10 ** (TARGET_RMS_DBFS / 20) / rms
        peak = float(np.max(np.abs(samples)))
        gain = min(gain, 10 ** (PEAK_LIMIT_DBFS / 20) / max(peak, 1e-9))
        samples = samples * gain
    out = io.BytesIO()
    soundfile.write(out, samples.astype(np.float32), rate, format="OGG", subtype="VORBIS")
    return set_serial(out.getvalue(), zlib.crc32(name.encode()))


def normalize(path: Path, name: str) -> tuple[bytes, float]:
    """Ogg Vorbis bytes of ``path`` (mono, loudness-normalized) and its duration in s."""
    try:
        samples, rate = soundfile.read(str(path), dtype="float64", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, OSError) as exc:
        raise AssetError(str(path), f"cannot decode the audio: {exc}",
                         "give WAV, Ogg Vorbis, MP3 or FLAC") from exc
    duration = len(samples) / rate
    if duration > MAX_SECONDS:
        raise AssetError(str(path), f"{duration:.0f} s long, over the {MAX_SECONDS:.0f} s limit",
                         "split the narration into shorter clips")
    if len(samples) == 0:
        raise AssetError(str(path), "the audio file is empty", "re-export it")
    return _encode(samples.mean(axis=1), rate, name), duration


def espeak_command(text: str, *options: str) -> list[str]:
    """espeak-ng reading ``text`` in Mandarin: numbers spelled out, lexicon words as pinyin.

    The ``cmn-latn-pinyin`` voice reads Latin script as pinyin; the plain ``cmn`` voice
    would read it (and digits) in English.
    """
    from tools.voices import command  # one command line for the build and the samples

    return command("zh-CN", text, *options)


def synthesize(text: str, name: str) -> tuple[bytes, float]:
    """Speak the Mandarin ``text`` with espeak-ng into normalized Ogg."""
    with tempfile.TemporaryDirectory() as folder:
        wav = Path(folder) / "speech.wav"
        result = subprocess.run(espeak_command(text, "-w", str(wav)),
                                capture_output=True, text=True, check=False)
        if result.returncode != 0 or not wav.exists():
            raise AssetError(name, f"espeak-ng failed: {result.stderr.strip()}",
                             "give a recorded narration file instead")
        return normalize(wav, name)
