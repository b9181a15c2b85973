"""Lip-sync tracks: computed from the narration audio at build time, stored beside each Ogg,
declared in the packaged scene, checked by readers and listed by `redhall inspect`."""

from __future__ import annotations

import io
import json
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

from protocol.errors import PackageError
from protocol.lipsync import LipSyncTrack
from protocol.manifest import PackagedScene
from protocol.package import MANIFEST, open_package
from tests.conftest import MINIMAL_SCENE, QUICK, run_cli
from tools import lipsync
from tools.audio_codec import synthesize
from tools.build import build_exhibit
from tools.cache import BuildCache
from tools.errors import AssetError
from tools.lipsync import FRAME_RATE, analyse, track_of_ogg
from tools.package import entries_for, stable_json, write_package

RATE = 22050


def _vowel(seconds: float, amplitude: float, rate: int = RATE) -> np.ndarray:
    """A voiced vowel-like sound: 140 Hz harmonics shaped by formants near 800 and 1200 Hz."""
    t = np.arange(int(seconds * rate)) / rate
    gain = [np.exp(-((140 * k - 800) / 150) ** 2) + 0.5 * np.exp(-((140 * k - 1200) / 150) ** 2)
            for k in range(1, 30)]
    wave = sum(g * np.sin(2 * np.pi * 140 * k * t) for k, g in enumerate(gain, start=1))
    wave = wave / np.max(np.abs(wave))
    return np.asarray(amplitude * wave)


def _speech_like() -> tuple[np.ndarray, list[tuple[float, float, float]]]:
    """Silence, then syllables (start s, end s, amplitude) with gaps between, then silence."""
    syllables = [(0.5, 0.75, 0.3), (0.95, 1.2, 0.3), (1.4, 1.65, 0.075), (1.85, 2.1, 0.3)]
    samples = np.zeros(int(2.6 * RATE))
    for start, end, amplitude in syllables:
        part = _vowel(end - start, amplitude)
        ramp = np.minimum(1, np.minimum(np.arange(len(part)), np.arange(len(part))[::-1]) / 200)
        samples[int(start * RATE):int(start * RATE) + len(part)] = part * ramp
    return samples, syllables


def _frame(seconds: float) -> int:
    return int(seconds * FRAME_RATE)


def test_silence_keeps_the_mouth_closed() -> None:
    track = analyse(np.zeros(RATE * 3), RATE)
    assert len(track.openness) == 3 * FRAME_RATE
    assert set(track.openness) == {0} and set(track.visemes) == {"X"}
    faint = analyse(np.random.default_rng(0).normal(0, 1e-4, RATE * 2), RATE)  # -80 dBFS hiss
    assert set(faint.openness) == {0}
    assert analyse(np.zeros(0), RATE).openness == []


