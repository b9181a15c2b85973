"""The guide's voice for the benchmark: a spoken espeak-ng recording, Opus-encoded once by
the engine's encoder (20 kbit/s, FEC on) and looped. Every 20 ms frame is sent, pauses
between words included: the guide holds the talk key throughout."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from engine.voice import OpusEncoder, frames_of, read_speech

TEXT = ("同志们好，欢迎参观。这里是一九二一年七月，中国共产党第一次全国代表大会召开的地方。"
        "请大家跟我往前走，注意脚下的台阶。")


class NoSpeech(RuntimeError):
    """espeak-ng is missing or could not speak."""


def looped_packets() -> list[bytes]:
    """The Opus packets of the recording, one per 20 ms, in order.

    Raises:
        NoSpeech: espeak-ng is not installed, or failed.
    """
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise NoSpeech("bench/voice needs espeak-ng for the guide's voice "
                       "(apt-get install espeak-ng)")
    with tempfile.TemporaryDirectory(prefix="redhall-voice-") as folder:
        wav = Path(folder) / "guide.wav"
        done = subprocess.run([espeak, "-v", "cmn", "-s", "160", "-w", str(wav), TEXT],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0 or not wav.exists():
            raise NoSpeech(f"espeak-ng failed: {done.stderr.strip()}")
        samples = read_speech(wav)
    encoder = OpusEncoder(bitrate=20_000, expected_loss=10)
    return [encoder.encode(frame) for frame in frames_of(samples)]
