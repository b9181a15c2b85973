"""Luding town on the east bank: timber, plaster and grey-brick street houses under grey
tile gable roofs, in two rows along a street parallel to the river.

The walls are scene primitives with material presets (scenes/luding-bridge.yaml lists them;
``props_yaml`` prints those lines from the same table); the roofs are one OBJ here, in
scene coordinates, so the whole town's roofs are one draw.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
import trimesh

from common import box, combine, export_obj, material, profile_along_y
from textures import tiles

GROUND = 15.6      # wall bottoms, a little under the town terrace (16 m)
PITCH = np.radians(27)
TILE = 2.4         # metres of roof one texture tile covers


class House(NamedTuple):
    x: float
    y: float
    width: float     # across the street (x)
    length: float    # along the street (y), the ridge's direction
    walls: float     # eave height above the ground
    preset: str
    colour: str


HOUSES = [
    # West row, facing the street from the river side; a gap at y 0 for the bridge lane.
    House(75.5, -66.0, 9.0, 14.0, 5.4, "raw-wood", "#8a6a4c"),
    House(74.5, -47.0, 8.0, 12.0, 3.6, "plaster", "#d9d2c2"),
    House(75.0, -26.0, 9.0, 16.0, 5.6, "grey-brick", "#8d8c88"),
    House(75.5, 22.0, 9.0, 14.0, 3.8, "plaster", "#cfc6b3"),
    House(74.5, 42.0, 8.0, 13.0, 5.2, "raw-wood", "#7c5e42"),
    House(75.0, 62.0, 9.0, 15.0, 3.6, "grey-brick", "#92918b"),
    # East row, against the foot of the mountain.
    House(101.0, -58.0, 10.0, 15.0, 3.8, "plaster", "#d6cfbf"),
    House(100.0, -37.0, 9.0, 13.0, 5.6, "raw-wood", "#86664a"),
    House(101.5, -14.0, 10.0, 17.0, 4.0, "grey-brick", "#8a8984"),
    House(100.5, 9.0, 9.0, 14.0, 5.8, "plaster", "#ddd6c6"),
    House(101.0, 31.0, 10.0, 15.0, 3.8, "raw-wood", "#7f6146"),
    House(100.0, 52.0, 9.0, 13.0, 5.4, "plaster", "#d2cab9"),
]


def roof(house: House) -> tuple[trimesh.Trimesh, np.ndarray]:
    """A gable roof (悬山) overhanging walls and gables, with a ridge, UVs down the slope."""
    over_eave, over_gable, thick = 0.9, 0.6, 0.16
    half = house.width / 2 + over_eave
    rise = half * np.tan(PITCH)
    eave = GROUND + house.walls - over_eave * np.tan(PITCH)
    shell = [(-half, eave), (0.0, eave + rise), (half, eave), (half, eave - thick),
             (0.0, eave + rise - thick / np.cos(PITCH)), (-half, eave - thick)]
    length = house.length + 2 * over_gable
    slab = profile_along_y(shell, -length / 2, length)
    ridge = box((0.45, length + 0.3, 0.35), (0.0, 0.0, eave + rise + 0.05))
    ends = [box((0.55, 0.5, 0.55), (0.0, s * (length / 2 + 0.1), eave + rise + 0.2))
            for s in (-1, 1)]  # the raised ridge ends
    mesh = combine([slab, ridge, *ends])
    mesh.unmerge_vertices()
    v = mesh.vertices
    uv = np.stack([v[:, 1] / TILE, (half - np.abs(v[:, 0])) / np.cos(PITCH) / TILE], axis=1)
    mesh.apply_translation((house.x, house.y, 0.0))
    return mesh, uv


def generate(folder: Path) -> None:
    made = [roof(h) for h in HOUSES]
    roofs = combine([mesh for mesh, _ in made])
    tex = tiles(128, (66, 66, 70), seed=32)  # the same tiles as the bridgehead towers
    roofs.visual = trimesh.visual.TextureVisuals(
        uv=np.concatenate([uv for _, uv in made]),
        material=material("#ffffff", 0.85, texture=tex, name="tile"))
    export_obj([("roofs", roofs)], folder / "town-roofs.obj")


def props_yaml() -> str:
    """The walls' prop lines for the scene script."""
    lines = []
    for index, h in enumerate(HOUSES, 1):
        z = round(GROUND + h.walls / 2, 2)
        lines.append(
            f"  - {{id: town-house-{index}, primitive: {{box: {{size: [{h.width}, {h.length}, "
            f"{h.walls}]}}}}, material: {{color: \"{h.colour}\", preset: {h.preset}}}, "
            f"position: [{h.x}, {h.y}, {z}]}}")
    return "\n".join(lines)
