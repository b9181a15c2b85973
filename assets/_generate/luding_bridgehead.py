"""The bridge pavilions (桥亭) on Luding Bridge's two stone abutments (桥台).

On each bank the chains run into a massive abutment of dressed grey stone; the road passes
through it under an arch, and a timber pavilion stands on top: red lacquered posts under
a grey tile hip roof whose eaves turn up at the corners. The abutments are extrusions in
the scene script (so they take the stone preset); this module makes the pavilion, its
coping and the voussoirs round the arch as one GLB, and the abutment's outline for the script.

Local frame (the scene's west bridgehead; the east one is turned 180 degrees): the bridge
runs along +x, the origin is the road's level at the tower's centre.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh
from tiled_roofs import flying_roof

from common import box, combine, cylinder, export_glb, material, paint, preset
from textures import tiles

# The abutment: from the river face (x = FACE) back to x = BACK, y within +-HALF, from
# FOOT below the road to TOP above it; the passage is PASSAGE wide and springs at SPRING.
FACE, BACK, HALF, FOOT, TOP = 2.2, -5.0, 5.0, -8.0, 5.6
PASSAGE, SPRING = 4.0, 2.6
LACQUER = "#8e2a20"


def abutment_outline(arc: int = 10) -> tuple[list[list[float]], list[list[float]]]:
    """The abutment's section across the bridge, as (up, across) pairs, and the arch hole.

    The scene extrudes it along the bridge with roll -90 (up becomes +z, the extrusion
    runs toward -x from the river face)."""
    outer = [[FOOT, -HALF], [TOP, -HALF], [TOP, HALF], [FOOT, HALF]]
    r = PASSAGE / 2
    hole = [[0.0, -r], [0.0, r]]
    hole += [[round(SPRING + r * float(np.sin(a)), 3), round(r * float(np.cos(a)), 3)]
             for a in np.linspace(0, np.pi, arc + 1)]
    return outer, hole


def _pavilion() -> tuple[list[trimesh.Trimesh], list[trimesh.Trimesh], trimesh.Trimesh,
                         np.ndarray, list[trimesh.Trimesh]]:
    """Posts and beams, lattice and railing, the roof (with UVs) and its ridge."""
    cx, hx, hy = (FACE + BACK) / 2, 2.9, 4.1
    floor = TOP + 0.35
    height = 3.0
    posts = [cylinder(0.17, height, (cx + sx * hx, sy * hy, floor + height / 2), 12)
             for sx in (-1, 0, 1) for sy in (-1, 0, 1) if (sx, sy) != (0, 0)]
    beams = [box((2 * hx + 0.4, 0.26, 0.32), (cx, s * hy, floor + height - 0.16))
             for s in (-1, 1)]
    beams += [box((0.26, 2 * hy + 0.4, 0.32), (cx + s * hx, 0, floor + height - 0.16))
              for s in (-1, 1)]
    # A band of brackets (斗拱) under the eaves, read as a stepped course.
    beams += [box((2 * hx + 0.9, 2 * hy + 0.9, 0.22), (cx, 0, floor + height + 0.11))]
    dark = []
    # Lattice screens on the upper half of the long sides, a low railing on the short ones
    # so the bridge is seen from inside.
    for s in (-1, 1):
        for y0, y1 in ((-hy, 0.0), (0.0, hy)):
            mid, span = (y0 + y1) / 2, y1 - y0 - 0.34
            dark.append(box((0.06, span, 0.08), (cx + s * hx, mid, floor + 1.1)))
            dark.append(box((0.06, span, 0.08), (cx + s * hx, mid, floor + 0.25)))
            dark += [box((0.05, 0.05, 0.85), (cx + s * hx, y, floor + 0.68))
                     for y in np.linspace(y0 + 0.4, y1 - 0.4, 5)]
        for x0, x1 in ((-hx, 0.0), (0.0, hx)):
            mid, span = cx + (x0 + x1) / 2, x1 - x0 - 0.34
            for z in (floor + 1.3, floor + height - 0.5):
                dark.append(box((span, 0.06, 0.08), (mid, s * hy, z)))
            dark += [box((0.05, 0.05, height - 1.8), (x, s * hy, floor + 0.9 + (height - 1.8) / 2))
                     for x in np.linspace(mid - span / 2 + 0.3, mid + span / 2 - 0.3, 6)]
            dark.append(box((span, 0.1, 1.2), (mid, s * hy, floor + 0.6)))  # board wall
    # The roof's long side runs across the bridge: make it along x, then turn it.
    roof, uv = flying_roof(hy + 1.5, hx + 1.5, floor + height + 0.2, 2.3, 0.7, cells=(24, 18))
    turn = trimesh.transformations.rotation_matrix(np.pi / 2, [0, 0, 1])
    roof.apply_transform(turn)
    roof.apply_translation((cx, 0, 0))
    ridge_z = floor + height + 0.2 + 2.3
    ridge = [box((0.4, 2 * (hy - hx) + 0.6, 0.45), (cx, 0, ridge_z + 0.05))]
    ridge += [box((0.45, 0.55, 0.9), (cx, s * (hy - hx + 0.3), ridge_z + 0.35)) for s in (-1, 1)]
    return posts + beams, dark, roof, uv, ridge


def generate(folder: Path) -> None:
    frame, dark, roof, uv, ridge = _pavilion()
    # The coping course the pavilion stands on, overhanging the abutment's faces, and the
    # voussoir band round the arch on both faces.
    r = PASSAGE / 2
    stone = [box((FACE - BACK + 0.5, 2 * HALF + 0.5, 0.35), ((FACE + BACK) / 2, 0, TOP + 0.175))]
    for x in (FACE + 0.1, BACK - 0.1):
        for a0, a1 in zip(np.linspace(0, np.pi, 8)[:-1], np.linspace(0, np.pi, 8)[1:]):
            mid = (a0 + a1) / 2
            block = box((0.2, 0.5, r * (a1 - a0) + 0.04), (0, 0, 0))
            block.apply_transform(trimesh.transformations.rotation_matrix(mid, [1, 0, 0]))
            ring = r + 0.25
            block.apply_translation((x, ring * np.cos(mid), SPRING + ring * np.sin(mid)))
            stone.append(block)
    roof.visual = trimesh.visual.TextureVisuals(
        uv=uv, material=material("#ffffff", 0.9, texture=tiles(128, (66, 66, 70), seed=32),
                                 name="tile"))
    export_glb([
        ("coping", paint(combine(stone), material("#8d8a82", 0.9, name="dressed_stone"))),
        ("frame", paint(combine(frame), *preset("lacquered-wood", LACQUER, "red_lacquer"))),
        ("lattice", paint(combine(dark), material("#5a2a1e", 0.6, name="lattice"))),
        ("roof", roof),
        ("ridge", paint(combine(ridge), material("#3b3b3e", 0.7, name="ridge"))),
    ], folder / "bridge-pavilion.glb")
