"""A recorded tour replayed offscreen: the guide's avatar is where the recording puts it at
a chosen time, the voice playing then is the guide's words of that time, the quiz item
comes up and the answer is a replay fact; pause, seek, 1.5×; a bad recording is refused
with a clear message."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from engine.hotspots import HIGHLIGHT_COLOUR
from engine.replay import ReplayFacts, ReplaySystem
from engine.replay_recording import ReplayError, load_recording
from engine.view import ExhibitView
from protocol import tour as wire
from protocol.participation import ParticipationFact
from protocol.tour_poses import Pose, Transform, encode_pose
from redhall.cli import main
from server.recording.recorder import FileTourRecorder
from server.recording.store import Recordings
from server.recording.voices import VoicePolicy
from tests.server.recording_support import joined, opus_packets, tone


class Facts:
    def __init__(self) -> None:
        self.facts: list[ParticipationFact] = []

    def emit(self, fact: ParticipationFact) -> None:
        self.facts.append(fact)


def _record(tmp_path: Path, view: ExhibitView) -> Path:
    """A six-second tour: the guide walks x = t metres along, speaks 440 Hz from 0.5 to
    2.5 s and 660 Hz from 3 to 5 s, moves to a stop at 1 s, highlights at 2 s, points
    at 2.5 s and puts a quiz item at 4 s."""
    script = view.scene.script
    start = time.time() - 30  # recorded earlier: every capture time is in the past
    folder = tmp_path / "live" / "5-1"
    folder.parent.mkdir()
    recorder = FileTourRecorder(folder, 5, start, VoicePolicy(), about={
        "exhibit": "founding", "exhibit_version": "1.0.0", "scene": script.id})
    recorder.event(start, joined(0, 1, "guide"))
    recorder.event(start + 1, wire.StopChanged(scene=script.id, stop=script.route[0].id))
    recorder.event(start + 2, wire.Highlighted(hotspot=script.hotspots[0].id))
    recorder.event(start + 2.5, wire.LaserMoved(origin=(0, 0, 1.5), target=(1, 2, 1)))
    item = script.quiz[0]
    recorder.event(start + 4, wire.QuizUpdate(quiz=wire.QuizState(
        item=item.id, choices=len(item.choices), counts=[0] * len(item.choices), answered=0,
        eligible=1)))
    for i in range(61):
        t = i * 0.1
        recorder.pose(0, start + t, encode_pose(Pose(Transform((t, 2.0, 1.6)))))
    for offset, hz, seconds in ((0.5, 440, 2.0), (3.0, 660, 2.0)):
        for i, packet in enumerate(opus_packets(tone(seconds, hz))):
            recorder.voice(0, start + offset + i * 0.02, packet)
    recorder.close()
    recorder.join(20)
    store = Recordings(tmp_path)
    store.live = folder.parent
    _, sha = store.store(folder)
    return tmp_path / "blobs" / f"{sha}.json"


def _highlighted(view: ExhibitView) -> str | None:
    lit = [key for key, marker in view.hotspots.markers.items()
           if tuple(marker.getColor()) == pytest.approx(HIGHLIGHT_COLOUR, abs=1e-3)]
    return lit[0] if lit else None


def _peak(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    return float(np.argmax(spectrum) * 48_000 / len(samples))


def test_a_recorded_tour_replays_offscreen(open_view: Callable[..., ExhibitView],
                                           tmp_path: Path) -> None:
    facts = Facts()
    view = open_view("nanhu-red-boat", sink=ReplayFacts(facts, 5))
    recording = load_recording(_record(tmp_path, view))
    assert recording.scene == "nanhu-red-boat" and recording.exhibit == "founding"
    assert recording.check_package("founding", "1.0.0") is None
    assert "version 1.0.0" in str(recording.check_package("founding", "2.0.0"))
    with pytest.raises(ReplayError, match="open the package of `founding`"):
        recording.check_package("long-march", "1.0.0")
    replay = ReplaySystem(view, recording, tmp_path / "cache")
    assert replay.sound is None and replay.audio_missing  # no sound card here: said so
    script = view.scene.script
    app = view.app

    replay.seek(3.0)
    app.step(1 / 60)
    app.step(1 / 60)
    shown = view.avatars.shown("guide")
    assert shown is not None
    assert shown.head == pytest.approx((3.0, 2.0, 1.6), abs=0.05)
    assert _highlighted(view) == script.hotspots[0].id
    assert len(replay.laser.getChildren()) == 1
    assert abs(_peak(replay.voice_at(3.5, 0.2)) - 660) < 10  # the words said at 3.5 s
    assert abs(_peak(replay.voice_at(1.5, 0.2)) - 440) < 10
    assert np.abs(replay.voice_at(2.8, 0.1).astype(np.int32)).max() < 800  # between words
    assert view.quiz_card.item is None  # not yet put

    replay.seek(1.2)  # back: the quiz is not up, the stop stands, no highlight
    app.step(1 / 60)
    app.step(1 / 60)
    assert _highlighted(view) is None
    assert view.avatars.shown("guide").head[0] == pytest.approx(1.2, abs=0.05)  # type: ignore[union-attr]

    replay.set_speed(1.5)
    replay.seek(3.5)
    app.step(0.25)
    app.step(0.25)
    assert replay.playback.position == pytest.approx(4.25)  # 0.5 s at 1.5×
    item = script.quiz[0]
    assert view.quiz_card.item is not None and view.quiz_card.item.id == item.id
    replay.toggle_pause()
    app.step(0.5)
    assert replay.playback.position == pytest.approx(4.25)  # paused
    view.answer_offered(item.answer)
    answered = [f for f in facts.facts if f.kind == "quiz_answered"]
    assert len(answered) == 1 and answered[0].replay_of == 5 and answered[0].correct
    assert facts.facts[0].kind == "scene_entered"  # every fact, from the first
    assert all(f.replay_of == 5 for f in facts.facts)
    with pytest.raises(ValueError, match="speeds"):
        replay.set_speed(7.0)


def test_a_damaged_recording_is_refused(tmp_path: Path,
                                        open_view: Callable[..., ExhibitView]) -> None:
    view = open_view("nanhu-red-boat")
    index = _record(tmp_path, view)
    data = json.loads(index.read_text())
    voice = tmp_path / "blobs" / f"{data['voices'][0]['sha256']}.opus"
    voice.write_bytes(voice.read_bytes()[:-10])
    with pytest.raises(ReplayError, match="does not match its sha256"):
        load_recording(index)
    voice.unlink()
    with pytest.raises(ReplayError, match="missing"):
        load_recording(index)


@pytest.mark.parametrize("content", [b"", b"not json", b"[1, 2]", b'{"recording": 1}',
                                     b'{"recording": 1, "tour": 1e999, "start": 0, '
                                     b'"duration": 1, "voices": []}'])
def test_the_cli_refuses_a_bad_recording_clearly(tmp_path: Path, content: bytes,
                                                 samples: dict[str, object]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    out, err = Console(record=True, width=200), Console(record=True, width=200)
    package = samples["founding"].path  # type: ignore[attr-defined]
    code = main(["view", str(package), "--replay", str(bad)], out, err)
    said = err.export_text()
    assert code == 1
    assert "recording" in said and "Traceback" not in said
    missing = main(["view", str(package), "--replay", str(tmp_path / "none.json")], out, err)
    assert missing == 1 and "cannot read the recording" in err.export_text()


def test_the_replay_follows_the_tour_to_another_scene(open_view: Callable[..., ExhibitView],
                                                      tmp_path: Path) -> None:
    facts = Facts()
    view = open_view("nanhu-red-boat", sink=ReplayFacts(facts, 9))
    other = view.exhibit.scene("first-congress-site").script
    start = time.time() - 30
    folder = tmp_path / "live" / "9-1"
    folder.parent.mkdir()
    first = view.scene.script
    recorder = FileTourRecorder(folder, 9, start, VoicePolicy(), about={"scene": other.id})
    recorder.event(start, joined(0, 1, "guide"))
    recorder.event(start + 1, wire.StopChanged(scene=first.id, stop=first.route[0].id))
    for i in range(31):
        recorder.pose(0, start + i * 0.1, encode_pose(Pose(Transform((1.0, i * 0.1, 1.6)))))
    recorder.close()
    recorder.join(20)
    store = Recordings(tmp_path)
    store.live = folder.parent
    _, sha = store.store(folder)
    replay = ReplaySystem(view, load_recording(tmp_path / "blobs" / f"{sha}.json"),
                          tmp_path / "cache")
    changed: list[ExhibitView] = []
    replay.on_scene_change.append(changed.append)
    assert replay.sound is None and replay.voice.size == 0  # a tour without a word
    assert replay.view.scene.script.id == other.id  # where the tour started
    replay.seek(2.0)
    app = view.app
    app.step(1 / 60)
    app.step(1 / 60)
    assert replay.view.scene.script.id == first.id and changed[-1] is replay.view
    shown = replay.view.avatars.shown("guide")
    assert shown is not None and shown.head == pytest.approx((1.0, 2.0, 1.6), abs=0.05)
    kinds = [(f.kind, f.scene) for f in facts.facts]
    assert ("scene_left", first.id) in kinds and ("scene_entered", other.id) in kinds
    assert kinds[-2:] == [("scene_entered", first.id), ("stop_reached", first.id)]
    assert all(f.replay_of == 9 for f in facts.facts)
