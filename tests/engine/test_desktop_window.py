"""`redhall view` in a real window on an X server (Xvfb, installed by scripts/setup), driven
by real key presses through XTEST, seen through screenshots of the display."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
from PIL import Image, ImageGrab

from engine.xr import EYE_FOV
from tests.engine.xwindow import redhall_view, until
from tools.build import BuildResult


def test_view_opens_a_window_that_answers_keys(
        display: str, samples: dict[str, BuildResult], key_files: tuple[Path, Path],
        tmp_path: Path) -> None:
    env = {**os.environ, "DISPLAY": display}
    xdotool = shutil.which("xdotool")
    assert xdotool is not None, "xdotool is not installed: run scripts/setup"

    def xdo(*args: str) -> str:
        return subprocess.run([xdotool, *args], env=env, capture_output=True, text=True,
                              timeout=20).stdout.strip()

    def screen() -> np.ndarray:
        return np.asarray(ImageGrab.grab(xdisplay=display).convert("RGB")).astype(int)

    with redhall_view(display, samples["long-march"].path, key_files[1], tmp_path,
               "--lang", "en") as view:
        window = str(until(lambda: xdo("search", "--name", "RedHall") or None, 90,
                            "the RedHall window")).split()[0]
        assert "Site of the Zunyi Conference" in xdo("getwindowname", window)
        first: np.ndarray = until(  # type: ignore[assignment]
            lambda: s if (s := screen()).std() > 20 else None, 30, "the scene to be drawn")
        xdo("windowfocus", "--sync", window)

        def after_key(key: str, region: tuple[slice, slice]) -> np.ndarray:
            """The screen once pressing ``key`` has changed ``region`` of it."""
            before = screen()
            xdo("key", key)

            def changed() -> np.ndarray | None:
                now = screen()
                moved = np.abs(now - before).sum(axis=2)[region] > 60
                return now if moved.mean() > 0.05 else None

            return until(changed, 20, f"the window to answer {key}")  # type: ignore

        # "2": the second route stop; its narration appears at the lower left.
        at_stop = after_key("2", (slice(360, 720), slice(0, 640)))
        # F1 puts the quiz card up at the right, F1 again answers with its first choice.
        after_key("F1", (slice(80, 400), slice(700, 1280)))
        answered = after_key("F1", (slice(80, 400), slice(700, 1280)))
        Image.fromarray(answered.astype(np.uint8)).save(tmp_path / "window.png")
        assert np.abs(at_stop - first).sum(axis=2).mean() > 10  # the camera moved
        xdo("key", "ctrl+q")
        assert view.wait(30) == 0, (tmp_path / "view.log").read_text()
    facts = [json.loads(line) for line in (tmp_path / "outbox/outbox.jsonl").read_text()
             .splitlines()]
    kinds = [fact["kind"] for fact in facts]
    assert kinds[0] == "scene_entered" and kinds[-1] == "scene_left"
    assert "stop_reached" in kinds and "quiz_answered" in kinds


def test_a_simulated_headset_mirrors_both_eyes_in_the_window(
        display: str, samples: dict[str, BuildResult], key_files: tuple[Path, Path],
        tmp_path: Path) -> None:
    with redhall_view(display, samples["long-march"].path, key_files[1], tmp_path,
               "--xr", "simulated"):
        def both_eyes() -> np.ndarray | None:
            screen = np.asarray(ImageGrab.grab(xdisplay=display).convert("L")).astype(float)
            left, right = screen[:, :640], screen[:, 640:]
            return screen if left.std() > 20 and right.std() > 20 else None

        screen: np.ndarray = until(both_eyes, 90, "both eyes drawn")  # type: ignore
        Image.fromarray(screen.astype(np.uint8)).save(tmp_path / "mirror.png")
        left, right = screen[:, :640], screen[:, 640:]
        assert np.abs(left - right).mean() > 1  # two eyes, not one image twice
        # The status panel floats at arm's length across the top, with a parallax of its
        # own; the scene's is measured below it.
        left, right = left[200:], right[200:]
        # Each eye's frustum is asymmetric (it sees farther outward), so a far object sits
        # right of centre for the left eye and left of it for the right eye; nearer objects
        # add parallax in the same direction. Slid by the best horizontal shift, the eyes
        # must show the same scene, and that shift must be the far-object one or a little
        # more (a near tree's parallax alone makes the unshifted images only ~0.6 alike).
        outer, inner = (math.tan(math.radians(a)) for a in EYE_FOV[:2])
        far_shift = 640 * (outer - inner) / (outer + inner)

        def alike(shift: int) -> float:
            return float(np.corrcoef(left[:, shift:].ravel(),
                                     right[:, :640 - shift].ravel())[0, 1])

        best = max(range(0, 200, 2), key=alike)
        assert alike(best) > 0.9, (best, alike(best))
        assert far_shift - 4 <= best <= far_shift + 24, (best, far_shift)
