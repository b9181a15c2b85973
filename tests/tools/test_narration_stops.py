"""Route stops' lines are spoken: synthesized per language the line is written in (where
espeak-ng has a voice), packaged as ``stop:<id>`` beside the hotspots' narration with a
lip-sync track each, and listed by `redhall inspect --json`."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import soundfile
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from protocol.manifest import PackagedScene
from protocol.package import open_package
from protocol.scene import RouteStop
from tests.conftest import MINIMAL_SCENE, run_cli
from tools.build import BuildResult, build_exhibit
from tools.cache import BuildCache
from tools.narration import build_narration, needs_speech, stop_speech
from tools.props import BuildOptions
from tools.validate import load_exhibit

SPEECH = BuildOptions(speech=True, thumbnails=False)


def _scenes(path: Path, key: Ed25519PrivateKey) -> list[PackagedScene]:
    package = open_package(path, [key.public_key()])
    return [PackagedScene.model_validate_json(package.read(ref.script))
            for ref in package.manifest.scenes]


def test_every_sample_stop_and_hotspot_speaks_in_chinese_and_english(
        samples: dict[str, BuildResult], key: Ed25519PrivateKey) -> None:
    for result in samples.values():
        package = open_package(result.path, [key.public_key()])
        listed = {(a["owner"], a["language"]): a for s in
                  json.loads(run_cli("inspect", str(result.path), "--json")[1])["scenes"]
                  for a in s["audio"]}
        for scene in _scenes(result.path, key):
            for stop in scene.script.route:
                tracks = scene.audio[f"stop:{stop.id}"]
                assert set(tracks) == {"zh-CN", "en"}, (scene.script.id, stop.id)
                for language, ogg in tracks.items():
                    samples_, rate = soundfile.read(io.BytesIO(package.read(ogg)))
                    # a spoken line: a second or more, within the ten-second lines written
                    assert 0.8 < len(samples_) / rate < 15, (stop.id, language)
                    assert ogg in scene.lipsync  # the mouth follows it too
                    entry = listed[(f"stop:{stop.id}", language)]
                    assert entry["kind"] == "stop" and entry["path"] == ogg
                    assert entry["lipsync"]["path"] == scene.lipsync[ogg]
            hotspots = {a for a in scene.audio if not a.startswith("stop:")}
            assert hotspots == {h.id for h in scene.script.hotspots}  # no owner collides
            for hotspot in scene.script.hotspots:  # an English visitor hears English too
                assert set(scene.audio[hotspot.id]) == {"zh-CN", "en"}, hotspot.id


def test_a_recorded_line_wins_and_other_languages_are_synthesized(
        content: Callable[..., Path], key: Ed25519PrivateKey, tmp_path: Path) -> None:
    scene = MINIMAL_SCENE.replace(
        "say: {zh-CN: 开始, en: Start}, hotspots: [table]}",
        "say: {zh-CN: 开始, en: Start}, hotspots: [table], audio: assets/start.wav}").replace(
        "text: {zh-CN: 一张长桌。, en: A table.}, sources: [0]}",
        "text: {zh-CN: 一张长桌。, en: A table.}, sources: [0], audio: assets/start.wav}")
    exhibit = content(scene=scene)
    root = exhibit.parent.parent
    soundfile.write(str(root / "assets/start.wav"), [0.0] * 8000 + [0.3, -0.3] * 4000, 16000)
    sources, problems = load_exhibit(exhibit)
    assert sources is not None, problems
    (stop,) = sources.scenes[0][0].route
    assert stop_speech(stop) == {"en": "Start"} and needs_speech(sources.scenes[0][0])
    built = build_exhibit(exhibit, tmp_path / "dist", key, SPEECH, BuildCache(None))
    (packaged,) = _scenes(built.path, key)
    tracks = packaged.audio["stop:start"]
    # the stop's and the hotspot's English are synthesized, their Mandarin is the recording
    assert set(tracks) == {"zh-CN", "en"} and built.synthesized == 2
    assert set(packaged.audio["table"]) == {"zh-CN", "en"}
    assert tracks["zh-CN"] == packaged.audio["table"]["zh-CN"]  # the same recording, once
    assert tracks["en"] != tracks["zh-CN"] != packaged.audio["table"]["en"]


def test_a_line_recorded_in_every_language_it_is_written_in_is_not_synthesized() -> None:
    stop = RouteStop.model_validate({
        "id": "start", "camera": {"pos": [0, 0, 1], "look_at": [0, 1, 1]},
        "say": {"zh-CN": "开始", "zh-TW": "開始", "en": "Start"},
        "audio": {"zh-CN": "a.wav", "en": "b.wav"}})
    assert stop_speech(stop) == {"zh-TW": "開始"}
    assert stop_speech(stop.model_copy(update={"audio": {"zh-CN": "a.wav", "zh-TW": "c.wav",
                                                         "en": "b.wav"}})) == {}


def test_stop_lines_are_spoken_only_in_the_languages_the_exhibit_ships(
        content: Callable[..., Path]) -> None:
    sources, problems = load_exhibit(content())
    assert sources is not None, problems
    scene = sources.scenes[0][0]
    shipped = build_narration(scene, sources.root, BuildCache(None), True, languages=["zh-CN"])
    assert set(shipped.audio["stop:start"]) == {"zh-CN"}
    every = build_narration(scene, sources.root, BuildCache(None), True)
    assert set(every.audio["stop:start"]) == {"zh-CN", "en"}
    assert every.audio["stop:start"]["zh-CN"] == shipped.audio["stop:start"]["zh-CN"]
