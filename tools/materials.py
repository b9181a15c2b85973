"""Procedural PBR material sets: base colour, roughness/metal and normal maps.

Each preset is generated from seeded, tileable noise, so a rebuild gives the same bytes
and the maps repeat without seams; patterns (bricks, planks, blocks) vary brick by brick
and low-frequency blotches span the whole tile, so the repeat is not obvious. Maps are
square, ``SIZE`` pixels; ``TILE_METRES`` says how much surface one tile covers.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from PIL import Image

SIZE = 512
# The maps are build outputs cached by the inputs' identity: any change to a generator
# here needs tools/props.py's PIPELINE_VERSION bumped, or builds keep the old maps.
Array = NDArray[np.float64]


@dataclass(frozen=True)
class MaterialSet:
    """One preset's maps (glTF conventions: roughness in green, metal in blue)."""

    name: str
    base: Image.Image        # RGB, sRGB
    roughness_metal: Image.Image  # RGB: (1, roughness, metallic)
    normal: Image.Image      # RGB, tangent space, +Y up
    tile_metres: float


def _rng(name: str, salt: int = 0) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(name.encode()) + salt)


def tileable_noise(rng: np.random.Generator, cells: int, size: int = SIZE) -> Array:
    """Smooth value noise in [0, 1] that wraps around: ``cells`` lattice cells a side."""
    lattice = rng.random((cells, cells))
    x = np.arange(size) * cells / size
    i0 = np.floor(x).astype(int) % cells
    i1 = (i0 + 1) % cells
    t = x - np.floor(x)
    t = t * t * (3 - 2 * t)
    rows0 = lattice[i0][:, i0] * (1 - t)[None, :] + lattice[i0][:, i1] * t[None, :]
    rows1 = lattice[i1][:, i0] * (1 - t)[None, :] + lattice[i1][:, i1] * t[None, :]
    out: Array = rows0 * (1 - t)[:, None] + rows1 * t[:, None]
    return out


def fbm(rng: np.random.Generator, cells: int, octaves: int = 4, size: int = SIZE) -> Array:
    """Octaves of tileable noise, each twice as fine and half as strong; in [0, 1]."""
    total, weight, norm = np.zeros((size, size)), 1.0, 0.0
    for octave in range(octaves):
        total += weight * tileable_noise(rng, cells * 2**octave, size)
        norm += weight
        weight *= 0.5
    result: Array = total / norm
    return result


def _colour(base: tuple[float, float, float], shade: Array) -> Array:
    """An (n, n, 3) image of ``base`` (0..1) scaled by ``shade`` (n, n)."""
    return np.clip(np.asarray(base)[None, None, :] * shade[..., None], 0.0, 1.0)


def normal_map(height: Array, strength: float) -> Array:
    """Tangent-space normals of a height field (wrapping): (n, n, 3) in [-1, 1]."""
    dx = (np.roll(height, -1, axis=1) - np.roll(height, 1, axis=1)) / 2
    dup = (np.roll(height, 1, axis=0) - np.roll(height, -1, axis=0)) / 2  # rows run down
    n = np.stack([-dx * strength, -dup * strength, np.ones_like(height)], axis=2)
    result: Array = n / np.linalg.norm(n, axis=2, keepdims=True)
    return result


def _courses(rng: np.random.Generator, courses: int, per_course: int, mortar: float,
             size: int = SIZE) -> tuple[Array, Array]:
    """Running-bond blocks: each pixel's block tint (one random value per block) and a
    mask that is 1 on blocks, 0 in the joints (soft-edged)."""
    y, x = np.mgrid[0:size, 0:size] / size
    row = np.floor(y * courses).astype(int)
    shifted = (x + 0.5 * (row % 2) / per_course) % 1.0
    column = np.floor(shifted * per_course).astype(int)
    tint = rng.random((courses, per_course))[row, column]
    fy, fx = (y * courses) % 1.0, (shifted * per_course) % 1.0
    edge = np.minimum(np.minimum(fy, 1 - fy) / (courses * 1.0),
                      np.minimum(fx, 1 - fx) / (per_course * 1.0)) * size
    mask = np.clip((edge - mortar) / 1.5, 0.0, 1.0)
    return tint, mask


