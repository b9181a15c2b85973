"""飞夺泸定桥: the gorge of the Dadu River at Luding (heightmap), the bridgehead towers
(OBJ), and plank texture for the boards the defenders left on the east end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from common import box, combine, export_obj, hipped_roof, material, paint, rng, save_png
from textures import planks, tiles

# Terrain extent and height range, also written in the scene script.
SIZE_X, SIZE_Y, LOW, HIGH = 360.0, 260.0, -4.0, 116.0


def heightmap(folder: Path, n: int = 257) -> None:
    """16-bit grey PNG: river bed, steep banks to terraces ~14 m up, mountains beyond."""
    xs = np.linspace(-SIZE_X / 2, SIZE_X / 2, n)
    ys = np.linspace(-SIZE_Y / 2, SIZE_Y / 2, n)
    gx, gy = np.meshgrid(xs, ys)
    wander = 6 * np.sin(gy / 37.0)
    d = np.abs(gx - wander)
    h = np.where(d < 44, -3.5 + 2 * (d / 44) ** 4, 0.0)
    bank = np.clip((d - 44) / 8, 0, 1)
    h = np.where(d >= 44, -1.5 + 15.3 * np.sin(bank * np.pi / 2), h)
    terrace = np.clip((d - 90) / 80, 0, 1)
    h = np.where(d >= 90, 13.8 + 95 * terrace**1.6, h)
    noise = rng(31).normal(0, 1, (n // 8 + 2, n // 8 + 2))
    noise_img = Image.fromarray(((noise - noise.min()) / np.ptp(noise) * 255).astype(np.uint8))
    smooth = np.asarray(noise_img.resize((n, n), Image.Resampling.BICUBIC), float) / 255 - 0.5
    h += smooth * 10 * terrace
    h = np.clip(h, LOW, HIGH)
    grey = ((h - LOW) / (HIGH - LOW) * 65535).astype(np.uint16)[::-1]
    Image.fromarray(grey).save(folder / "gorge-heightmap.png", format="PNG")


def tower(folder: Path) -> None:
    """A bridgehead tower: stone base with a gate the chains pass through, a timber hall
    above and a hipped tile roof. Local frame: the bridge runs along +x."""
    stone = [box((4.0, 1.4, 6.0), (0, -2.4, 3.0)), box((4.0, 1.4, 6.0), (0, 2.4, 3.0)),
             box((4.0, 6.2, 1.6), (0, 0, 6.8))]
    hall = [box((3.4, 5.6, 0.15), (0, 0, 7.7))]
    hall += [box((0.25, 0.25, 3.0), (x, y, 9.2)) for x in (-1.5, 1.5) for y in (-2.6, 0, 2.6)]
    walls = [box((0.12, 5.0, 1.2), (x, 0, 8.4)) for x in (-1.5, 1.5)]
    roof = hipped_roof(4.8, 7.0, 2.0, 10.6, 0.5)
    export_obj([
        ("stone", paint(combine(stone), material("#8e8a80", 0.9, name="stone"))),
        ("hall", paint(combine(hall), material("#6a2a1e", 0.6, name="red_timber"))),
        ("walls", paint(combine(walls), material("#c9bda4", 0.9, name="plaster"))),
        ("roof", paint(roof, material("#ffffff", 0.85, texture=tiles(128, (66, 66, 70), seed=32),
                                      name="tile"), tile=1.2)),
    ], folder / "bridgehead-tower.obj")


def generate(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    heightmap(folder)
    tower(folder)
    save_png(planks(256, (112, 92, 70), seed=33), folder / "deck-planks.png")
