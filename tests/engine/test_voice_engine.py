"""Voice in the engine's tour view: speaking avatars glow, voices are placed at their
avatars, the tour bar and the guide's panel say who talks and who holds the floor, the
guide's keys give and take it, and a machine without audio says so. Steered by a
scripted link that says what the tour's server and voice would."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np

from engine.avatars import SPEAKING_COLOUR
from engine.guide_controls import GuideControls
from engine.tour_bar import TourBar
from engine.tour_scenes import TourSession
from engine.view import ExhibitView
from engine.voice import place
from protocol import tour as wire
from protocol.tour_poses import Pose, Transform
from tests.engine.test_tour_guards import ScriptedLink, frames, welcome


class VoiceLink(ScriptedLink):
    """A scripted link with the voice side of a TourLink."""

    def __init__(self, audio_reason: str | None = None) -> None:
        super().__init__()
        self.speaking: frozenset[int] = frozenset()
        self.placement: dict[int, tuple[float, float]] = {}
        self.audio = SimpleNamespace(reason=audio_reason)
        self.pressed: list[bool] = []
        self.talk_mode = "vad"
        self.allowed: bool | None = None

    def place_voices(self, placement: dict[int, tuple[float, float]]) -> None:
        self.placement = placement

    def talk(self, pressed: bool) -> None:
        self.pressed.append(pressed)

    def allow_talking(self, allowed: bool) -> None:
        self.allowed = allowed

    def set_talk_mode(self, mode: str) -> None:
        self.talk_mode = mode


def _as(role: str, seat: int, hands: list[int] | None = None) -> wire.Welcome:
    base = welcome()
    people = [*base.snapshot.participants,
              wire.Participant(seat=3, user=12, name="田汉", role="member")]
    snapshot = base.snapshot.model_copy(update={"participants": people,
                                                "hands": hands or []})
    return base.model_copy(update={"seat": seat, "role": role, "snapshot": snapshot})


def _pose_at(link: VoiceLink, seat: int, where: tuple[float, float, float]) -> None:
    link.inbox.append(("frame", time.time(), [(seat, Pose(Transform(where)))]))


def _head_colours(view: ExhibitView, name: str) -> np.ndarray:
    avatars = view.avatars
    colours = np.frombuffer(memoryview(avatars._colours).cast("B"), np.uint8)
    slot = avatars._drawn.index(name)
    per = len(colours) // 4 // len(avatars._drawn)
    return colours.reshape(-1, per, 4)[slot, :10, :3]


def test_a_speaking_guide_glows_and_is_heard_from_their_side(
        open_view: Callable[..., ExhibitView]) -> None:
    view = open_view("first-congress-site")
    link = VoiceLink()
    session = TourSession(view, link, _as("member", 2))
    bar = TourBar(session)
    camera = view.app.base.camera
    camera.setPos(view.app.render, 0, 0, 1.6)
    camera.setHpr(view.app.render, 0, 0, 0)
    _pose_at(link, 1, (3.0, 0.5, 1.6))  # the guide, 3 m to the right
    _pose_at(link, 3, (-20.0, 0.0, 1.6))  # another member, far to the left
    frames(session, 6)
    assert not (_head_colours(view, "1") == SPEAKING_COLOUR).all()

    link.speaking = frozenset({1})
    frames(session)
    assert view.avatars.speaking == {"1"}
    assert (_head_colours(view, "1") == SPEAKING_COLOUR).all()
    assert not (_head_colours(view, "3") == SPEAKING_COLOUR).all()
    gain, pan = link.placement[1]
    assert pan > 0.9 and 0.5 < gain < 1.0
    far_gain, far_pan = link.placement[3]
    assert far_pan < -0.9 and far_gain < 0.15
    assert "正在发言 冼星海" in bar.text and "未获发言权" in bar.text

    link.speaking = frozenset()
    frames(session)
    assert not (_head_colours(view, "1") == SPEAKING_COLOUR).all(), "the glow goes"


def test_the_floor_reaches_the_member_s_bar(open_view: Callable[..., ExhibitView]) -> None:
    view = open_view("first-congress-site")
    link = VoiceLink()
    session = TourSession(view, link, _as("member", 2))
    bar = TourBar(session)
    frames(session)
    assert not session.tour.may_speak() and "未获发言权" in bar.text
    assert link.allowed is False, "the microphone sends nothing without the floor"
    link.inbox.append(wire.FloorChanged(floor=wire.FloorState(holders=[2])))
    frames(session)
    assert session.tour.may_speak() and "我可以发言" in bar.text
    assert link.allowed is True
    link.inbox.append(wire.Setting(name="muted", on=True))
    frames(session)
    assert not session.tour.may_speak(), "mute-all silences members holding the floor"


def test_the_guide_gives_and_takes_the_floor(open_view: Callable[..., ExhibitView]) -> None:
    view = open_view("first-congress-site")
    link = VoiceLink()
    session = TourSession(view, link, _as("guide", 1, hands=[3, 2]))
    controls = GuideControls(session.view, session.tour)
    frames(session)
    assert "发言权 仅讲解员" in controls.summary()
    controls.command("give_floor")
    assert link.sent[-1] == wire.GiveFloor(seat=3), "the first raised hand"
    link.inbox.append(wire.FloorChanged(floor=wire.FloorState(holders=[3])))
    link.speaking = frozenset({3})
    frames(session)
    summary = controls.summary()
    assert "发言权 田汉" in summary and "正在发言 田汉" in summary
    controls.command("give_floor")
    assert link.sent[-1] == wire.GiveFloor(seat=2), "the next hand not yet given it"
    controls.command("take_floor")
    assert link.sent[-1] == wire.TakeFloor(seat=3)
    controls.command("toggle_floor")
    assert link.sent[-1] == wire.OpenFloor(open=True)
    view.app.base.messenger.send("o")  # the key itself
    assert link.sent[-1] == wire.OpenFloor(open=True)


def test_talk_keys_and_a_machine_without_audio(open_view: Callable[..., ExhibitView]) -> None:
    view = open_view("first-congress-site")
    link = VoiceLink(audio_reason="PortAudio found no audio devices")
    session = TourSession(view, link, _as("member", 2))
    bar = TourBar(session)
    frames(session)
    assert "未找到音频设备" in bar.text
    messenger: Any = view.app.base.messenger
    messenger.send("space")
    messenger.send("space-up")
    assert link.pressed == [True, False]
    messenger.send("f10")
    assert link.talk_mode == "push_to_talk"


def test_placement_rolls_off_with_distance() -> None:
    assert place(0.0, 1.0) == (1.0, 0.0)
    assert place(0.0, 4.0)[0] == 0.5
    assert place(-3.0, 0.0)[1] == -1.0
    assert place(float("nan"), 0.0, 0.0) == (0.1, 0.0)