def _bricks(name: str, brick: tuple[float, float, float], mortar_colour: tuple[float, float,
            float], spread: float) -> tuple[Array, Array, Array, Array]:
    rng = _rng(name)
    tint, mask = _courses(rng, 16, 4, mortar=2.2)
    grain = fbm(rng, 32, 3)
    blotch = fbm(rng, 3, 2)
    bricks = _colour(brick, (1 - spread / 2 + spread * tint) * (0.85 + 0.3 * grain)
                     * (0.9 + 0.2 * blotch))
    joints = _colour(mortar_colour, 0.9 + 0.2 * grain)
    base = bricks * mask[..., None] + joints * (1 - mask[..., None])
    height = mask * 0.8 + grain * 0.3
    roughness = 0.82 + 0.1 * (1 - mask) + 0.06 * grain
    return base, roughness, np.zeros_like(roughness), height


def _plaster(name: str) -> tuple[Array, Array, Array, Array]:
    rng = _rng(name)
    blotch, grain = fbm(rng, 4, 3), fbm(rng, 64, 2)
    base = _colour((0.88, 0.86, 0.81), 0.93 + 0.1 * blotch + 0.04 * grain)
    return base, 0.88 + 0.08 * grain, np.zeros_like(grain), 0.4 * blotch + 0.5 * grain


def _wood(name: str, colour: tuple[float, float, float], lacquer: bool
          ) -> tuple[Array, Array, Array, Array]:
    rng = _rng(name)
    size = SIZE
    boards = 6
    # Half a board down, so the tile's edge runs through a board, not along a joint.
    y = np.mgrid[0:size, 0:size][0] / size + 0.5 / boards
    board = np.floor(y * boards).astype(int) % boards
    warp = fbm(rng, 4, 3)
    rings = np.sin((y * boards * 7 + warp * 3 + board * 1.7) * 2 * np.pi) * 0.5 + 0.5
    streak = tileable_noise(rng, 64)  # fine fibres along the board
    streak = np.repeat(streak[:, :1], size, axis=1) * 0.5 + streak * 0.5
    per_board = rng.uniform(0.8, 1.15, boards)[board]
    shade = per_board * (0.8 + 0.25 * rings + 0.1 * streak)
    seam = np.clip(np.abs((y * boards) % 1.0 - 0.5) * 2 * size / boards - (size / boards - 2),
                   0.0, 1.0)
    shade *= 1 - 0.55 * seam
    base = _colour(colour, shade)
    roughness = (0.28 + 0.08 * streak) if lacquer else (0.72 + 0.12 * streak)
    height = rings * (0.15 if lacquer else 0.5) + streak * 0.3 - seam
    return base, roughness, np.zeros_like(roughness), height


def _stone(name: str) -> tuple[Array, Array, Array, Array]:
    rng = _rng(name)
    tint, mask = _courses(rng, 4, 2, mortar=3.0)
    grain, blotch = fbm(rng, 24, 4), fbm(rng, 4, 3)
    base = _colour((0.64, 0.62, 0.57), (0.88 + 0.14 * tint) * (0.82 + 0.3 * grain)
                   * (0.9 + 0.15 * blotch) * (0.75 + 0.25 * mask))
    height = mask * 0.6 + grain * 0.6
    return base, 0.78 + 0.12 * grain, np.zeros_like(grain), height


def _water(name: str) -> tuple[Array, Array, Array, Array]:
    rng = _rng(name)
    swell, ripple = fbm(rng, 4, 3), fbm(rng, 16, 3)
    base = _colour((0.22, 0.34, 0.33), 0.8 + 0.35 * swell + 0.1 * ripple)
    return base, 0.06 + 0.05 * ripple, np.zeros_like(ripple), swell * 0.6 + ripple * 0.4


def _silk(name: str) -> tuple[Array, Array, Array, Array]:
    rng = _rng(name)
    y, x = np.mgrid[0:SIZE, 0:SIZE] / SIZE
    threads = 128
    warp = np.sin(x * threads * 2 * np.pi) * 0.5 + 0.5
    weft = np.sin(y * threads * 2 * np.pi) * 0.5 + 0.5
    checker = (np.floor(x * threads) + np.floor(y * threads)) % 2
    weave = np.where(checker > 0, warp, weft)
    folds = fbm(rng, 3, 2)
    base = _colour((0.72, 0.12, 0.10), (0.85 + 0.12 * weave) * (0.85 + 0.25 * folds))
    return base, 0.4 + 0.1 * weave, np.zeros_like(weave), weave * 0.3 + folds * 0.8


