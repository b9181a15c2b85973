"""The narrator in the engine: lip-sync, blinks, head turning, the gesture, and where it
stands in a rendered frame (offscreen, on a manual clock)."""

from __future__ import annotations

import json
import math
import textwrap
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from panda3d.core import Point3
from PIL import Image

from engine.app import ExhibitApp
from engine.clock import ManualClock
from engine.loading import load_exhibit
from engine.narrator import HEAD_YAW_LIMIT, NarratorFigure
from engine.narrator_face import BLINK_GAP, Blinker
from engine.view import ExhibitView
from protocol.package import MalformedPackage
from tests.conftest import MINIMAL_EXHIBIT, MINIMAL_SCENE, QUICK, ROOT
from tests.engine.conftest import SCENES
from tools.build import build_exhibit
from tools.cache import BuildCache
from tools.package import entries_for, stable_json, write_package

SHOTS = ROOT / "var/screenshots/engine"
RATE = 22050
LOUD = (0.5, 0.9)  # the narration's one syllable, seconds from its start
SUIT = np.array([0x5B, 0x64, 0x70])
NARRATED_SCENE = MINIMAL_SCENE.replace(
    "sources: [0]}", "sources: [0], audio: assets/table.wav}").replace(
    "hotspots: [table]}", "hotspots: [table], audio: assets/table.wav}").replace(
    "credit:", "narrator: {position: [1.8, 0, 0], facing: [0, -5, 1.6]}\ncredit:")


def _syllable() -> np.ndarray:
    """Silence, a loud vowel (140 Hz harmonics, formant near 800 Hz), silence."""
    samples = np.zeros(int(1.6 * RATE))
    start, end = (int(s * RATE) for s in LOUD)
    t = np.arange(end - start) / RATE
    wave = sum(math.exp(-((140 * k - 800) / 150) ** 2) * np.sin(2 * np.pi * 140 * k * t)
               for k in range(1, 30))
    samples[start:end] = 0.3 * wave / np.max(np.abs(wave))
    return samples


@pytest.fixture(scope="module")
def narrated(tmp_path_factory: pytest.TempPathFactory, key: Ed25519PrivateKey) -> Path:
    root = tmp_path_factory.mktemp("narrated")
    for folder in ("scenes", "exhibits", "assets/fonts"):
        (root / folder).mkdir(parents=True)
    (root / "assets/fonts/wqy-microhei.ttc").symlink_to(ROOT / "assets/fonts/wqy-microhei.ttc")
    soundfile.write(str(root / "assets/table.wav"), _syllable(), RATE)
    (root / "scenes/tiny.yaml").write_text(textwrap.dedent(NARRATED_SCENE), encoding="utf-8")
    exhibit = root / "exhibits/tiny-exhibit.yaml"
    exhibit.write_text(MINIMAL_EXHIBIT, encoding="utf-8")
    return build_exhibit(exhibit, root / "dist", key, QUICK, BuildCache(None)).path


@pytest.fixture
def view(narrated: Path, key: Ed25519PrivateKey, tmp_path: Path) -> Iterator[ExhibitView]:
    app = ExhibitApp("offscreen", (480, 270), ManualClock())
    try:
        exhibit = load_exhibit(narrated, [key.public_key()], tmp_path)
        shown = ExhibitView(app, exhibit, "tiny", "en")
        app.step(1 / 60)
        yield shown
    finally:
        app.destroy()


def _figure(view: ExhibitView) -> NarratorFigure:
    assert view.narrator is not None
    return view.narrator


def _run(view: ExhibitView, seconds: float, step: float = 1 / 30) -> None:
    for _ in range(round(seconds / step)):
        view.app.step(step)


