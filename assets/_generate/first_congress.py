"""中共一大会址: the row of five two-storey shikumen (石库门) houses, 望志路100–108号, Shanghai.

What the model follows (the scene's sources): grey brick walls banded with red brick,
stone door frames with black-lacquered double doors under brick-red lintels, vermilion
window lattices; the congress met in the ground-floor parlour (客堂) of No. 106, about
18 m², behind a small courtyard (天井) and a front of lattice doors. The parlour's plaster,
floor boards and ceiling are scene primitives with material presets; this file makes the
brickwork, timber and the furniture. Beyond the long table, the furnishings (round stools,
tea set, vases) follow later literary reconstructions, and the scene says so.

Frame: metres, Z up; the row's x runs along the street from the west end of No. 106
(the scene places it at x = -4.6), the façade at y = 0, the houses run back to y = 11.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh
from shapely.geometry import Polygon

from common import box, combine, cylinder, export_glb, export_obj, material, paint, profile_along_y
from textures import bricks, tiles

HOUSE_W, DEPTH, FLOOR, HEIGHT = 4.6, 11.0, 3.6, 7.4
# Houses of the row by their old numbers, west to east; No. 106 starts at x = 0.
NUMBERS = (100, 102, 104, 106, 108)
WEST = -3 * HOUSE_W
# No. 106's ground floor: the courtyard behind the front wall, then the parlour
# (x 0.12..4.48, y 1.6..5.75: 4.36 m x 4.15 m, about 18 m²) under a ceiling at CEILING.
COURT, PARLOUR_BACK, CEILING = 1.6, 5.75, 3.45
ROOM_X = (0.12, HOUSE_W - 0.12)


def _facade(x0: float) -> dict[str, list[trimesh.Trimesh]]:
    """Front wall, stone door frame, brick-red lintel, doors and upper windows of one
    single-bay house (front at y=0)."""
    x1, mid = x0 + HOUSE_W, x0 + HOUSE_W / 2
    walls = [
        box((1.45, 0.3, HEIGHT), (x0 + 0.725, 0.15, HEIGHT / 2)),           # front piers
        box((1.45, 0.3, HEIGHT), (x1 - 0.725, 0.15, HEIGHT / 2)),
        box((HOUSE_W - 2.9, 0.3, HEIGHT - 3.0), (mid, 0.15, 3.0 + (HEIGHT - 3.0) / 2)),
        box((HOUSE_W, 0.3, HEIGHT), (mid, DEPTH - 0.15, HEIGHT / 2)),       # back wall
        box((HOUSE_W, 0.3, 0.25), (mid, 0.15, HEIGHT + 0.125)),             # parapet
    ]
    stone = [
        box((0.3, 0.4, 3.0), (mid - 0.95, 0.0, 1.5)),                      # jambs
        box((0.3, 0.4, 3.0), (mid + 0.95, 0.0, 1.5)),
        box((2.3, 0.45, 0.3), (mid, 0.0, 3.15)),                           # stone lintel
        box((2.4, 0.5, 0.18), (mid, 0.0, 0.09)),                           # threshold
    ]
    # The carved brick-red lintel (门楣) above the stone frame: a frieze, a cornice and a
    # pediment.
    lintel = [box((2.5, 0.5, 0.42), (mid, 0.0, 3.51)),
              box((2.7, 0.56, 0.1), (mid, 0.0, 3.77))]
    pediment = trimesh.creation.extrude_polygon(Polygon([(-1.35, 0), (1.35, 0), (0, 0.75)]),
                                                0.28)
    pediment.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [1, 0, 0]))
    pediment.apply_translation((mid, 0.1, 3.82))
    lintel.append(pediment)
    lintel += [box((0.34, 0.5, 0.2), (mid + s * 0.7, 0.0, 3.51)) for s in (-1, 1)]
    doors = [box((0.8, 0.08, 2.82), (mid - 0.4, 0.02, 1.59)),
             box((0.8, 0.08, 2.82), (mid + 0.4, 0.02, 1.59))]
    # Raised panels on each leaf, so the lacquer catches the light.
    doors += [box((0.56, 0.03, 0.9), (mid + s * 0.4, -0.03, z)) for s in (-1, 1)
              for z in (0.85, 2.25)]
    brass = [cylinder(0.06, 0.04, (mid + s * 0.12, -0.06, 1.6), 10) for s in (-1, 1)]
    for ring in brass:
        ring.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [1, 0, 0],
                                                                     ring.centroid))
    windows, frames = [], []
    for wx in (mid - 1.2, mid + 1.2):
        windows.append(box((0.9, 0.1, 1.5), (wx, -0.01, FLOOR + 1.55)))
        frames += _sash(wx, -0.07, FLOOR + 0.8, 0.9, 1.5)
        frames.append(box((1.1, 0.2, 0.08), (wx, -0.05, FLOOR + 0.76)))   # sill
    return {"walls": walls, "stone": stone, "lintel": lintel, "doors": doors,
            "brass": brass, "windows": windows, "frames": frames}


def _sash(cx: float, y: float, z0: float, width: float, height: float,
          across: int = 2, up: int = 3, depth: float = 0.05) -> list[trimesh.Trimesh]:
    """A window frame with a lattice of ``across`` x ``up`` panes, in the x-z plane."""
    bar, half = 0.05, width / 2
    parts = [box((bar, depth, height), (cx + s * (half - bar / 2), y, z0 + height / 2))
             for s in (-1, 1)]
    parts += [box((width, depth, bar), (cx, y, z0 + z)) for z in (bar / 2, height - bar / 2)]
    parts += [box((0.025, depth * 0.8, height), (cx - half + width * i / across, y,
                                                 z0 + height / 2)) for i in range(1, across)]
    parts += [box((width, depth * 0.8, 0.025), (cx, y, z0 + height * i / up))
              for i in range(1, up)]
    return parts


def _lattice_front() -> dict[str, list[trimesh.Trimesh]]:
    """The parlour's front to the courtyard: six full-height lattice doors (长窗) with a
    fixed transom, vermilion frames over glass, and the wall of the upper floor above."""
    x0, x1 = ROOM_X
    leaf, y = (x1 - x0) / 6, COURT - 0.06
    frames: list[trimesh.Trimesh] = []
    glass: list[trimesh.Trimesh] = []
    for i in range(6):
        cx = x0 + leaf * (i + 0.5)
        frames.append(box((leaf - 0.02, 0.05, 0.8), (cx, y, 0.12 + 0.4)))   # lower panel
        frames += _sash(cx, y, 0.92, leaf - 0.02, 1.95, across=2, up=5, depth=0.06)
        glass.append(box((leaf - 0.08, 0.02, 1.9), (cx, y, 0.92 + 0.975)))
    frames += _sash((x0 + x1) / 2, y, 2.87, x1 - x0, 0.58, across=6, up=1, depth=0.06)
    glass.append(box((x1 - x0 - 0.1, 0.02, 0.5), ((x0 + x1) / 2, y, 2.87 + 0.29)))
    frames.append(box((x1 - x0, 0.14, 0.1), ((x0 + x1) / 2, y, 0.07)))      # sill beam
    frames.append(box((x1 - x0, 0.14, 0.3), ((x0 + x1) / 2, y, CEILING + 0.12)))  # head
    return {"frames": frames, "glass": glass}


def _parlour_timber() -> list[trimesh.Trimesh]:
    """Dark timber inside the parlour: ceiling joists, skirting, and the doors to the back
    of the house and (through the opened party wall) to No. 108."""
    x0, x1 = ROOM_X
    mid_x, mid_y = (x0 + x1) / 2, (COURT + PARLOUR_BACK) / 2
    parts = [box((x1 - x0, 0.1, 0.16), (mid_x, y, CEILING - 0.08))
             for y in np.linspace(COURT + 0.3, PARLOUR_BACK - 0.3, 8)]
    parts.append(box((0.18, PARLOUR_BACK - COURT, 0.24), (mid_x, mid_y, CEILING - 0.12)))
    inset = 0.03  # the plaster is 2 cm thick: skirting and doors stand just proud of it
    parts += [box((0.02, PARLOUR_BACK - COURT, 0.16), (x0 + inset, mid_y, 0.2)),
              box((0.02, PARLOUR_BACK - COURT, 0.16), (x1 - inset, mid_y, 0.2)),
              box((x1 - x0, 0.02, 0.16), (mid_x, PARLOUR_BACK - inset, 0.2))]
    for (cx, cy, along_x) in ((mid_x, PARLOUR_BACK - inset - 0.02, True),
                              (x1 - inset - 0.02, mid_y + 0.9, False)):
        size = (1.3, 0.04, 2.5) if along_x else (0.04, 1.3, 2.5)
        parts.append(box(size, (cx, cy, 0.12 + 1.25)))
        for s in (-1, 1):
            offset = (s * 0.33, 0.0) if along_x else (0.0, s * 0.33)
            for z in (0.75, 1.95):
                panel = (0.46, 0.06, 0.8) if along_x else (0.06, 0.46, 0.8)
                parts.append(box(panel, (cx + offset[0], cy + offset[1], 0.12 + z)))
    return parts


def _shell() -> dict[str, list[trimesh.Trimesh]]:
    """Party walls, floors and inner walls; only Nos. 106 and 108 have rooms inside."""
    east = 2 * HOUSE_W
    walls = [_gable_end(x) for x in (WEST + 0.15, east - 0.15)]
    walls += [box((0.24, DEPTH - 0.3, HEIGHT), (WEST + i * HOUSE_W, DEPTH / 2 + 0.15,
                                                HEIGHT / 2)) for i in range(1, 5)]
    # Nos. 106 and 108: the front of the upper floor above the courtyard, the walls
    # closing the parlours at the back.
    walls += [box((east, 0.2, HEIGHT - FLOOR), (east / 2, COURT + 0.1, (FLOOR + HEIGHT) / 2)),
              box((east, 0.2, FLOOR), (east / 2, PARLOUR_BACK + 0.1, FLOOR / 2))]
    floors = [box((east, DEPTH - COURT, 0.2), (east / 2, (DEPTH + COURT) / 2, FLOOR)),
              box((east, DEPTH - COURT, 0.1), (east / 2, (DEPTH + COURT) / 2, 0.05))]
    paving = [box((east, COURT - 0.3, 0.08), (east / 2, (COURT + 0.3) / 2, 0.04))]
    return {"walls": walls, "floors": floors, "stone": paving}


def _along_x(profile_yz: list[tuple[float, float]], x0: float, length: float
             ) -> trimesh.Trimesh:
    """Extrude an outline drawn in the y-z plane along +x, starting at ``x0``."""
    mesh = profile_along_y(profile_yz, 0.0, length)
    # A quarter turn about z takes the outline's x to y and the extrusion's y to -x.
    mesh.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [0, 0, 1]))
    mesh.apply_translation((x0 + length, 0, 0))
    return mesh


def _gable_end(x: float) -> trimesh.Trimesh:
    """An end wall of the row, 0.3 m thick, up to the parapet at the front and under
    the roof's slopes behind."""
    front, back = COURT - 0.4, DEPTH
    return _along_x([(0, 0), (back, 0), (back, HEIGHT), ((front + back + 0.4) / 2,
                                                          HEIGHT + 2.55),
                     (front, HEIGHT + 0.25), (0, HEIGHT + 0.25)], x - 0.15, 0.3)


