"""The `openxr` backend through the real OpenXR loader (pyopenxr's) and a scripted runtime
(`openxr_runtime/`, compiled here): the session's lifecycle, each eye's
picture where the runtime's pose and field of view put it, controllers that point, pick,
buzz and teleport, and `redhall view --xr openxr` in a real window."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from panda3d.core import Point3
from PIL import Image
from scipy import ndimage

from engine.errors import XRUnavailable
from engine.view import ExhibitView
from tests.engine.xwindow import redhall_view, until
from tools.build import BuildResult

RUNTIME_SOURCES = Path(__file__).parent / "openxr_runtime"
STEP = 1 / 90


@pytest.fixture(scope="session")
def openxr_runtime(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scripted runtime, compiled; the path of its manifest for XR_RUNTIME_JSON."""
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.fail("gcc is not installed; the scripted OpenXR runtime is compiled with it")
    if not Path("/usr/include/openxr/openxr.h").exists():
        pytest.fail("the OpenXR headers are missing: run scripts/setup (Debian libopenxr-dev)")
    folder = tmp_path_factory.mktemp("openxr-runtime")
    library = folder / "libredhall_scripted_xr.so"
    sources = sorted(str(p) for p in RUNTIME_SOURCES.glob("*.c"))
    subprocess.run([gcc, "-shared", "-fPIC", "-O1", "-Wall", "-Wextra", "-Werror",
                    "-fvisibility=hidden", "-o", str(library), *sources, "-ldl", "-lm"],
                   check=True)
    manifest = folder / "runtime.json"
    manifest.write_text(json.dumps({"file_format_version": "1.0.0", "runtime": {
        "name": "RedHall scripted test runtime", "library_path": str(library)}}))
    return manifest