def test_the_mouth_opens_in_a_loud_syllable_and_rests_in_silence(view: ExhibitView) -> None:
    figure = _figure(view)
    view.select("table")
    assert figure.track is not None and figure.speech_time() == 0.0
    opened: list[float] = []
    for _ in range(45):  # 1.5 s of the narration, frame by frame
        view.app.step(1 / 30)
        seconds = figure.speech_time()
        assert seconds is not None
        weight = sum(figure.sliders[n].getX() for n in ("viseme_A", "viseme_E", "viseme_O",
                                                         "viseme_S"))
        if LOUD[0] + 0.1 < seconds < LOUD[1] - 0.05:
            opened.append(weight)
        elif seconds < LOUD[0] - 0.05 or seconds > LOUD[1] + 0.25:
            assert weight < 0.02, f"the mouth is open ({weight:.2f}) in silence at {seconds:.2f}"
    assert len(opened) > 5 and min(opened) > 0.3, opened
    view.select("table")
    view.close_panel()  # the narration stops with its panel, and so does the mouth
    _run(view, LOUD[0] + 0.2)
    assert figure.track is None and max(figure.mouth().values()) == 0.0


def test_blinks_come_at_seeded_random_intervals(view: ExhibitView) -> None:
    figure = _figure(view)
    clock = view.app.clock
    assert isinstance(clock, ManualClock)
    closed = []
    for frame in range(60 * 30):  # half a minute, as the app's frame task would update it
        clock.advance(1 / 60)
        figure.update(1 / 60)
        if figure.sliders["blink"].getX() > 0.6:
            closed.append(frame / 60)
    starts = [t for i, t in enumerate(closed) if i == 0 or t - closed[i - 1] > 0.5]
    gaps = np.diff(starts)
    assert len(starts) >= 3 and all(BLINK_GAP[0] <= g <= BLINK_GAP[1] + 0.3 for g in gaps), starts
    assert len(set(np.round(gaps, 1))) > 1, "blinks keep a fixed beat"
    again = Blinker(0, 0.0), Blinker(0, 0.0)  # the same seed blinks the same way
    samples = np.arange(0, 30, 0.01)
    assert [again[0].weight(t) for t in samples] == [again[1].weight(t) for t in samples]
    other = Blinker(1, 0.0)
    assert [other.weight(t) for t in samples] != [Blinker(0, 0.0).weight(t) for t in samples]


def _yaw_toward(figure: NarratorFigure, camera: Point3) -> float:
    """The head yaw that faces ``camera``, from the figure's standing heading."""
    position = figure.actor.getPos()
    bearing = math.degrees(math.atan2(-(camera.x - position.x), camera.y - position.y))
    return (bearing - figure.facing + 180) % 360 - 180


def test_the_head_follows_the_member_within_its_clamp(view: ExhibitView) -> None:
    figure = _figure(view)
    camera = view.app.base.camera
    head = figure.head_node
    assert head is not None
    for place in (Point3(0, -5, 1.6), Point3(4, -3, 1.6), Point3(-2, -4, 1.7),
                  Point3(3, 5, 1.6)):
        camera.setPos(view.app.render, place)
        _run(view, 1.5, step=0.1)
        wanted = _yaw_toward(figure, place)
        expected = max(-HEAD_YAW_LIMIT, min(HEAD_YAW_LIMIT, wanted))
        assert figure.head_yaw == pytest.approx(expected, abs=1.0), (place, wanted)
        # the head joint itself faces that way: its -y axis, seen from above
        face = -view.app.render.getRelativeVector(head, (0, 1, 0))
        looking = math.degrees(math.atan2(-face.x, face.y))
        assert (looking - (figure.facing + expected) + 180) % 360 - 180 == \
            pytest.approx(0, abs=2.0)
    assert abs(_yaw_toward(figure, Point3(3, 5, 1.6))) > HEAD_YAW_LIMIT  # that one was clamped


