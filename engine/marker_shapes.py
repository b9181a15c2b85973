"""The shapes of a hotspot marker, flat in the XZ plane facing -Y (a billboard turns
them to the eye): a ring around the hotspot, a badge on the ring's top with an icon.

Units: the ring's outer radius is 1; the marker's scale makes it a size on screen.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from panda3d.core import (
    Geom,
    GeomNode,
    GeomTriangles,
    GeomVertexData,
    GeomVertexFormat,
    GeomVertexWriter,
)

RING_OUTER = 1.0
RING_INNER = 0.74   # the hole: what the marker marks shows through it
BADGE_CENTRE = 1.3  # above the hotspot, touching the ring
BADGE_RADIUS = 0.36
SEGMENTS = 40

Triangle = tuple[tuple[float, float], tuple[float, float], tuple[float, float]]


def _annulus(inner: float, outer: float, centre: tuple[float, float] = (0.0, 0.0),
             segments: int = SEGMENTS) -> list[Triangle]:
    cx, cz = centre
    triangles: list[Triangle] = []
    for i in range(segments):
        a, b = 2 * math.pi * i / segments, 2 * math.pi * (i + 1) / segments
        p = [(cx + r * math.cos(t), cz + r * math.sin(t))
             for r, t in ((inner, a), (outer, a), (outer, b), (inner, b))]
        triangles += [(p[0], p[1], p[2]), (p[0], p[2], p[3])]
    return triangles


def _disc(radius: float, centre: tuple[float, float], segments: int = 24) -> list[Triangle]:
    cx, cz = centre
    rim = [(cx + radius * math.cos(2 * math.pi * i / segments),
            cz + radius * math.sin(2 * math.pi * i / segments)) for i in range(segments)]
    return [((cx, cz), rim[i], rim[(i + 1) % segments]) for i in range(segments)]


def _bar(start: tuple[float, float], end: tuple[float, float], width: float) -> list[Triangle]:
    """A rectangle from ``start`` to ``end``, ``width`` across."""
    dx, dz = end[0] - start[0], end[1] - start[1]
    length = math.hypot(dx, dz)
    nx, nz = -dz / length * width / 2, dx / length * width / 2
    a, b = (start[0] + nx, start[1] + nz), (end[0] + nx, end[1] + nz)
    c, d = (end[0] - nx, end[1] - nz), (start[0] - nx, start[1] - nz)
    return [(a, b, c), (a, c, d)]


def ring() -> list[Triangle]:
    return _annulus(RING_INNER, RING_OUTER)


def outline() -> list[Triangle]:
    """A dark rim on both sides of the ring, so it reads on light and dark surfaces."""
    return _annulus(RING_OUTER, RING_OUTER + 0.12) + _annulus(RING_INNER - 0.1, RING_INNER) \
        + _annulus(BADGE_RADIUS, BADGE_RADIUS + 0.1, (0.0, BADGE_CENTRE), 24)


def badge() -> list[Triangle]:
    return _disc(BADGE_RADIUS, (0.0, BADGE_CENTRE))


def info_icon() -> list[Triangle]:
    """An "i": not yet seen, there is something to learn here."""
    x, z = 0.0, BADGE_CENTRE
    return _bar((x, z - 0.2), (x, z + 0.06), 0.1) + _disc(0.065, (x, z + 0.17), 12)


def check_icon() -> list[Triangle]:
    """A tick: already seen."""
    x, z = 0.0, BADGE_CENTRE
    return _bar((x - 0.18, z + 0.01), (x - 0.05, z - 0.13), 0.09) + \
        _bar((x - 0.08, z - 0.13), (x + 0.2, z + 0.17), 0.09)


def geom_node(name: str, triangles: Iterable[Triangle],
              raised: Iterable[Triangle] = ()) -> GeomNode:
    """Flat triangles in the XZ plane (y = 0), and ``raised`` ones a hair in front
    (y = -0.01: an icon on the badge), as one geom: one draw call."""
    data = GeomVertexData(name, GeomVertexFormat.getV3(), Geom.UHStatic)
    writer = GeomVertexWriter(data, "vertex")
    primitive = GeomTriangles(Geom.UHStatic)
    count = 0
    for y, layer in ((0.0, triangles), (-0.01, raised)):
        for triangle in layer:
            for x, z in triangle:
                writer.addData3(x, y, z)
            primitive.addVertices(count, count + 1, count + 2)
            count += 3
    geom = Geom(data)
    geom.addPrimitive(primitive)
    node = GeomNode(name)
    node.addGeom(geom)
    return node
