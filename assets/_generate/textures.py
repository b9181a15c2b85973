"""Procedural textures for the samples (seeded, so reruns give the same PNGs)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from common import rng


def _noise(shape: tuple[int, int], seed: int, amount: float) -> np.ndarray:
    return rng(seed).normal(0.0, amount, shape)


def bricks(size: int, mortar: tuple[int, int, int], colours: list[tuple[int, int, int]],
           band_every: int = 0, band: tuple[int, int, int] = (150, 60, 45),
           seed: int = 1) -> Image.Image:
    """Running-bond brickwork, 8 courses per tile; optional red bands (石库门 style)."""
    h = w = size
    course = h // 8
    brick_w = w // 4
    out = np.zeros((h, w, 3), dtype=np.float64)
    r = rng(seed)
    for row in range(8):
        shift = (brick_w // 2) * (row % 2)
        for col in range(-1, 5):
            x0, y0 = col * brick_w + shift, row * course
            base = np.array(band if band_every and row % band_every == 0 else
                            colours[r.integers(len(colours))], dtype=np.float64)
            base = base * r.uniform(0.88, 1.1)
            xs, xe = max(x0, 0), min(x0 + brick_w, w)
            if xe > xs:
                out[y0:y0 + course, xs:xe] = base
    out += _noise((h, w), seed + 7, 8.0)[..., None]
    grid = np.zeros((h, w), dtype=bool)
    grid[np.arange(h) % course < 2, :] = True
    for row in range(8):
        shift = (brick_w // 2) * (row % 2)
        cols = (np.arange(w) - shift) % brick_w < 2
        grid[row * course:(row + 1) * course, cols] = True
    out[grid] = mortar
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8), "RGB")


def woven(size: int, dark: tuple[int, int, int], light: tuple[int, int, int],
          seed: int = 2) -> Image.Image:
    """Woven bamboo matting (篷), a basket-weave of alternating strips."""
    cell = size // 16
    y, x = np.mgrid[0:size, 0:size]
    over = ((x // cell) + (y // cell)) % 2 == 0
    stripe_x = (np.sin(x / cell * np.pi * 2) * 0.5 + 0.5)
    stripe_y = (np.sin(y / cell * np.pi * 2) * 0.5 + 0.5)
    shade = np.where(over, stripe_y, stripe_x)
    d, l_ = np.array(dark, float), np.array(light, float)
    out = d + (l_ - d) * shade[..., None] * 0.6
    out += _noise((size, size), seed, 6.0)[..., None]
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8), "RGB")


def planks(size: int, colour: tuple[int, int, int], seed: int = 3) -> Image.Image:
    """Weathered timber planks running along u, 6 boards per tile."""
    r = rng(seed)
    y, x = np.mgrid[0:size, 0:size]
    board = np.minimum(y // (size // 6), 5)
    tint = r.uniform(0.75, 1.1, 6)[board]
    grain = np.sin(x / size * 40 + np.sin(y / 9.0) * 2 + board * 3) * 0.08
    out = np.array(colour, float) * (tint + grain)[..., None]
    out[(y % (size // 6)) < 3] *= 0.45
    out += _noise((size, size), seed, 7.0)[..., None]
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8), "RGB")


def tiles(size: int, colour: tuple[int, int, int], seed: int = 4) -> Image.Image:
    """Grey roof tiles in rows (小青瓦)."""
    y, x = np.mgrid[0:size, 0:size]
    rows = np.cos((x % (size // 12)) / (size // 12) * np.pi * 2) * 0.15 + 0.9
    lines = np.where((y % (size // 10)) < 3, 0.6, 1.0)
    out = np.array(colour, float) * (rows * lines)[..., None]
    out += _noise((size, size), seed, 5.0)[..., None]
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8), "RGB")