@dataclass
class Runtime:
    """Steers the scripted runtime and reads what it saw."""

    script: Path
    log: Path

    def say(self, *lines: str) -> None:
        with self.script.open("a") as file:
            file.write("".join(line + "\n" for line in lines))

    def events(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def frames_with_layers(self) -> int:
        return sum(1 for e in self.events() if e.startswith("frame") and e.endswith("layers 1"))


@pytest.fixture
def runtime(openxr_runtime: Path, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    scripted = Runtime(tmp_path / "xr-script.txt", tmp_path / "xr-log.txt")
    scripted.script.write_text("")
    monkeypatch.setenv("XR_RUNTIME_JSON", str(openxr_runtime))
    monkeypatch.setenv("REDHALL_XR_SCRIPT", str(scripted.script))
    monkeypatch.setenv("REDHALL_XR_LOG", str(scripted.log))
    yield scripted


def _xr_quat(yaw: float, pitch: float) -> tuple[float, float, float, float]:
    """OpenXR (x, y, z, w) for turning ``yaw`` degrees left about +Y, then ``pitch`` up."""
    y, p = math.radians(yaw) / 2, math.radians(pitch) / 2
    # q_yaw * q_pitch
    return (math.sin(p) * math.cos(y), math.cos(p) * math.sin(y), -math.sin(p) * math.sin(y),
            math.cos(p) * math.cos(y))


def _rotate_back(q: tuple[float, ...], v: np.ndarray) -> np.ndarray:
    """``v`` rotated by the inverse of unit quaternion ``q`` (x, y, z, w)."""
    x, y, z, w = q
    r = np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                  [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                  [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])
    return r.T @ v


def _stage(view: ExhibitView, point: tuple[float, float, float]) -> np.ndarray:
    """A scene point in the runtime's stage space (OpenXR axes, origin on the rig)."""
    local = view.navigation.rig.getRelativePoint(view.app.render, Point3(*point))
    return np.array([local.x, local.z, -local.y])


def _until_focused(view: ExhibitView, runtime: Runtime) -> None:
    for _ in range(10):
        view.app.step(STEP)
        if "state FOCUSED frame 0" in runtime.events():
            return
    raise AssertionError(f"the session never got focus: {runtime.events()}")


def test_each_eye_is_drawn_where_the_runtimes_pose_and_fov_put_it(
        open_view: Callable[..., ExhibitView], runtime: Runtime, tmp_path: Path) -> None:
    head = _xr_quat(yaw=10, pitch=-4)  # turned a little left, looking a little down
    runtime.say("0 head 0.1 1.55 -0.2 " + " ".join(f"{c:.6f}" for c in head))
    view = open_view("zunyi-conference", xr="openxr")
    _until_focused(view, runtime)
    view.hotspots.root.hide()
    runtime.say(f"0 capture {tmp_path / 'bare'}")
    view.app.step(STEP)
    view.hotspots.root.show()
    runtime.say(f"0 capture {tmp_path / 'marked'}")
    view.app.step(STEP)
    events = runtime.events()
    assert "graphics egl" in events and "swapchain 640x600 format 0x8c43" in events
    layer = [line.split() for line in (tmp_path / "marked.txt").read_text().splitlines()]
    assert len(layer) == 2
    # The application submitted the views the runtime located: its fields of view, and
    # two eyes 64 mm apart across the scripted head.
    fovs = [tuple(float(v) for v in row[11:15]) for row in layer]
    assert fovs == [pytest.approx((-0.96, 0.74, 0.83, -0.90)),
                    pytest.approx((-0.74, 0.96, 0.83, -0.90))]
    positions = [np.array([float(v) for v in row[3:6]]) for row in layer]
    across = _rotate_back(head, positions[1] - positions[0])
    assert across == pytest.approx([0.064, 0.0, 0.0], abs=1e-4)
    for eye, row in enumerate(layer):
        marked = np.asarray(Image.open(tmp_path / f"marked-{eye}.ppm")).astype(int)
        bare = np.asarray(Image.open(tmp_path / f"bare-{eye}.ppm")).astype(int)
        Image.fromarray(marked.astype(np.uint8)).save(tmp_path / f"eye-{eye}.png")
        assert marked.std() > 20, "the eye's picture is nearly uniform"
        height, width = marked.shape[:2]
        orientation = tuple(float(v) for v in row[6:10])
        left, right, up, down = (math.tan(a) for a in fovs[eye])
        projected = []
        for hotspot in view.scene.script.hotspots:
            p = _rotate_back(orientation, _stage(view, hotspot.at) - positions[eye])
            if p[2] >= -0.1:
                continue  # behind the eye
            tx, ty = p[0] / -p[2], p[1] / -p[2]
            projected.append(((tx - left) / (right - left) * width,
                              (up - ty) / (up - down) * height))
        blobs, count = ndimage.label(np.abs(marked - bare).sum(axis=2) > 30)
        assert count >= 2, f"eye {eye}: hotspot markers missing"
        for blob in range(1, count + 1):
            ys, xs = np.nonzero(blobs == blob)
            nearest = min(math.hypot(xs.mean() - x, ys.mean() - y) for x, y in projected)
            assert nearest < 8, f"eye {eye}: a marker at {xs.mean(), ys.mean()} where no " \
                                "hotspot projects"


@pytest.mark.parametrize("profile, trigger", [
    ("/interaction_profiles/oculus/touch_controller", "trigger"),
    ("/interaction_profiles/khr/simple_controller", "select"),
])
def test_controllers_point_pick_buzz_and_teleport(
        open_view: Callable[..., ExhibitView], runtime: Runtime,
        monkeypatch: pytest.MonkeyPatch, profile: str, trigger: str) -> None:
    monkeypatch.setenv("REDHALL_XR_PROFILE", profile)
    view = open_view("zunyi-conference", xr="openxr")
    _until_focused(view, runtime)
    assert f"attached 1 action sets, {profile} bound" in runtime.events()
    # The right hand held at the runtime's stage position, aimed at a hotspot.
    target = view.scene.script.hotspots[0]
    hand = np.array([0.25, 1.2, -0.3])
    d = _stage(view, target.at) - hand
    d /= np.linalg.norm(d)
    aim = _xr_quat(math.degrees(math.atan2(-d[0], -d[2])), math.degrees(math.asin(d[1])))
    runtime.say("0 right.aim " + " ".join(f"{c:.6f}" for c in (*hand, *aim)))
    view.app.step(STEP)
    assert view.xr is not None and view.pointer is not None
    at = view.xr.controllers["right"].getPos(view.navigation.rig)
    assert (at.x, at.y, at.z) == pytest.approx((0.25, 0.3, 1.2), abs=1e-4)
    assert view.pointer.aim == ("hotspot", target.id)
    runtime.say(f"0 right.{trigger} 1")
    view.app.step(STEP)
    assert view.current == target.id
    assert any(e.startswith("haptic right amplitude 0.50") for e in runtime.events())
    runtime.say(f"0 right.{trigger} 0")
    view.app.step(STEP)
    # The left thumbstick aims a teleport arc and lands on letting go; the simple
    # controller has no stick, so pushing one moves nobody.
    nav = view.navigation
    nav.teleport(Point3(-6, -20, 1.6), Point3(-6, 0, 1.6))  # in the courtyard, facing north
    runtime.say("0 left.aim -0.2 1.1 -0.3 " + " ".join(f"{c:.6f}" for c in _xr_quat(0, 15)))
    start = nav.rig.getPos(view.app.render)
    runtime.say("0 left.thumbstick 0 1")
    view.app.step(STEP)
    runtime.say("0 left.thumbstick 0 0")
    view.app.step(STEP)
    moved = nav.rig.getPos(view.app.render)
    if trigger == "trigger":
        assert moved.y - start.y > 2.0 and abs(moved.z) < 0.05
    else:
        assert moved == start


def test_without_bound_controllers_a_held_look_opens_a_hotspot(
        open_view: Callable[..., ExhibitView], runtime: Runtime,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.hotspots import GAZE_DWELL_SECONDS

    # Controllers RedHall suggests no bindings for: no hand points.
    monkeypatch.setenv("REDHALL_XR_PROFILE", "/interaction_profiles/hp/mixed_reality_controller")
    view = open_view("zunyi-conference", xr="openxr")
    _until_focused(view, runtime)
    assert view.xr is not None and not view.xr.hands_tracked
    target = view.scene.script.hotspots[0]
    d = _stage(view, target.at) - np.array([0.0, 1.6, 0.0])
    d /= np.linalg.norm(d)
    look = _xr_quat(math.degrees(math.atan2(-d[0], -d[2])), math.degrees(math.asin(d[1])))
    runtime.say("0 head 0 1.6 0 " + " ".join(f"{c:.6f}" for c in look))
    view.app.step(GAZE_DWELL_SECONDS / 3)
    assert view.current is None
    for _ in range(4):
        view.app.step(GAZE_DWELL_SECONDS / 3)
    assert view.current == target.id


def test_the_runtime_ends_the_session_and_the_visit_hears_of_it(
        open_view: Callable[..., ExhibitView], runtime: Runtime) -> None:
    view = open_view("nanhu-red-boat", xr="openxr")
    _until_focused(view, runtime)
    assert view.xr is not None
    ended: list[bool] = []
    view.xr.on_exit.append(lambda: ended.append(True))
    runtime.say("0 exit")
    for _ in range(4):
        view.app.step(STEP)
    assert ended == [True]
    states = [e.split()[1] for e in runtime.events() if e.startswith("state")]
    assert states[-4:] == ["SYNCHRONIZED", "STOPPING", "IDLE", "EXITING"]
    assert "session ended" in runtime.events()
    view.xr.close()
    assert runtime.events()[-2:] == ["session destroyed", "instance destroyed"]


def test_quitting_the_app_ends_the_session_as_the_runtime_expects(
        open_view: Callable[..., ExhibitView], runtime: Runtime) -> None:
    view = open_view("nanhu-red-boat", xr="openxr")
    _until_focused(view, runtime)
    assert view.xr is not None
    view.xr.close()
    events = runtime.events()
    tail = [e.split(" frame")[0] for e in events[events.index("exit requested by application"):]]
    assert tail == ["exit requested by application", "state VISIBLE", "state SYNCHRONIZED",
                    "state STOPPING", "session ended", "state IDLE", "state EXITING",
                    "session destroyed", "instance destroyed"]


def test_no_runtime_or_no_headset_says_what_to_do(
        open_view: Callable[..., ExhibitView], runtime: Runtime, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDHALL_XR_HEADSET", "absent")
    with pytest.raises(XRUnavailable, match="sees no headset: connect it"):
        open_view("nanhu-red-boat", xr="openxr")
    monkeypatch.setenv("XR_RUNTIME_JSON", str(tmp_path / "no-such-runtime.json"))
    with pytest.raises(XRUnavailable, match="no OpenXR runtime is running"):
        open_view("nanhu-red-boat", xr="openxr")


def test_view_in_a_window_shows_the_headset_and_ends_with_it(
        display: str, samples: dict[str, BuildResult], key_files: tuple[Path, Path],
        runtime: Runtime, openxr_runtime: Path, tmp_path: Path) -> None:
    from PIL import ImageGrab

    env = {"XR_RUNTIME_JSON": str(openxr_runtime), "REDHALL_XR_SCRIPT": str(runtime.script),
           "REDHALL_XR_LOG": str(runtime.log)}
    with redhall_view(display, samples["long-march"].path, key_files[1], tmp_path,
                      "--xr", "openxr", env=env) as view:
        until(lambda: runtime.frames_with_layers() > 5 or None, 90, "frames in the headset")

        def both_eyes() -> np.ndarray | None:
            screen = np.asarray(ImageGrab.grab(xdisplay=display).convert("L")).astype(float)
            halves = screen[:, :640], screen[:, 640:]
            return screen if all(h.std() > 20 for h in halves) else None

        mirror: np.ndarray = until(both_eyes, 30, "both eyes in the window")  # type: ignore
        Image.fromarray(mirror.astype(np.uint8)).save(tmp_path / "mirror.png")
        runtime.say(f"0 capture {tmp_path / 'eyes'}")
        until(lambda: (tmp_path / "eyes.txt").exists() or None, 30, "the eyes captured")
        runtime.say("0 exit")  # the member quits from the headset's menu
        assert view.wait(60) == 0, (tmp_path / "view.log").read_text()
    events = runtime.events()
    assert "graphics glx" in events and "session ended" in events
    assert events[-1] == "instance destroyed"
    left = np.asarray(Image.open(tmp_path / "eyes-0.ppm")).astype(float)
    assert left.std() > 20, "the headset's left eye is nearly uniform"
    facts = [json.loads(line) for line in (tmp_path / "outbox/outbox.jsonl").read_text()
             .splitlines()]
    assert facts[0]["kind"] == "scene_entered" and facts[-1]["kind"] == "scene_left"