def test_the_gesture_points_at_the_hotspot_when_its_narration_starts(
        view: ExhibitView) -> None:
    figure = _figure(view)
    hand = figure.actor.exposeJoint(None, "modelRoot", "hand.R")
    render = view.app.render
    rest = hand.getPos(render)
    view.select("table")
    _run(view, 1.0, step=0.1)  # the arm is up and held
    raised = hand.getPos(render)
    assert raised.z - rest.z > 0.25, "the arm did not rise"
    shoulder = figure.actor.exposeJoint(None, "modelRoot", "upperarm.R").getPos(render)
    table = view.scene.script.hotspots[0].at
    toward = math.atan2(table[1] - shoulder.y, table[0] - shoulder.x)
    pointing = math.atan2(raised.y - shoulder.y, raised.x - shoulder.x)
    assert abs(math.degrees((pointing - toward + math.pi) % (2 * math.pi) - math.pi)) < 10
    assert abs(figure.body_turn) > 30  # he turned from the member toward the table
    _run(view, 2.0, step=0.1)  # the gesture is over: arm down, facing the member again
    assert (hand.getPos(render) - rest).length() < 0.02 and figure.body_turn == 0.0


def test_a_stop_is_spoken_by_the_narrator_from_where_it_stands(view: ExhibitView) -> None:
    figure = _figure(view)
    voices = view.voices
    assert voices.listener == view.app.base.camera  # heard from the member's eyes
    view.go_to_stop("start")
    sound = view.sounds["stop:start"]
    assert view.playing == "stop:start" and figure.track is not None  # lip-sync running
    assert voices.sounds_on(figure.voice_node) == [sound]
    # the voice comes from the narrator's head: where it stands, a head's height up
    at = figure.voice_node.getPos(view.app.render)
    assert math.hypot(at.x - 1.8, at.y) < 0.3 and 1.4 < at.z < 1.9, at
    _run(view, 0.8, step=0.1)
    assert abs(figure.body_turn) > 30  # turned to gesture at the stop's hotspot, the table
    view.select("table")  # the next narration: the stop's line stops and lets go of him
    assert voices.sounds_on(figure.voice_node) == [view.sounds["table"]]
    view.close_panel()
    assert voices.sounds_on(figure.voice_node) == [] and view.playing is None


def test_narration_the_narrator_does_not_speak_plays_plainly(view: ExhibitView) -> None:
    figure = _figure(view)
    figure.spec = figure.spec.model_copy(update={"stops": []})  # he presents no stop
    view.go_to_stop("start")
    assert view.playing == "stop:start" and figure.track is None
    assert view.voices.sounds_on(figure.voice_node) == []
    view.select("table")
    assert figure.track is not None and view.voices.sounds_on(figure.voice_node) != []


def test_without_a_3d_audio_manager_the_narrator_still_speaks(view: ExhibitView) -> None:
    figure = _figure(view)
    view.voices.audio3d = None  # an audio library that gives no 3D sound at all
    view.select("table")
    assert view.playing == "table" and figure.track is not None  # the mouth still moves
    view.go_to_stop("start")  # the next one stops it, with nothing attached anywhere
    assert view.playing == "stop:start"
    view.close_panel()
    assert view.playing is None


def _shot(view: ExhibitView, name: str) -> np.ndarray:
    image = view.app.capture()
    SHOTS.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(SHOTS / f"{name}.png")
    return image


def test_the_frame_shows_the_suit_where_the_scene_puts_the_narrator(
        view: ExhibitView) -> None:
    figure = _figure(view)
    view.app.step(1 / 60)
    with_figure = _shot(view, "narrator-tiny").astype(int)
    figure.actor.hide()
    without = view.app.capture().astype(int)
    figure.actor.show()
    changed = np.abs(with_figure - without).sum(axis=2) > 30
    chest = view.screen_position((1.8, 0.0, 1.25))
    feet = view.screen_position((1.8, 0.0, 0.05))
    head = view.screen_position((1.8, 0.0, 1.75))
    assert chest is not None and feet is not None and head is not None
    ys, xs = np.nonzero(changed)
    assert changed.sum() > 300
    assert abs(xs.mean() - chest[0]) < 12 and head[1] - 6 < ys.min() and ys.max() < feet[1] + 6
    x, y = round(chest[0]), round(chest[1])
    patch = with_figure[y - 2:y + 3, x - 2:x + 3].reshape(-1, 3).mean(axis=0)
    # the suit's grey, lit: neutral-blue grey, neither skin nor the floor's brown
    assert patch[2] >= patch[0] and np.abs(patch - patch.mean()).max() < 25, patch
    assert np.abs(patch / patch.sum() - SUIT / SUIT.sum()).max() < 0.05, patch


