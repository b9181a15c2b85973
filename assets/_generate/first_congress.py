"""中共一大会址: two-storey shikumen (石库门) row houses, 望志路106/108号, Shanghai.

Grey brick with red brick bands, stone door frames with black double doors, and the
ground-floor meeting room of No. 106 (about 18 m²). Furniture beyond the long table is a
literary reconstruction and the scene says so.
"""

from __future__ import annotations

from pathlib import Path

import trimesh

from common import box, combine, cylinder, export_glb, export_obj, gable_roof, material, paint
from textures import bricks, tiles

HOUSE_W, DEPTH, FLOOR, HEIGHT = 4.6, 11.0, 3.6, 7.4


def _house(x0: float) -> dict[str, list[trimesh.Trimesh]]:
    """Walls, stone door frame, doors and windows of one single-bay house (front at y=0)."""
    x1, mid = x0 + HOUSE_W, x0 + HOUSE_W / 2
    walls = [
        box((1.45, 0.3, HEIGHT), (x0 + 0.725, 0.15, HEIGHT / 2)),           # front piers
        box((1.45, 0.3, HEIGHT), (x1 - 0.725, 0.15, HEIGHT / 2)),
        box((HOUSE_W - 2.9, 0.3, HEIGHT - 3.0), (mid, 0.15, 3.0 + (HEIGHT - 3.0) / 2)),
        box((HOUSE_W, 0.3, HEIGHT), (mid, DEPTH - 0.15, HEIGHT / 2)),       # back wall
    ]
    stone = [
        box((0.3, 0.4, 3.0), (mid - 0.95, 0.0, 1.5)),                      # jambs
        box((0.3, 0.4, 3.0), (mid + 0.95, 0.0, 1.5)),
        box((2.3, 0.45, 0.35), (mid, 0.0, 3.15)),                          # lintel
        box((2.6, 0.5, 0.12), (mid, 0.0, 3.38)),                           # cornice
    ]
    pediment = trimesh.creation.extrude_polygon(
        trimesh.path.polygons.Polygon([(-1.3, 0), (1.3, 0), (0, 0.9)]), 0.25)
    pediment.apply_transform(trimesh.transformations.rotation_matrix(1.5707963, [1, 0, 0]))
    pediment.apply_translation((mid, 0.05, 3.44))
    stone.append(pediment)
    doors = [box((0.78, 0.08, 2.8), (mid - 0.4, 0.02, 1.4)),
             box((0.78, 0.08, 2.8), (mid + 0.4, 0.02, 1.4))]
    brass = [cylinder(0.06, 0.04, (mid + s * 0.12, -0.04, 1.5), 10) for s in (-1, 1)]
    for ring in brass:
        ring.apply_transform(trimesh.transformations.rotation_matrix(1.5707963, [1, 0, 0],
                                                                     ring.centroid))
    windows = []
    for wx in (mid - 1.1, mid + 1.1):
        windows.append(box((1.0, 0.12, 1.5), (wx, -0.02, FLOOR + 1.7)))
    frames = [box((1.2, 0.16, 0.12), (wx, -0.04, FLOOR + z)) for wx in (mid - 1.1, mid + 1.1)
              for z in (0.9, 2.5)]
    return {"walls": walls, "stone": stone, "doors": doors, "brass": brass,
            "windows": windows, "frames": frames}


