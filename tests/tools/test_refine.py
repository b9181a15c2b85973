"""Refinement near occluders cuts each edge the same way for every triangle that shares
it: split triangles and their unsplit neighbours meet vertex to vertex (no T-junction to
crack or to step the baked occlusion), the surface stays whole, and the same part always
gives the same bytes."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from protocol.scene import Prop
from tools.cache import BuildCache
from tools.geometry_store import Geometry
from tools.meshdata import MaterialData, Part
from tools.refine import _lattice, refine

ROOT = Path(__file__).resolve().parents[2]
REACH = 1.0


def _edge_uses(part: Part) -> dict[tuple[int, int], int]:
    """How many triangles hold each edge, edges named by their ends' places."""
    _, place = np.unique(np.round(part.vertices.astype(np.float64), 5), axis=0,
                         return_inverse=True)
    corners = place.reshape(-1)[part.faces.astype(np.int64)]
    uses: dict[tuple[int, int], int] = {}
    for a, b in np.stack([corners, np.roll(corners, -1, axis=1)], axis=2).reshape(-1, 2):
        key = (int(min(a, b)), int(max(a, b)))
        uses[key] = uses.get(key, 0) + 1
    return uses


def _area(part: Part) -> NDArray[np.float64]:
    c = part.vertices.astype(np.float64)[part.faces]
    areas: NDArray[np.float64] = 0.5 * np.cross(c[:, 1] - c[:, 0], c[:, 2] - c[:, 0])[:, 2]
    return areas


def _ground(cells: int = 4, size: float = 2.0) -> Part:
    """A welded strip of ``cells`` squares in z = 0, diagonals alternating, so that
    neighbouring triangles have their longest edges in different places."""
    xs, ys = np.meshgrid(np.arange(cells + 1) * size, [0.0, size], indexing="ij")
    vertices = np.stack([xs.ravel(), ys.ravel(), np.zeros(xs.size)], axis=1)
    faces = []
    for c in range(cells):
        a, b, d, e = 2 * c, 2 * c + 2, 2 * c + 3, 2 * c + 1   # (x,0) (x+1,0) (x+1,1) (x,1)
        faces += [(a, b, d), (a, d, e)] if c % 2 == 0 else [(a, b, e), (b, d, e)]
    count = len(vertices)
    return Part(vertices.astype(np.float32), np.array(faces, dtype=np.uint32),
                np.tile([0.0, 0.0, 1.0], (count, 1)).astype(np.float32),
                (vertices[:, :2] / size).astype(np.float32), MaterialData(name="ground"))


def test_every_edge_cut_lattice_tiles_its_triangle() -> None:
    for cuts in itertools.product(range(1, 7), repeat=3):
        if max(cuts) == 1:
            continue
        weights, tris = _lattice(cuts)
        flat = weights[:, 1:]
        a, b, c = flat[tris[:, 0]], flat[tris[:, 1]], flat[tris[:, 2]]
        area = 0.5 * ((b - a)[:, 0] * (c - a)[:, 1] - (b - a)[:, 1] * (c - a)[:, 0])
        assert (area > 1e-9).all() and abs(area.sum() - 0.5) < 1e-9, cuts  # no fold, no gap
        for edge, n in enumerate(cuts):  # edge v0-v1 has no v2 weight, and so on
            assert np.isclose(weights[:, (edge + 2) % 3], 0).sum() == n + 1, (cuts, edge)


def test_split_triangles_and_their_neighbours_meet_vertex_to_vertex() -> None:
    ground = _ground()
    occluder = np.array([[[0.2, 0.2, 0.1], [0.8, 0.2, 0.1], [0.2, 0.8, 0.1]]])  # cell 0 only
    fine = refine(ground, occluder, REACH, 0.5)
    assert fine.triangles > 30, "the shaded corner is split"
    assert fine.vertices[:, 0].max() == 8.0 and (fine.faces < len(fine.vertices)).all()
    area = _area(fine)
    assert (area > 0).all() and np.isclose(area.sum(), 16.0), "no fold, no gap"
    # An edge held by one triangle only lies on the strip's outline; inside, every edge
    # is held by two: a vertex of one triangle on another's side would break that.
    outline = 0
    for (a, b), uses in _edge_uses(fine).items():
        assert uses in (1, 2)
        if uses == 1:
            ends = np.unique(np.round(fine.vertices.astype(np.float64), 5), axis=0)[[a, b]]
            on_side = [np.isclose(ends[:, axis], value).all()
                       for axis, value in ((0, 0.0), (0, 8.0), (1, 0.0), (1, 2.0))]
            assert any(on_side), ends
            outline += 1
    assert outline >= 4
    far = fine.vertices[:, 0] > 4.0
    assert far.sum() == 4, "cells out of reach and not touching a split edge stay whole"
    again = refine(_ground(), occluder, REACH, 0.5)
    for name in ("vertices", "faces", "normals", "uv"):
        assert getattr(again, name).tobytes() == getattr(fine, name).tobytes(), name


def test_a_closed_box_stays_closed_across_its_hard_edges() -> None:
    prop = Prop.model_validate({"id": "post", "primitive": {"box": {"size": [0.4, 1.0, 6]}}})
    (post,) = Geometry(ROOT, 200_000, BuildCache(None)).parts(prop, "post")[0]
    floor = np.array([[[-5.0, -5.0, -3.0], [5.0, -5.0, -3.0], [0.0, 5.0, -3.0]]])
    fine = refine(post, floor, REACH, 0.5)
    assert fine.triangles > 4 * post.triangles
    # the sides are split up their height and the 1 m top and bottom edges in two, on
    # the sides and the end faces alike: every edge is still held by exactly two faces
    assert set(_edge_uses(fine).values()) == {2}
