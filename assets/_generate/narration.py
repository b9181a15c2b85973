"""Recorded-narration stand-ins: espeak-ng reads a hotspot's zh-CN text into an Ogg file,
the format an editor would bring from a studio. Read in Mandarin as the pipeline reads
text (numbers spelled out, the pronunciation lexicon). Deterministic for one espeak-ng
version."""

from __future__ import annotations

import io
import subprocess
import tempfile
import zlib
from pathlib import Path

import numpy as np
import soundfile
import yaml

from tools.audio_codec import espeak_command
from tools.ogg import set_serial

# (scene id, hotspot id, file written under assets/<folder>/)
NARRATED = [
    ("nanhu-red-boat", "the-boat", "nanhu/the-boat.ogg"),
    ("nanhu-red-boat", "colours", "nanhu/colours.ogg"),
    ("first-congress-site", "meeting-room", "first-congress/meeting-room.ogg"),
    ("zunyi-conference", "attendance", "zunyi/attendance.ogg"),
    ("luding-bridge", "thirteen-chains", "luding/thirteen-chains.ogg"),
]


def speak(text: str, out: Path) -> None:
    with tempfile.TemporaryDirectory() as folder:
        wav = Path(folder) / "speech.wav"
        subprocess.run(espeak_command(text, "-w", str(wav)), check=True, capture_output=True)
        samples, rate = soundfile.read(str(wav), dtype="float32")
    buffer = io.BytesIO()
    soundfile.write(buffer, np.asarray(samples), rate, format="OGG", subtype="VORBIS")
    out.write_bytes(set_serial(buffer.getvalue(), zlib.crc32(out.name.encode())))


def generate(scenes: Path, assets: Path) -> None:
    for scene_id, hotspot_id, target in NARRATED:
        scene = yaml.safe_load((scenes / f"{scene_id}.yaml").read_text(encoding="utf-8"))
        hotspot = next(h for h in scene["hotspots"] if h["id"] == hotspot_id)
        out = assets / target
        out.parent.mkdir(parents=True, exist_ok=True)
        speak(f"{hotspot['title']['zh-CN']}。{hotspot['text']['zh-CN']}", out)
