"""遵义会议会址: 柏辉章's residence, early 1930s, two storeys, brick and timber, mixed
Chinese-Western style with arcaded verandas; the upstairs sitting room where the
conference met, with a rectangular table, folding rattan chairs, a brazier and a clock.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh

from common import box, combine, cylinder, export_glb, hipped_roof, material, paint, profile_along_y
from textures import bricks, tiles

W, D, GROUND, UPPER = 17.0, 11.0, 4.0, 3.6


def _arcade(z0: float, height: float, arches: int, y: float) -> trimesh.Trimesh:
    """A wall in the x-z plane with round-headed openings, ``0.45`` m thick."""
    outline = [(-W / 2, z0), (W / 2, z0), (W / 2, z0 + height), (-W / 2, z0 + height)]
    span = W / arches
    holes = []
    for i in range(arches):
        cx = -W / 2 + span * (i + 0.5)
        half = span * 0.32
        spring = z0 + height * 0.62
        pts = [(cx - half, z0 + 0.02), (cx + half, z0 + 0.02)]
        pts += [(cx + half * np.cos(a), spring + half * 0.9 * np.sin(a))
                for a in np.linspace(0, np.pi, 10)]
        holes.append(pts)
    return profile_along_y(outline, y, 0.45, holes=holes)


def house(folder: Path) -> None:
    brick = bricks(256, (150, 150, 146), [(108, 110, 112), (96, 99, 103), (118, 120, 121)],
                   seed=21)
    m_brick = material("#ffffff", 0.9, texture=brick, name="grey_brick")
    m_tile = material("#ffffff", 0.85, texture=tiles(256, (70, 70, 72), seed=22),
                      name="roof_tile")
    m_timber = material("#5e2c1e", 0.6, name="red_timber")
    m_plaster = material("#d9d3c4", 0.9, name="plaster")
    front = -D / 2
    walls = [
        _arcade(0.0, GROUND, 6, front),
        _arcade(GROUND, UPPER, 6, front),
        box((W, 0.35, GROUND + UPPER), (0, front + 2.6, (GROUND + UPPER) / 2)),  # inner front
        box((W, 0.35, GROUND + UPPER), (0, D / 2, (GROUND + UPPER) / 2)),        # back
        box((0.35, D, GROUND + UPPER), (-W / 2, 0, (GROUND + UPPER) / 2)),
        box((0.35, D, GROUND + UPPER), (W / 2, 0, (GROUND + UPPER) / 2)),
    ]
    # Room partitions upstairs: the meeting room spans x 2..8, y front+2.8..front+8.
    walls += [box((0.2, 5.2, UPPER), (2.0, front + 5.4, GROUND + UPPER / 2)),
              box((6.0, 0.2, UPPER), (5.0, front + 8.0, GROUND + UPPER / 2))]
    floors = [box((W, D, 0.25), (0, 0, GROUND)), box((W, D, 0.12), (0, 0, 0.06))]
    ceiling = [box((W, D, 0.15), (0, 0, GROUND + UPPER))]
    windows = []
    for x in np.linspace(-6.5, 6.5, 6):
        for z in (1.9, GROUND + 1.8):
            windows.append(box((1.2, 0.1, 1.6), (x, front + 2.4, z)))
    windows += [box((1.2, 0.1, 1.6), (x, D / 2 + 0.2, GROUND + 1.8)) for x in (-5, 0, 5)]
    rail = [box((W, 0.3, 0.12), (0, front + 0.2, GROUND + 1.0))]
    rail += [box((0.08, 0.08, 0.9), (x, front + 0.2, GROUND + 0.5))
             for x in np.linspace(-W / 2 + 0.5, W / 2 - 0.5, 40)]
    roof = hipped_roof(W + 1.6, D + 1.6, 3.2, GROUND + UPPER + 0.1, ridge_ratio=0.45)
    roof = combine([roof])
    roof.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [0, 0, 1]))
    scale = np.diag([(W + 1.6) / (D + 1.6), (D + 1.6) / (W + 1.6), 1.0, 1.0])
    roof.apply_transform(scale)
    export_glb([
        ("walls", paint(combine(walls), m_brick, tile=0.8)),
        ("floors", paint(combine(floors + ceiling), m_plaster)),
        ("windows", paint(combine(windows), m_timber)),
        ("balustrade", paint(combine(rail), m_timber)),
        ("roof", paint(roof, m_tile, tile=1.5)),
    ], folder / "residence.glb")


def rattan_chair(folder: Path) -> None:
    """A folding rattan chair as PLY with vertex colours (Z up), as scanners deliver."""
    parts = [box((0.46, 0.44, 0.05), (0, 0, 0.45))]
    parts += [box((0.035, 0.035, 0.9), (sx * 0.2, 0.2, 0.45)) for sx in (-1, 1)]
    parts += [box((0.035, 0.035, 0.47), (sx * 0.2, -0.2, 0.235)) for sx in (-1, 1)]
    parts += [box((0.44, 0.03, 0.4), (0, 0.21, 0.72))]
    parts += [box((0.02, 0.5, 0.02), (sx * 0.2, 0, 0.1)) for sx in (-1, 1)]
    mesh = combine(parts)
    mesh.visual = trimesh.visual.ColorVisuals(mesh, face_colors=[176, 140, 84, 255])
    (folder / "rattan-chair.ply").write_bytes(mesh.export(file_type="ply", encoding="binary"))


def room_furniture(folder: Path) -> None:
    wood = material("#4d2c1a", 0.5, name="table_wood")
    table = [box((3.2, 1.1, 0.06), (0, 0, 0.78))]
    table += [box((0.08, 0.08, 0.75), (sx * 1.5, sy * 0.45, 0.375)) for sx in (-1, 1)
              for sy in (-1, 1)]
    brazier = [cylinder(0.32, 0.22, (0, -1.7, 0.36), 16), cylinder(0.05, 0.25, (0, -1.7, 0.12), 8)]
    coals = [cylinder(0.27, 0.03, (0, -1.7, 0.48), 16)]
    clock_case = [box((0.36, 0.12, 0.55), (0, 0, 0))]
    clock_face = [cylinder(0.13, 0.02, (0, -0.07, 0.08), 20)]
    for mesh in clock_face:
        mesh.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [1, 0, 0],
                                                                     mesh.centroid))
    export_glb([("table", paint(combine(table), wood)),
                ("brazier", paint(combine(brazier), material("#3a3836", 0.5, 0.8, name="iron"))),
                ("coals", paint(combine(coals), material("#b2401c", 0.9, name="embers")))],
               folder / "meeting-table.glb")
    export_glb([("clock", paint(combine(clock_case), material("#3b2417", 0.4, name="case"))),
                ("clock-face", paint(combine(clock_face), material("#eee8d8", 0.3,
                                                                     name="face")))],
               folder / "wall-clock.glb")


def generate(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    house(folder)
    rattan_chair(folder)
    room_furniture(folder)
