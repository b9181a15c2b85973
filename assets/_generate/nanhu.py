"""南湖红船: the 1959 replica of the hired pleasure boat (丝网船), about 16 m x 3 m.

Colours as confirmed for the replica: hull chestnut brown (栗壳色), hard canopy dark red
(荸荠色), woven canopies smoky black. Cabins bow to stern: bow cabin with awning, middle
cabin with square table, tea set and chairs, sleeping cabin, stern cabin with a stove.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import nanhu_shore
import numpy as np
import trimesh

from common import arch, box, combine, cylinder, export_glb, export_obj, material, paint
from textures import planks, woven

HULL = "#6b3b22"       # 栗壳色 chestnut brown
CANOPY = "#5a2326"     # 荸荠色 dark red, the hard canopy
WOVEN = "#2e2a27"      # smoky black woven canopy
WOOD = "#7a4a2a"


def hull(length: float, beam: float, depth: float, sheer: float,
         stations: int = 33, ring: int = 11) -> trimesh.Trimesh:
    """A closed hull along y (bow at +y): rounded sections, sheer rising at both ends."""
    ys = np.linspace(-length / 2, length / 2, stations)
    t = ys / (length / 2)
    half = beam / 2 * (0.25 + 0.75 * np.clip(1 - t**2, 0, 1) ** 0.55)
    top = depth + sheer * t**4
    keel = 0.25 * depth * t**2
    phi = np.linspace(-np.pi / 2, np.pi / 2, ring)
    sx = np.sign(np.sin(phi)) * np.abs(np.sin(phi)) ** 0.6
    sz = 1 - np.abs(np.cos(phi)) ** 0.6
    verts = []
    for y, b, h, k in zip(ys, half, top, keel):
        for a, c in zip(sx, sz):
            verts.append((b * a, y, k + (h - k) * c))
    verts = np.array(verts)
    faces = []
    for i in range(stations - 1):
        for j in range(ring - 1):
            a, b_ = i * ring + j, i * ring + j + 1
            c, d = (i + 1) * ring + j + 1, (i + 1) * ring + j
            faces += [(a, d, c), (a, c, b_)]
    # Deck across the top edge and caps at bow and stern.
    for i in range(stations - 1):
        a, b_ = i * ring, i * ring + ring - 1
        c, d = (i + 1) * ring + ring - 1, (i + 1) * ring
        faces += [(a, b_, c), (a, c, d)]
    for i, flip in ((0, True), (stations - 1, False)):
        centre = len(verts)
        ring_pts = verts[i * ring:(i + 1) * ring]
        verts = np.vstack([verts, ring_pts.mean(axis=0)])
        for j in range(ring - 1):
            tri = (centre, i * ring + j, i * ring + j + 1)
            faces.append(tri[::-1] if flip else tri)
        tri = (centre, i * ring + ring - 1, i * ring)
        faces.append(tri[::-1] if flip else tri)
    mesh = trimesh.Trimesh(verts, np.array(faces), process=True)
    trimesh.repair.fix_normals(mesh)
    return mesh


def _cabin_walls(y0: float, y1: float, width: float, height: float, floor: float,
                 windows: int) -> list[trimesh.Trimesh]:
    """Side walls as posts and lattice panels with open windows between them."""
    parts = []
    posts = np.linspace(y0, y1, windows + 1)
    for side in (-1, 1):
        x = side * width / 2
        for y in posts:
            parts.append(box((0.1, 0.1, height), (x, y, floor + height / 2)))
        parts.append(box((0.06, y1 - y0, height * 0.35), (x, (y0 + y1) / 2,
                                                          floor + height * 0.175)))
        parts.append(box((0.06, y1 - y0, 0.12), (x, (y0 + y1) / 2, floor + height - 0.06)))
        for a, b in itertools.pairwise(posts):  # lattice bars in each window
            for k in range(1, 4):
                yy = a + (b - a) * k / 4
                parts.append(box((0.03, 0.03, height * 0.5), (x, yy, floor + height * 0.62)))
    return parts


def boat(folder: Path) -> None:
    deck = 0.95
    woven_tex = woven(256, (38, 34, 30), (92, 84, 72))
    wood_tex = planks(256, (122, 80, 48))
    m_hull = material(HULL, 0.7, name="hull")
    m_canopy = material(CANOPY, 0.5, name="canopy")
    m_woven = material("#ffffff", 0.95, texture=woven_tex, name="woven")
    m_wood = material("#ffffff", 0.8, texture=wood_tex, name="timber")
    m_dark = material("#2a1a12", 0.6, name="lacquer")
    m_tea = material("#e8e2d0", 0.3, name="porcelain")
    parts: list[tuple[str, trimesh.Trimesh]] = [
        ("hull", paint(hull(16.0, 3.0, deck, 0.45), m_hull)),
        ("deck", paint(box((2.5, 13.0, 0.06), (0, -0.3, deck + 0.03)), m_wood, tile=1.5)),
    ]
    # Bow cabin (前舱): low walls under a woven awning.
    parts.append(("bow-cabin", paint(combine(_cabin_walls(3.2, 5.0, 2.3, 1.1, deck, 2)), m_wood,
                                     tile=1.0)))
    parts.append(("bow-awning", paint(arch(2.7, 0.55, 0.05, deck + 1.1, 3.0, 2.3), m_woven,
                                      tile=0.8)))
    # Middle cabin (中舱): the meeting cabin under the hard dark-red canopy.
    parts.append(("middle-cabin", paint(combine(_cabin_walls(-0.8, 3.2, 2.5, 1.65, deck, 4)),
                                        m_wood, tile=1.0)))
    parts.append(("hard-canopy", paint(arch(3.0, 0.6, 0.08, deck + 1.65, -1.0, 4.4),
                                       m_canopy)))
    table = [box((0.95, 0.95, 0.05), (0, 1.2, deck + 0.78))]
    table += [box((0.06, 0.06, 0.76), (sx * 0.42, 1.2 + sy * 0.42, deck + 0.38))
              for sx in (-1, 1) for sy in (-1, 1)]
    parts.append(("square-table", paint(combine(table), m_dark)))
    chairs = []
    for cx, cy in ((-0.85, 1.2), (0.85, 1.2), (0, 0.25), (0, 2.15)):
        chairs.append(box((0.45, 0.45, 0.05), (cx, cy, deck + 0.45)))
        for sx in (-1, 1):
            for sy in (-1, 1):
                chairs.append(box((0.04, 0.04, 0.45), (cx + sx * 0.19, cy + sy * 0.19,
                                                      deck + 0.22)))
        back_x = cx + (0.22 if cx > 0 else -0.22 if cx < 0 else 0)
        back_y = cy + (0.22 if cy > 1.2 else -0.22 if cy < 1.2 else 0)
        size = (0.04, 0.45, 0.5) if cx != 0 else (0.45, 0.04, 0.5)
        chairs.append(box(size, (back_x, back_y, deck + 0.72)))
    parts.append(("chairs", paint(combine(chairs), m_dark)))
    tea = [cylinder(0.07, 0.12, (0, 1.2, deck + 0.87), 12)]
    tea += [cylinder(0.035, 0.05, (0.2 * np.cos(a), 1.2 + 0.2 * np.sin(a), deck + 0.835), 10)
            for a in np.linspace(0, 2 * np.pi, 5)[:-1]]
    parts.append(("tea-set", paint(combine(tea), m_tea)))
    # Sleeping cabin (房舱) and stern cabin (后舱) with its stove, under woven canopies.
    parts.append(("sleeping-cabin", paint(combine(_cabin_walls(-3.4, -0.8, 2.4, 1.5, deck, 3)),
                                          m_wood, tile=1.0)))
    parts.append(("rear-canopy", paint(arch(2.8, 0.55, 0.05, deck + 1.5, -3.6, 2.8), m_woven,
                                       tile=0.8)))
    parts.append(("stern-cabin", paint(combine(_cabin_walls(-5.6, -3.4, 2.2, 1.2, deck, 2)),
                                       m_wood, tile=1.0)))
    parts.append(("stern-canopy", paint(arch(2.5, 0.45, 0.05, deck + 1.2, -5.7, 2.3), m_woven,
                                        tile=0.8)))
    parts.append(("stove", paint(combine([box((0.7, 0.6, 0.55), (0.5, -4.6, deck + 0.28)),
                                          cylinder(0.08, 1.2, (0.5, -4.6, deck + 1.1), 10)]),
                                 m_dark)))
    parts.append(("sculling-oar", paint(box((0.08, 3.2, 0.06), (0.9, -8.6, deck + 0.6)),
                                        m_dark)))
    export_glb(parts, folder / "red-boat.glb")


def tender(folder: Path) -> None:
    """拖梢船: the small boat tied behind, as an OBJ with a material library."""
    mesh = hull(4.2, 1.3, 0.55, 0.2, stations=17, ring=9)
    seat = box((1.1, 0.3, 0.05), (0, 0, 0.45))
    tender_mesh = paint(combine([mesh, seat]), material(HULL, 0.75, name="tender_hull"))
    export_obj([("tender", tender_mesh)], folder / "tender.obj")


def generate(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    boat(folder)
    tender(folder)
    nanhu_shore.generate(folder)
