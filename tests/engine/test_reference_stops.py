"""Every route stop of every sample scene, rendered offscreen, against a kept reference.

A change to the look must be deliberate: a render that differs from its reference beyond
the threshold fails and leaves the render, the reference and an amplified difference
beside each other. After a change that is meant, write new references with

    REDHALL_UPDATE_REFERENCES=1 .venv/bin/python -m pytest tests/engine/test_reference_stops.py

and look at every image in tests/engine/reference/ before committing them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from engine.view import ExhibitView
from tests.engine.conftest import SCENES

REFERENCES = Path(__file__).parent / "reference"
SIZE = (320, 180)
# A pixel "changed" when a channel moved more than this; llvmpipe renders the same frame
# identically, so the slack only absorbs rounding, not a moved prop or a new colour.
PIXEL_TOLERANCE = 24
CHANGED_SHARE = 0.005   # at most this share of the frame may change
MEAN_TOLERANCE = 1.5    # mean over pixels of the largest channel difference, 0–255


def _nearest_difference(image: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Per pixel of ``image``, its smallest largest-channel difference from the pixels of
    ``other`` at the same place or one pixel beside it."""
    height, width = image.shape[:2]
    padded = np.pad(other, ((1, 1), (1, 1), (0, 0)), mode="edge")
    best = np.full((height, width), 255, dtype=int)
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            moved = padded[dy:dy + height, dx:dx + width]
            best = np.minimum(best, np.abs(image - moved).max(axis=2))
    return best


def _compare(actual: np.ndarray, expected: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Share of pixels changed, mean difference, and the difference image. A pixel counts
    as changed only when nothing within one pixel of it in the other image matches (both
    ways round) and it is part of a changed patch at least 2×2 wide: on another CPU,
    llvmpipe lands thin geometry (Luding's chain links, a pixel or two wide here) a pixel
    over and flips lone pixels of their highlights, while a moved prop or a new colour
    changes whole patches."""
    actual, expected = actual.astype(int), expected.astype(int)
    diff = np.maximum(_nearest_difference(actual, expected),
                      _nearest_difference(expected, actual))
    changed = ndimage.binary_opening(diff > PIXEL_TOLERANCE, structure=np.ones((2, 2)))
    return float(changed.mean()), float(diff.mean()), diff


def _save_failure(out: Path, name: str, actual: np.ndarray, expected: np.ndarray,
                  diff: np.ndarray) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    Image.fromarray(actual).save(out / f"{name}.actual.png")
    Image.fromarray(expected).save(out / f"{name}.expected.png")
    amplified = np.clip(diff * 4, 0, 255).astype(np.uint8)
    Image.fromarray(amplified).save(out / f"{name}.diff.png")
    return out / f"{name}.diff.png"


def _stop_renders(view: ExhibitView) -> list[tuple[str, np.ndarray]]:
    """The route as a visitor walks it: each stop in turn, as `redhall render --stop`
    shows it (panels and markers included: they are part of what a member sees)."""
    renders = []
    for number, stop in enumerate(view.scene.script.route, start=1):
        view.go_to_stop(stop.id)
        for _ in range(3):
            view.app.step(1 / 60)
        renders.append((f"{view.scene.script.id}-{number:02d}-{stop.id}", view.app.capture()))
    return renders


@pytest.mark.parametrize("scene", sorted(SCENES))
def test_every_route_stop_looks_as_its_reference(
        open_view: Callable[..., ExhibitView], scene: str, tmp_path: Path) -> None:
    view = open_view(scene, size=SIZE)
    renders = _stop_renders(view)
    assert renders, f"{scene} has no route stops"
    if os.environ.get("REDHALL_UPDATE_REFERENCES") == "1":
        REFERENCES.mkdir(exist_ok=True)
        for old in REFERENCES.glob(f"{scene}-*.png"):
            old.unlink()
        for name, image in renders:
            Image.fromarray(image).save(REFERENCES / f"{name}.png", optimize=True)
        return
    failures = []
    for name, image in renders:
        reference = REFERENCES / f"{name}.png"
        if not reference.is_file():
            failures.append(f"{name}: no reference image (write them with "
                            "REDHALL_UPDATE_REFERENCES=1)")
            continue
        expected = np.asarray(Image.open(reference).convert("RGB"))
        assert expected.shape == image.shape, f"{name}: reference is {expected.shape}"
        share, mean, diff = _compare(image, expected)
        if share > CHANGED_SHARE or mean > MEAN_TOLERANCE:
            saved = _save_failure(tmp_path, name, image, expected, diff)
            failures.append(f"{name}: {share:.1%} of pixels changed, mean difference "
                            f"{mean:.2f} (see {saved})")
    stale = {p.stem for p in REFERENCES.glob(f"{scene}-*.png")} - {n for n, _ in renders}
    failures += [f"{name}: a reference for a stop the route no longer has" for name in stale]
    assert not failures, "\n".join(failures)


def test_the_threshold_catches_a_small_change_and_passes_an_identical_frame() -> None:
    reference = np.asarray(Image.open(next(REFERENCES.glob("luding-bridge-*.png")))
                           .convert("RGB"))
    assert _compare(reference, reference)[:2] == (0.0, 0.0)
    shifted = np.roll(reference, 3, axis=1)  # everything three pixels to the side
    assert _compare(shifted, reference)[0] > CHANGED_SHARE
    tinted = reference.copy()
    tinted[60:90, 100:140] = (200, 30, 30)  # a small red thing where there was none
    share, mean, _ = _compare(tinted, reference)
    assert share > CHANGED_SHARE or mean > MEAN_TOLERANCE