@pytest.mark.parametrize("scene", sorted(SCENES))
def test_each_sample_shows_its_narrator_beside_the_first_stop_clear_of_hotspots(
        open_view: Callable[..., ExhibitView], scene: str) -> None:
    view = open_view(scene)
    figure = _figure(view)
    view.go_to_stop(view.scene.script.route[0].id)
    view.app.step(1 / 60)
    shown = _shot(view, f"narrator-{scene}").astype(int)
    figure.actor.hide()
    without = view.app.capture().astype(int)
    figure.actor.show()
    changed = np.abs(shown - without).sum(axis=2) > 30
    spec = view.scene.script.narrator
    assert spec is not None
    x, y, z = spec.position
    feet, head = view.screen_position((x, y, z)), view.screen_position((x, y, z + 1.7))
    assert feet is not None and head is not None
    width, height = view.app.size
    assert 0 <= feet[0] < width and 0 <= head[1] < feet[1] < height, "not in view"
    ys, xs = np.nonzero(changed)
    assert changed.sum() > 100 and abs(np.median(xs) - feet[0]) < 10
    assert head[1] - 4 < np.median(ys) < feet[1] + 4
    for hotspot in view.scene.script.hotspots:  # no marker is hidden behind the narrator
        point = view.screen_position(hotspot.at)
        if point is None or not (0 <= point[0] < width and 0 <= point[1] < height):
            continue
        px, py = int(point[0]), int(point[1])
        assert not changed[max(py - 3, 0):py + 4, max(px - 3, 0):px + 4].any(), hotspot.id


def _tampered(source: Path, out: Path, key: Ed25519PrivateKey, model: str) -> Path:
    """``source`` re-signed with its scene's narrator naming ``model``."""
    with zipfile.ZipFile(source) as archive:
        files = {n: archive.read(n) for n in archive.namelist()
                 if n not in ("manifest.json", "manifest.sig")}
        manifest = json.loads(archive.read("manifest.json"))
    scene = json.loads(files["scenes/tiny.json"])
    scene["script"]["narrator"]["model"] = model
    files["scenes/tiny.json"] = stable_json(scene)
    manifest["entries"] = [e.model_dump() for e in entries_for(files)]
    write_package(out, manifest, files, key)
    return out


@pytest.mark.parametrize("model", ["models/nothere.glb", "prop"])
def test_a_narrator_naming_no_figure_is_refused_in_words(
        narrated: Path, key: Ed25519PrivateKey, tmp_path: Path, model: str) -> None:
    if model == "prop":  # a sound model that is no figure: no joints, no face
        with zipfile.ZipFile(narrated) as archive:
            scene = json.loads(archive.read("scenes/tiny.json"))
        model = scene["props"][1]["levels"][0]["path"]
    package = _tampered(narrated, tmp_path / "tampered.exhibit", key, model)
    if model.endswith("nothere.glb"):  # refused as the package is opened
        with pytest.raises(MalformedPackage, match=r"narrator of scene `tiny`.*nothere\.glb"):
            load_exhibit(package, [key.public_key()], tmp_path / "cache")
        return
    app = ExhibitApp("offscreen", (160, 90), ManualClock())
    try:
        exhibit = load_exhibit(package, [key.public_key()], tmp_path / "cache")
        # a sound model that is no figure is shown standing still: nothing breaks
        view = ExhibitView(app, exhibit, "tiny", "en")
        view.select("table")
        app.step(0.5)
        assert view.narrator is not None and view.narrator.head is None
    finally:
        app.destroy()