def _iron(name: str) -> tuple[Array, Array, Array, Array]:
    rng = _rng(name)
    rust = np.clip((fbm(rng, 6, 4) - 0.52) * 5, 0.0, 1.0)
    pits = fbm(rng, 48, 2)
    metal = _colour((0.30, 0.30, 0.31), 0.85 + 0.25 * pits)
    rusty = _colour((0.42, 0.21, 0.11), 0.8 + 0.35 * pits)
    base = metal * (1 - rust[..., None]) + rusty * rust[..., None]
    roughness = 0.45 + 0.4 * rust + 0.08 * pits
    return base, roughness, 0.9 * (1 - rust), pits * 0.5 + rust * 0.5


def _rock(name: str) -> tuple[Array, Array, Array, Array]:
    rng = _rng(name)
    y = np.mgrid[0:SIZE, 0:SIZE][0] / SIZE
    warp = fbm(rng, 4, 3)
    strata = np.sin((y * 9 + warp * 2.5) * 2 * np.pi) * 0.5 + 0.5
    grain, blotch = fbm(rng, 16, 5), fbm(rng, 3, 2)
    # Faint strata only: on a flat bank strong bands read as sand ripples.
    base = _colour((0.47, 0.45, 0.41), (0.92 + 0.08 * strata) * (0.72 + 0.45 * grain)
                   * (0.78 + 0.35 * blotch))
    return base, 0.86 + 0.1 * grain, np.zeros_like(grain), grain * 1.2 + strata * 0.15


def _grass(name: str) -> tuple[Array, Array, Array, Array]:
    rng = _rng(name)
    patches, blades = fbm(rng, 4, 3), fbm(rng, 96, 2)
    green = _colour((0.26, 0.38, 0.15), 0.8 + 0.4 * blades)
    dry = _colour((0.45, 0.42, 0.22), 0.8 + 0.4 * blades)
    mix = np.clip((patches - 0.45) * 3, 0.0, 1.0)[..., None]
    base = green * (1 - mix) + dry * mix
    return base, 0.9 + 0.08 * blades, np.zeros_like(blades), blades


Generator = Callable[[str], tuple[Array, Array, Array, Array]]
PRESETS: dict[str, tuple[Generator, float, float]] = {
    # name: (maps, metres one tile covers, normal strength)
    "plaster": (_plaster, 2.0, 6.0),
    "lacquered-wood": (lambda n: _wood(n, (0.36, 0.11, 0.07), lacquer=True), 1.2, 2.0),
    "raw-wood": (lambda n: _wood(n, (0.56, 0.42, 0.28), lacquer=False), 1.2, 4.0),
    "grey-brick": (lambda n: _bricks(n, (0.40, 0.42, 0.44), (0.66, 0.65, 0.61), 0.35),
                   1.0, 6.0),
    "red-brick": (lambda n: _bricks(n, (0.56, 0.22, 0.15), (0.70, 0.67, 0.61), 0.3),
                  1.0, 6.0),
    "stone": (_stone, 2.0, 5.0),
    "water": (_water, 4.0, 8.0),
    "silk": (_silk, 0.5, 2.0),
    "iron": (_iron, 0.5, 3.0),
    "rock": (_rock, 4.0, 14.0),
    "grass": (_grass, 2.0, 5.0),
}


def _image(values: Array) -> Image.Image:
    return Image.fromarray(np.round(np.clip(values, 0.0, 1.0) * 255).astype(np.uint8), "RGB")


@lru_cache(maxsize=16)
def material_set(name: str) -> MaterialSet:
    """The maps of preset ``name`` (one of :data:`PRESETS`); the same every time."""
    if name not in PRESETS:
        raise KeyError(f"no material preset `{name}`; presets: {', '.join(sorted(PRESETS))}")
    make, tile, strength = PRESETS[name]
    base, roughness, metal, height = make(name)
    orm = np.stack([np.ones_like(roughness), np.clip(roughness, 0, 1), np.clip(metal, 0, 1)],
                   axis=2)
    normals = normal_map(height, strength * SIZE / 256)
    return MaterialSet(name, _image(base), _image(orm), _image(normals * 0.5 + 0.5), tile)


def tinted(image: Image.Image, colour: tuple[float, float, float]) -> Image.Image:
    """``image`` with its mean colour moved to ``colour`` (0..1), its pattern kept."""
    pixels = np.asarray(image, dtype=np.float64) / 255
    mean = pixels.reshape(-1, 3).mean(axis=0)
    scale = np.asarray(colour) / np.maximum(mean, 1e-3)
    return _image(pixels * scale[None, None, :])
