"""南湖 around the red boat: 烟雨楼 on the lake's island, its willows, and the far shore.

烟雨楼 (Misty Rain Pavilion) stands on 湖心岛 in the middle of South Lake: a two-storey
hall on a stone terrace, red lacquered columns and lattice walls, grey tile roofs in two
tiers whose eaves turn up at the corners; weeping willows line the island. The scene looks
at it across the water from the landing on the south shore, where a stone embankment
runs; the other shores are low and wooded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh
from nanhu_willows import willow
from shapely.geometry import Polygon
from tiled_roofs import flying_roof

from common import box, combine, cylinder, export_glb, material, paint, preset, rng
from textures import tiles

ISLAND = (-15.0, 96.0)  # where the scene puts the island (the pavilion's origin)
SOUTH_SHORE = -40.0  # the wooded ring stops here; the scene's embankment runs up to y -17


def _ring(hx: float, hy: float, z0: float, height: float, step: float,
          size: float = 0.45) -> list[trimesh.Trimesh]:
    """Columns round a rectangle, ``step`` metres apart (or near it)."""
    posts = []
    for length, along_x in ((2 * hx, True), (2 * hy, False)):
        count = max(round(length / step), 1)
        for k in range(count + 1):
            s = -length / 2 + k * length / count
            for side in (-1, 1):
                x, y = (s, side * hy) if along_x else (side * hx, s)
                posts.append(cylinder(size / 2, height, (x, y, z0 + height / 2), 10))
    return posts


def pavilion() -> list[tuple[str, trimesh.Trimesh]]:
    """烟雨楼, long side facing -y (the landing), in its own frame on the island's ground."""
    base = 0.6 + 1.3  # the island's ground, then the stone terrace
    stone = [box((25.0, 16.0, 1.3), (0, 0, 0.6 + 0.65)),
             box((6.0, 3.0, 0.65), (0, -9.5, 0.6 + 0.33))]  # steps down to the south
    columns = _ring(10.0, 6.0, base, 4.0, 3.4) + _ring(7.6, 3.9, base + 4.2, 3.4, 3.0, 0.36)
    rail = [box((15.6, 0.12, 0.9), (0, s * 4.3, base + 4.7)) for s in (-1, 1)]
    rail += [box((0.12, 8.6, 0.9), (s * 7.9, 0, base + 4.7)) for s in (-1, 1)]
    lattice = [box((17.0, 9.0, 4.0), (0, 0, base + 2.0)),
               box((13.4, 6.4, 3.4), (0, 0, base + 4.2 + 1.7)),
               box((16.4, 9.0, 0.25), (0, 0, base + 4.1))]  # the upper floor's deck
    lower_roof, lower_uv = flying_roof(12.2, 8.2, base + 3.7, 2.6, 0.7)
    upper_roof, upper_uv = flying_roof(10.0, 5.8, base + 7.4, 3.6, 0.9)
    roof = combine([lower_roof, upper_roof])
    roof.visual = trimesh.visual.TextureVisuals(
        uv=np.vstack([lower_uv, upper_uv]),
        material=material("#ffffff", 0.8, texture=tiles(128, (70, 71, 74), seed=41),
                          name="roof_tiles"))
    ridge_z = base + 7.4 + 3.6
    ridges = [box((8.8, 0.5, 0.55), (0, 0, ridge_z + 0.1))]
    ridges += [box((0.7, 0.6, 1.2), (s * 4.4, 0, ridge_z + 0.45)) for s in (-1, 1)]
    return [
        ("terrace", paint(combine(stone), material("#a9a59a", 0.9, name="terrace_stone"))),
        ("columns", paint(combine(columns + rail),
                          *preset("lacquered-wood", "#8e2a20", "red_lacquer"))),
        ("lattice", paint(combine(lattice), material("#5e2a20", 0.6, name="lattice"))),
        ("roofs", roof),
        ("ridges", paint(combine(ridges), material("#3d3d40", 0.7, name="ridge"))),
    ]


def willows() -> list[tuple[str, trimesh.Trimesh]]:
    """Willows round the island and along the south embankment, in scene coordinates."""
    r = rng(43)
    spots = [(ISLAND[0] + 24 * np.cos(a), ISLAND[1] + 15 * np.sin(a), 0.6)
             for a in np.linspace(0, 2 * np.pi, 11)[:-1] if np.sin(a) < 0.6]
    spots += [(float(x), -20.5, 1.2) for x in (-60, -42, -26, 24, 40, 58, 76)]
    trunks, crowns = [], []
    for x, y, ground in spots:
        trunk, crown = willow(x, y, ground, float(r.uniform(0.85, 1.15)),
                              float(r.uniform(0.0, 0.12)), r)
        trunks.append(trunk)
        crowns.append(crown)
    return [("willow-trunks", paint(combine(trunks), material("#4b3a2b", 0.9, name="bark"))),
            ("willow-leaves", paint(combine(crowns), material("#7a9444", 0.85,
                                                              name="willow_leaves")))]


def far_shore() -> list[tuple[str, trimesh.Trimesh]]:
    """The other shores: a low stone-edged bank round the lake with a line of trees."""
    r = rng(44)
    angles = np.linspace(0, 2 * np.pi, 73)[:-1]
    radius = 215 + 30 * np.sin(angles * 3 + 1.0) + r.uniform(-8, 8, len(angles))
    inner = [(float(rad * np.cos(a)), float(max(rad * np.sin(a), SOUTH_SHORE)))
             for a, rad in zip(angles, radius)]
    outer = [(-420.0, -420.0), (420.0, -420.0), (420.0, 420.0), (-420.0, 420.0)]
    ring = Polygon(outer, holes=[inner])
    bank = trimesh.creation.extrude_polygon(ring, 1.4)
    bank.apply_translation((0, 0, -0.4))
    trees = []
    for a, rad in zip(np.linspace(0, 2 * np.pi, 97)[:-1], np.interp(
            np.linspace(0, 2 * np.pi, 97)[:-1], angles, radius)):
        y = rad * np.sin(a) + 14 * np.sin(a)
        if y < SOUTH_SHORE + 6:
            continue
        size = float(r.uniform(5, 8))
        tree = trimesh.creation.icosphere(subdivisions=1, radius=size)
        tree.apply_scale((1.0, 1.0, 0.8))
        tree.apply_translation((float((rad + 14) * np.cos(a)), float(y), 1.0 + size * 0.9))
        trees.append(tree)
    return [("bank", paint(bank, material("#6d7355", 0.95, name="bank"))),
            ("trees", paint(combine(trees), material("#4f6238", 0.9, name="trees")))]


def generate(folder: Path) -> None:
    export_glb(pavilion(), folder / "yanyu-pavilion.glb")
    export_glb(willows() + far_shore(), folder / "shore.glb")
