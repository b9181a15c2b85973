"""飞夺泸定桥: the gorge of the Dadu River at Luding (height fields, luding_terrain), the
town on the east bank (luding_town), the bridgehead towers (OBJ), and plank texture for the
boards the defenders left on the east end."""

from __future__ import annotations

from pathlib import Path

import luding_terrain
import luding_town

from common import box, combine, export_obj, hipped_roof, material, paint, save_png
from textures import planks, tiles


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
    luding_terrain.generate(folder)
    luding_town.generate(folder)
    tower(folder)
    save_png(planks(256, (112, 92, 70), seed=33), folder / "deck-planks.png")