def _roof() -> trimesh.Trimesh:
    """One pitched roof over the row, ridge along the street, behind the front parapet."""
    front, back = COURT - 0.4, DEPTH + 0.4
    profile = [(front, HEIGHT), (back, HEIGHT), ((front + back) / 2, HEIGHT + 2.6)]
    return _along_x(profile, WEST - 0.3, 5 * HOUSE_W + 0.6)


def row(folder: Path) -> None:
    """The five houses of the row as OBJ + MTL + brick and tile PNGs."""
    brick = bricks(256, (170, 170, 165), [(92, 98, 104), (105, 110, 116), (84, 90, 97)],
                   band_every=4, band=(140, 58, 44), seed=11)
    tile = tiles(256, (72, 74, 78))
    m_brick = material("#ffffff", 0.9, texture=brick, name="brick")
    m_tile = material("#ffffff", 0.85, texture=tile, name="tile")
    groups: dict[str, list[trimesh.Trimesh]] = {}
    for i in range(len(NUMBERS)):
        for key, parts in _facade(WEST + i * HOUSE_W).items():
            groups.setdefault(key, []).extend(parts)
    for key, parts in (*_shell().items(), *_lattice_front().items()):
        groups.setdefault(key, []).extend(parts)
    export_obj([
        ("walls", paint(combine(groups["walls"]), m_brick, tile=0.7)),
        ("stone", paint(combine(groups["stone"]), material("#c3bcad", 0.75, name="stone"))),
        ("lintel", paint(combine(groups["lintel"]), material("#8e4331", 0.85,
                                                             name="red_brick_lintel"))),
        ("doors", paint(combine(groups["doors"]), material("#0d0b0a", 0.45,
                                                          name="black_lacquer"))),
        ("brass", paint(combine(groups["brass"]), material("#b08d3c", 0.3, 0.9, name="brass"))),
        ("windows", paint(combine(groups["windows"] + groups["glass"]),
                          material("#a9b8bf", 0.12, name="window_glass"))),
        ("frames", paint(combine(groups["frames"]), material("#8a2a1c", 0.45,
                                                            name="vermilion_lattice"))),
        ("timber", paint(combine(_parlour_timber()), material("#3b271b", 0.55,
                                                              name="dark_timber"))),
        ("floors", paint(combine(groups["floors"]), material("#6b5a48", 0.8, name="floor"))),
        ("roof", paint(_roof(), m_tile, tile=1.2)),
    ], folder / "shikumen-row.obj")