def test_openness_follows_the_loudness_envelope() -> None:
    samples, syllables = _speech_like()
    track = analyse(samples, RATE)
    openness = np.array(track.openness)
    assert len(openness) == -(-len(samples) * FRAME_RATE // RATE)
    for start, end, amplitude in syllables:
        middle = openness[_frame((start + end) / 2)]
        assert middle > (200 if amplitude == 0.3 else 40), (start, middle)
    quiet = openness[_frame(1.5)]
    assert quiet < openness[_frame(1.1)] - 60  # 12 dB quieter opens the mouth far less
    for gap in (0.25, 0.9, 1.33, 1.8, 2.45):  # silence before, between and after
        assert openness[_frame(gap)] < 30, (gap, openness[_frame(gap)])
    envelope = np.zeros(len(openness))
    for start, end, amplitude in syllables:
        envelope[_frame(start):_frame(end)] = amplitude
    assert np.corrcoef(envelope, openness)[0, 1] > 0.85
    assert set(track.visemes[_frame(0.55):_frame(0.7)]) == {"A"}  # F1 near 800 Hz: open jaw


def _espeak(pinyin: str, folder: Path) -> LipSyncTrack:
    wav = folder / "s.wav"
    subprocess.run(["espeak-ng", "-v", "cmn-latn-pinyin", "-w", str(wav), pinyin], check=True)
    samples, rate = soundfile.read(str(wav))
    return analyse(samples, rate)


@pytest.mark.parametrize(("pinyin", "shape"), [("a1", "A"), ("yi1", "E"), ("wu1", "O")])
def test_vowels_give_their_mouth_shapes(pinyin: str, shape: str, tmp_path: Path) -> None:
    visemes = _espeak(pinyin, tmp_path).visemes.replace("X", "")
    assert visemes.count(shape) > 0.6 * len(visemes), visemes


def test_hissing_consonants_close_the_teeth(tmp_path: Path) -> None:
    visemes = _espeak("si1 xi1", tmp_path).visemes
    assert "S" in visemes[:10] and visemes.count("S") >= 6, visemes


def test_synthesized_narration_opens_and_closes_per_syllable() -> None:
    data, seconds = synthesize("十三根铁索", "test")
    track = track_of_ogg(data, "test")
    assert abs(track.seconds - seconds) < 0.03
    openness = np.array(track.openness)
    assert openness.max() > 240 and openness[-5:].max() < 20
    opened = openness > 128
    openings = int(np.sum(opened[1:] & ~opened[:-1]))
    assert 2 <= openings <= 8, track.openness
    assert track_of_ogg(data, "test") == track


def test_tracks_are_the_same_bytes_whatever_the_analysis_chunks(
        monkeypatch: pytest.MonkeyPatch) -> None:
    samples = np.tile(_speech_like()[0], 5)  # 13 s: more frames than one chunk
    chunked = stable_json(analyse(samples, RATE).model_dump(mode="json"))
    assert stable_json(analyse(samples, RATE).model_dump(mode="json")) == chunked
    monkeypatch.setattr(lipsync, "_CHUNK", 10**6)
    assert stable_json(analyse(samples, RATE).model_dump(mode="json")) == chunked


def test_hostile_audio_gets_a_clear_answer() -> None:
    samples = _speech_like()[0]
    samples[1000:2000] = np.nan
    samples[3000] = np.inf
    track = analyse(samples, RATE)
    assert max(track.openness) <= 255
    with pytest.raises(ValueError, match="mono"):
        analyse(np.zeros((100, 2)), RATE)
    with pytest.raises(ValueError, match="kHz"):
        analyse(np.zeros(100), 10)
    with pytest.raises(AssetError, match="cannot decode the narration"):
        track_of_ogg(b"OggS not really", "bad.ogg")


def test_the_track_format_refuses_what_a_face_cannot_play() -> None:
    LipSyncTrack(rate=50, openness=[0, 255], visemes="XA")
    for bad in ({"rate": 50, "openness": [0, 256], "visemes": "XA"},
                {"rate": 50, "openness": [0, 1], "visemes": "X"},
                {"rate": 50, "openness": [0, 1], "visemes": "XZ"},
                {"rate": 0, "openness": [], "visemes": ""},
                {"rate": 50, "openness": [], "visemes": "", "extra": 1}):
        with pytest.raises(ValidationError):
            LipSyncTrack.model_validate(bad)


def _narrated(content: Callable[..., Path]) -> Path:
    scene = MINIMAL_SCENE.replace("sources: [0]}", "sources: [0], audio: assets/table.wav}")
    exhibit = content(scene=scene)
    root = exhibit.parent.parent
    soundfile.write(str(root / "assets/table.wav"), _speech_like()[0], RATE)
    return exhibit


def test_builds_store_a_track_beside_each_ogg_and_inspect_lists_it(
        content: Callable[..., Path], key: Ed25519PrivateKey, tmp_path: Path) -> None:
    exhibit = _narrated(content)
    first = build_exhibit(exhibit, tmp_path / "a", key, QUICK, BuildCache(None))
    again = build_exhibit(exhibit, tmp_path / "b", key, QUICK, BuildCache(tmp_path / "cache"))
    cached = build_exhibit(exhibit, tmp_path / "c", key, QUICK, BuildCache(tmp_path / "cache"))
    assert first.path.read_bytes() == again.path.read_bytes() == cached.path.read_bytes()
    package = open_package(first.path, [key.public_key()])
    scene = PackagedScene.model_validate_json(package.read("scenes/tiny.json"))
    ogg = scene.audio["table"]["zh-CN"]
    assert scene.lipsync == {ogg: ogg.removesuffix(".ogg") + ".lipsync.json"}
    track = LipSyncTrack.model_validate_json(package.read(scene.lipsync[ogg]))
    samples, rate = soundfile.read(io.BytesIO(package.read(ogg)))
    assert len(track.openness) == -(-len(samples) * FRAME_RATE // rate)
    assert max(track.openness) > 200 and track.openness[:10] == [0] * 10
    code, out, _ = run_cli("inspect", str(first.path), "--json")
    assert code == 0
    (listed,) = json.loads(out)["scenes"][0]["audio"]
    assert listed["owner"] == "table" and listed["path"] == ogg
    assert listed["lipsync"]["path"] == scene.lipsync[ogg]
    assert listed["lipsync"]["rate"] == FRAME_RATE
    assert listed["lipsync"]["frames"] == len(track.openness)


def _resigned(source: Path, out: Path, key: Ed25519PrivateKey,
              change: Callable[[dict[str, bytes]], None]) -> Path:
    with zipfile.ZipFile(source) as archive:
        manifest = json.loads(archive.read(MANIFEST))
        files = {n: archive.read(n) for n in archive.namelist() if not n.startswith("manifest")}
    change(files)
    manifest["entries"] = [e.model_dump() for e in entries_for(files)]
    write_package(out, manifest, files, key)
    return out


def test_readers_refuse_a_missing_or_malformed_track(
        content: Callable[..., Path], key: Ed25519PrivateKey, tmp_path: Path) -> None:
    built = build_exhibit(_narrated(content), tmp_path / "a", key, QUICK, BuildCache(None))
    track = next(n for n in zipfile.ZipFile(built.path).namelist() if n.endswith(".json")
                 and n.startswith("audio/"))

    def corrupt(files: dict[str, bytes]) -> None:
        files[track] = b'{"kind":"redhall-lipsync","version":1,"rate":50,"openness":[300],' \
                       b'"visemes":"A"}'

    def remove(files: dict[str, bytes]) -> None:
        del files[track]

    with pytest.raises(PackageError, match="lip-sync format"):
        open_package(_resigned(built.path, tmp_path / "bad.exhibit", key, corrupt),
                     [key.public_key()])
    with pytest.raises(PackageError, match="lip-sync track of"):
        open_package(_resigned(built.path, tmp_path / "gone.exhibit", key, remove),
                     [key.public_key()])