def row(folder: Path) -> None:
    """No. 106 and No. 108 side by side, as OBJ + MTL + brick and tile PNGs."""
    brick = bricks(256, (170, 170, 165), [(92, 98, 104), (105, 110, 116), (84, 90, 97)],
                   band_every=4, band=(140, 58, 44), seed=11)
    tile = tiles(256, (72, 74, 78))
    m_brick = material("#ffffff", 0.9, texture=brick, name="brick")
    m_tile = material("#ffffff", 0.85, texture=tile, name="tile")
    groups: dict[str, list[trimesh.Trimesh]] = {}
    for x0 in (0.0, HOUSE_W):
        for key, parts in _house(x0).items():
            groups.setdefault(key, []).extend(parts)
    width = 2 * HOUSE_W
    groups["walls"] += [box((0.3, DEPTH, HEIGHT), (0.15, DEPTH / 2, HEIGHT / 2)),
                        box((0.3, DEPTH, HEIGHT), (width - 0.15, DEPTH / 2, HEIGHT / 2)),
                        # party wall between the houses, opened on the ground floor
                        box((0.24, DEPTH - 5.8, HEIGHT), (HOUSE_W, 8.1, HEIGHT / 2)),
                        box((0.24, 5.2, HEIGHT - 3.0), (HOUSE_W, 2.6, 3.0 + (HEIGHT - 3) / 2))]
    floors = [box((width, DEPTH, 0.2), (width / 2, DEPTH / 2, FLOOR)),
              box((width, DEPTH, 0.1), (width / 2, DEPTH / 2, 0.05))]
    roof = gable_roof(DEPTH + 0.8, 2.6, HEIGHT, -0.4, width + 0.6)
    roof.apply_transform(trimesh.transformations.rotation_matrix(1.5707963, [0, 0, 1]))
    roof.apply_translation((width / 2 + (width + 0.6) / 2, DEPTH / 2, 0))
    roof.apply_translation((-(width + 0.6) / 2 - width / 2 + width / 2, 0, 0))
    export_obj([
        ("walls", paint(combine(groups["walls"]), m_brick, tile=0.7)),
        ("stone", paint(combine(groups["stone"]), material("#c8c0b0", 0.7, name="stone"))),
        ("doors", paint(combine(groups["doors"]), material("#1b1816", 0.35,
                                                          name="black_lacquer"))),
        ("brass", paint(combine(groups["brass"]), material("#b08d3c", 0.3, 0.9, name="brass"))),
        ("windows", paint(combine(groups["windows"]), material("#2a2420", 0.4,
                                                              name="window_glass"))),
        ("frames", paint(combine(groups["frames"]), material("#4a2a1c", 0.6,
                                                            name="window_frame"))),
        ("floors", paint(combine(floors), material("#6b5a48", 0.8, name="floor"))),
        ("roof", paint(roof, m_tile, tile=1.2)),
    ], folder / "shikumen-row.obj")


def furniture(folder: Path) -> None:
    """The long table (documented) with stools and a tea set (literary reconstruction)."""
    wood = material("#5b3420", 0.55, name="table")
    stools, legs = [], []
    table = [box((2.6, 0.95, 0.06), (0, 0, 0.78))]
    legs += [box((0.07, 0.07, 0.75), (sx * 1.2, sy * 0.4, 0.375)) for sx in (-1, 1)
             for sy in (-1, 1)]
    for i in range(6):
        x = -1.05 + i * 0.42
        for y in (-0.8, 0.8):
            stools.append(cylinder(0.17, 0.04, (x, y, 0.46), 14))
            stools += [box((0.035, 0.035, 0.44), (x + dx, y + dy, 0.22))
                       for dx, dy in ((0.1, 0.1), (-0.1, 0.1), (0.1, -0.1), (-0.1, -0.1))]
    cups = [cylinder(0.035, 0.06, (x, y, 0.84), 10) for x in (-0.9, -0.3, 0.3, 0.9)
            for y in (-0.25, 0.25)]
    cups.append(cylinder(0.08, 0.14, (0, 0, 0.88), 12))
    export_glb([("long-table", paint(combine(table + legs), wood)),
                ("stools", paint(combine(stools), material("#6e4328", 0.6, name="stool"))),
                ("tea-set", paint(combine(cups), material("#ece6d6", 0.25, name="porcelain")))],
               folder / "meeting-room-furniture.glb")


def generate(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    row(folder)
    furniture(folder)