def _round_stool(x: float, y: float) -> list[trimesh.Trimesh]:
    """A round stool: a thick seat on four legs tied by a ring of stretchers."""
    parts = [cylinder(0.165, 0.045, (x, y, 0.455), 18)]
    legs = [(x + dx, y + dy) for dx, dy in ((0.09, 0.09), (-0.09, 0.09), (0.09, -0.09),
                                            (-0.09, -0.09))]
    parts += [cylinder(0.018, 0.43, (lx, ly, 0.215), 8) for lx, ly in legs]
    parts += [box((0.2, 0.022, 0.03), (x, y + s * 0.09, 0.16)) for s in (-1, 1)]
    parts += [box((0.022, 0.2, 0.03), (x + s * 0.09, y, 0.16)) for s in (-1, 1)]
    parts.append(cylinder(0.15, 0.05, (x, y, 0.41), 18))                 # seat apron
    return parts


def _revolve(profile: list[tuple[float, float]], at: tuple[float, float, float],
             sections: int = 16) -> trimesh.Trimesh:
    """A turned shape from (radius, height) pairs, standing at ``at``."""
    mesh = trimesh.creation.revolve(np.asarray(profile), sections=sections)
    mesh.apply_translation(at)
    return mesh


def furniture(folder: Path) -> None:
    """The long table (documented); round stools, a tea set and a pair of vases (literary
    reconstruction). The table's top is at 0.8 m, its centre at the origin."""
    top = 0.8
    table = [box((2.4, 0.9, 0.05), (0, 0, top - 0.025))]
    table += [box((2.26, 0.03, 0.1), (0, s * 0.41, top - 0.1)) for s in (-1, 1)]  # aprons
    table += [box((0.03, 0.8, 0.1), (s * 1.14, 0, top - 0.1)) for s in (-1, 1)]
    table += [box((0.07, 0.07, top - 0.05), (sx * 1.12, sy * 0.39, (top - 0.05) / 2))
              for sx in (-1, 1) for sy in (-1, 1)]
    table += [box((2.2, 0.04, 0.05), (0, 0, 0.15)),                          # stretchers
              box((0.04, 0.74, 0.05), (-1.12, 0, 0.15)),
              box((0.04, 0.74, 0.05), (1.12, 0, 0.15))]
    stools: list[trimesh.Trimesh] = []
    for x in np.linspace(-0.96, 0.96, 5):               # a dozen: five a side, one each end
        for y in (-0.72, 0.72):
            stools += _round_stool(float(x), y)
    for x in (-1.52, 1.52):
        stools += _round_stool(x, 0.0)
    porcelain = [_revolve([(0, 0), (0.16, 0), (0.17, 0.015), (0, 0.015)], (0, 0, top))]  # tray
    porcelain.append(_revolve([(0, 0), (0.05, 0), (0.075, 0.04), (0.07, 0.09), (0.035, 0.11),
                               (0, 0.12)], (0, 0, top + 0.015)))                    # teapot
    spout = cylinder(0.012, 0.09, (0.1, 0, top + 0.08), 8)
    spout.apply_transform(trimesh.transformations.rotation_matrix(-0.7, [0, 1, 0],
                                                                  spout.centroid))
    handle = trimesh.creation.torus(0.035, 0.008, major_sections=12, minor_sections=6)
    handle.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [1, 0, 0]))
    handle.apply_translation((-0.085, 0, top + 0.075))
    porcelain += [spout, handle]
    for x in (-0.84, -0.42, 0.42, 0.84):
        for y in (-0.27, 0.27):
            porcelain.append(_revolve([(0, 0), (0.022, 0), (0.034, 0.05), (0.031, 0.052),
                                       (0.019, 0.004), (0, 0.004)], (x, y, top), 12))
    vases = [_revolve([(0, 0), (0.045, 0), (0.07, 0.08), (0.06, 0.17), (0.03, 0.22),
                       (0.032, 0.25), (0.05, 0.27), (0.045, 0.275), (0.024, 0.24),
                       (0, 0.24)], (s * 0.42, 0, top), 16) for s in (-1, 1)]
    export_glb([("long-table", paint(combine(table), material("#4a2616", 0.45,
                                                              name="table"))),
                ("stools", paint(combine(stools), material("#6e4328", 0.6, name="stool"))),
                ("tea-set", paint(combine(porcelain), material("#ece6d6", 0.25,
                                                               name="porcelain"))),
                ("vases", paint(combine(vases), material("#d9a19b", 0.3, name="vase")))],
               folder / "meeting-room-furniture.glb")


def generate(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    row(folder)
    furniture(folder)
