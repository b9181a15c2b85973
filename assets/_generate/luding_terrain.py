"""The Dadu gorge at Luding as two height fields sampled from one landform.

The Dadu runs north to south (along y) about 14 m below the bridge deck, some 70 m wide
between steep banks. The west bank has a narrow road terrace under the mountain; the east
bank a wider terrace where Luding town stands. Beyond both, the mountain sides rise
steeply to ridges 800-900 m above the river. The valley bends east up- and downstream
and closes at the far ends, so no view along the river runs off the edge of the land.

``near`` covers the bridge and town finely; ``far`` covers the mountains coarsely and
sinks under ``near`` inside it, rising a little above it along the seam so no gap shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

RIVER_HALF = 36.0          # half width of the water at the bridge
BANK = 10.0                # the steep bank's horizontal run
BRIDGEHEAD = 13.6          # terrace level at the bridge towers (deck ~14 m over the water)
TOWN = 16.0                # the east terrace where the town stands


@dataclass(frozen=True)
class Field:
    """One height field: extent (m), cells per side, and the range the PNG encodes."""

    name: str
    size: tuple[float, float]
    cells: int
    low: float
    high: float


NEAR = Field("gorge-near", (560.0, 480.0), 192, -4.0, 260.0)
FAR = Field("gorge-far", (4000.0, 3200.0), 96, -64.0, 1460.0)


def centre(y: np.ndarray) -> np.ndarray:
    """The river's centre line: straight at the bridge, bending east both ways."""
    wiggle = 4.0 * np.sin(y / 53.0) * np.clip(np.abs(y) / 60, 0, 1)
    result: np.ndarray = 160.0 * (1 - np.cos(y / 350.0)) + wiggle
    return result


def _value_noise(x: np.ndarray, y: np.ndarray, spacing: float, seed: int) -> np.ndarray:
    """Smooth noise in [-1, 1] on a lattice ``spacing`` metres apart (seeded, fixed)."""
    lattice = np.random.default_rng(seed).uniform(-1, 1, (160, 160))
    gx, gy = x / spacing + 80, y / spacing + 80
    ix, iy = np.floor(gx).astype(int), np.floor(gy).astype(int)
    tx, ty = gx - ix, gy - iy
    tx, ty = tx * tx * (3 - 2 * tx), ty * ty * (3 - 2 * ty)
    ix, iy = np.clip(ix, 0, 158), np.clip(iy, 0, 158)
    a, b = lattice[iy, ix], lattice[iy, ix + 1]
    c, d = lattice[iy + 1, ix], lattice[iy + 1, ix + 1]
    result: np.ndarray = (a * (1 - tx) + b * tx) * (1 - ty) + (c * (1 - tx) + d * tx) * ty
    return result


def _ridged(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spurs and gullies: ridged octaves, coarse to fine, in about [0, 1]."""
    total, weight = np.zeros_like(x), 0.0
    for octave, spacing in enumerate((420.0, 190.0, 90.0, 40.0)):
        amp = 0.55**octave
        total += amp * (1 - np.abs(_value_noise(x, y, spacing, 301 + octave)))
        weight += amp
    return total / weight


def _smooth(t: np.ndarray) -> np.ndarray:
    t = np.clip(t, 0, 1)
    result: np.ndarray = t * t * (3 - 2 * t)
    return result


def height(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Metres above the river's surface at (x, y)."""
    d = x - centre(y)
    a = np.abs(d)
    bed = -3.2 + 2.7 * np.clip(a / RIVER_HALF, 0, 1) ** 2
    bank = -0.5 + (BRIDGEHEAD + 0.5) * _smooth((a - RIVER_HALF) / BANK)
    h = np.where(a < RIVER_HALF, bed, bank)
    # Terraces: the west road is narrow; the east widens where the town stands.
    town = np.exp(-((y - 15.0) / 150.0) ** 2)
    terrace = np.where(d < 0, 30.0 + 8.0 * town, 26.0 + 62.0 * town)
    rise = np.where(d < 0, 0.3, TOWN - BRIDGEHEAD)
    shelf = a - RIVER_HALF - BANK
    h = h + np.where(a > RIVER_HALF + BANK, rise * _smooth((shelf - 4.0) / 14.0), 0.0)
    # The mountain sides: steep at the foot, then on up to ridges 800-900 m above the river.
    s = np.clip(shelf - terrace, 0, None)
    mountain = 300.0 * (1 - np.exp(-s / 210.0)) + 560.0 * _smooth((s - 250.0) / 1300.0)
    rough = _ridged(x, y)
    crags = 14.0 * _value_noise(x, y, 23.0, 41) * _smooth(s / 40)
    mountain = mountain * (0.72 + 0.5 * rough) + crags
    h = h + mountain
    # The far ends of the valley close behind the bends.
    result: np.ndarray = h + 420.0 * _smooth((np.abs(y) - 1150.0) / 350.0)
    return result


def _grid(f: Field) -> tuple[np.ndarray, np.ndarray]:
    n = f.cells + 1
    xs = np.linspace(-f.size[0] / 2, f.size[0] / 2, n)
    ys = np.linspace(-f.size[1] / 2, f.size[1] / 2, n)
    gx, gy = np.meshgrid(xs, ys)
    return gx, gy


def near_heights() -> np.ndarray:
    gx, gy = _grid(NEAR)
    return height(gx, gy)


def far_heights() -> np.ndarray:
    """The landform, sunk well under the near field inside it and a little proud along its
    seam (the coarse grid cannot follow the near field's detail there)."""
    gx, gy = _grid(FAR)
    h = height(gx, gy)
    hx, hy = NEAR.size[0] / 2, NEAR.size[1] / 2
    inside = np.minimum(hx - np.abs(gx), hy - np.abs(gy))  # metres inside the near field
    sink = np.where(inside > 45.0, -60.0, np.where(inside > 0, 2.5, 0.0))
    result: np.ndarray = h + sink
    return result


def save(f: Field, heights: np.ndarray, folder: Path) -> None:
    """16-bit grey PNG, one pixel per grid point, north (far y) on the top row."""
    h = np.clip(heights, f.low, f.high)
    grey = np.round((h - f.low) / (f.high - f.low) * 65535).astype(np.uint16)[::-1]
    Image.fromarray(grey).save(folder / f"{f.name}.png", format="PNG")


def generate(folder: Path) -> None:
    save(NEAR, near_heights(), folder)
    save(FAR, far_heights(), folder)
