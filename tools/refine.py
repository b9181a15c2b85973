"""Finer triangles where a neighbour's occlusion falls, so vertex colours can hold it.

Occlusion is stored per vertex: a street of two triangles cannot show the dark strip
along a house standing on it, and a wall of two triangles turns the ground's contact
shadow at its foot into a gradient up its whole height. Triangles longer than
``max_edge`` that lie within reach of a neighbour are split into a lattice.

The number of cuts is chosen per EDGE, from the edge's length alone, and every triangle
sharing that edge (by position, so also across a hard edge's duplicated vertices) cuts
it the same way: neighbours meet vertex to vertex, with no T-junction to crack or to
step the baked occlusion, even where one of them was not itself near anything. A
triangle is cut by a regular lattice of its most-cut edge's count; the lattice points of
an edge cut fewer times are moved along it onto that edge's own cuts. Cuts are coarsened
until the part's gain fits a budget. Edges are matched within one part (one material).
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import numpy as np
from numpy.typing import NDArray

from tools.meshdata import Part, compact

BUDGET = 20_000   # triangles a part may gain
NOT_REFINED = ("water",)  # water reflects the sky; a lattice on a lake buys nothing


def _snapped(i: int, n: int, k: int) -> int:
    """Lattice step ``i`` of ``k`` along an edge, moved to the nearest of its ``n`` cuts
    (integer rounding, half up: the same on every machine)."""
    return (2 * i * n + k) // (2 * k)


@cache
def _lattice(cuts: tuple[int, int, int]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Barycentric points (p, 3) and triangles (m, 3) of a triangle whose edges v0-v1,
    v1-v2, v2-v0 are cut ``cuts`` times: a lattice of k = max(cuts) a side, each edge's
    points moved onto its own cuts, triangles collapsed by the move dropped."""
    n0, n1, n2 = cuts
    k = max(cuts)
    i, j = np.meshgrid(np.arange(k + 1), np.arange(k + 1), indexing="ij")
    keep = i + j <= k
    i, j = i[keep], j[keep]
    index = -np.ones((k + 1, k + 1), dtype=np.int64)
    index[i, j] = np.arange(len(i))
    weights = np.stack([k - i - j, i, j], axis=1) / k
    for at in range(len(i)):
        u, v = int(i[at]), int(j[at])
        if v == 0:                       # on v0-v1
            s = _snapped(u, n0, k)
            weights[at] = np.array([n0 - s, s, 0]) / n0
        elif u + v == k:                 # on v1-v2
            s = _snapped(v, n1, k)
            weights[at] = np.array([0, n1 - s, s]) / n1
        elif u == 0:                     # on v2-v0
            s = _snapped(k - v, n2, k)
            weights[at] = np.array([s, 0, n2 - s]) / n2
    tris = []
    for a in range(k):
        for b in range(k - a):
            tris.append((index[a, b], index[a + 1, b], index[a, b + 1]))
            if a + b + 1 < k:
                tris.append((index[a + 1, b], index[a + 1, b + 1], index[a, b + 1]))
    _, first, inverse = np.unique(np.round(weights, 12), axis=0, return_index=True,
                                  return_inverse=True)
    order = np.argsort(first)            # points in lattice order, moved ones merged
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    faces = rank[inverse.reshape(-1)][np.array(tris, dtype=np.int64)]
    whole = (faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) \
        & (faces[:, 2] != faces[:, 0])
    return weights[first[order]], faces[whole]


def _near(corners: NDArray[np.float64], occluders: NDArray[np.float64],
          reach: float) -> NDArray[np.bool_]:
    """Which triangles have occluding geometry within ``reach`` (a grid of reach/2 cells
    and its running sums answer each triangle in constant time)."""
    from tools.ao import Voxels

    lo = corners.reshape(-1, 3).min(axis=0) - reach
    hi = corners.reshape(-1, 3).max(axis=0) + reach
    cells = Voxels(occluders, lo, hi, size=reach / 2)
    sums = np.zeros(tuple(cells.shape + 1), dtype=np.int64)
    sums[1:, 1:, 1:] = cells.grid.astype(np.int64).cumsum(0).cumsum(1).cumsum(2)
    first = np.clip(np.floor((corners.min(axis=1) - reach - lo) / cells.size).astype(np.int64),
                    0, cells.shape)
    last = np.clip(np.floor((corners.max(axis=1) + reach - lo) / cells.size).astype(np.int64)
                   + 1, 0, cells.shape)
    (x0, y0, z0), (x1, y1, z1) = first.T, last.T
    total = (sums[x1, y1, z1] - sums[x0, y1, z1] - sums[x1, y0, z1] - sums[x1, y1, z0]
             + sums[x0, y0, z1] + sums[x0, y1, z0] + sums[x1, y0, z0] - sums[x0, y0, z0])
    near: NDArray[np.bool_] = total > 0
    return near


def _edges(part: Part) -> NDArray[np.int64]:
    """(m, 3) ids of each triangle's edges v0-v1, v1-v2, v2-v0, equal for edges whose
    ends are at the same places (to a micrometre) whichever triangle holds them."""
    _, place = np.unique(np.round(part.vertices.astype(np.float64), 6), axis=0,
                         return_inverse=True)
    corners = place.reshape(-1)[part.faces.astype(np.int64)]
    ends = np.sort(np.stack([corners, np.roll(corners, -1, axis=1)], axis=2), axis=2)
    _, ids = np.unique(ends.reshape(-1, 2), axis=0, return_inverse=True)
    edges: NDArray[np.int64] = ids.reshape(-1, 3).astype(np.int64)
    return edges


def refine(part: Part, occluders: NDArray[np.float64], reach: float, max_edge: float) -> Part:
    """``part`` with its long triangles near ``occluders`` ((m, 3, 3) in the part's frame)
    split, and their neighbours cut alike along the edges they share."""
    if len(occluders) == 0 or part.triangles == 0 or part.material.name in NOT_REFINED:
        return part
    corners = part.vertices.astype(np.float64)[part.faces]
    lengths = np.linalg.norm(np.roll(corners, -1, axis=1) - corners, axis=2)  # (m, 3)
    candidates = lengths.max(axis=1) > max_edge
    if not candidates.any():
        return part
    candidates[candidates] = _near(corners[candidates], occluders, reach)
    if not candidates.any():
        return part
    edges = _edges(part)
    touched = np.zeros(int(edges.max()) + 1, dtype=bool)
    touched[edges[candidates].reshape(-1)] = True
    length = np.zeros(len(touched))
    length[edges.reshape(-1)] = lengths.reshape(-1)  # one length per edge, for both sides
    edge = max_edge
    while True:
        per_edge = np.where(touched, np.maximum(np.ceil(length / edge), 1), 1).astype(np.int64)
        cuts = per_edge[edges]
        if int((cuts.max(axis=1) ** 2 - 1).sum()) <= BUDGET:
            break
        edge *= 2
    if not (cuts > 1).any():
        return part
    return _split(part, cuts)


def _mix(weights: NDArray[np.float64], values: NDArray[np.generic],
         ids: NDArray[np.int64]) -> NDArray[np.float64]:
    """Each lattice point of each triangle ``ids``, a weighted sum of its corners."""
    corners = values.astype(np.float64)[ids]                 # (t, 3, d)
    mixed: NDArray[np.float64] = np.einsum("pc,tcd->tpd", weights, corners)
    return mixed.reshape(-1, values.shape[1])


def _split(part: Part, cuts: NDArray[np.int64]) -> Part:
    """Replace each triangle t by its lattice for edge cuts ``cuts[t]``, then weld."""
    kept = np.nonzero(cuts.max(axis=1) == 1)[0]
    vertices = [part.vertices.astype(np.float64)]
    normals = [part.normals.astype(np.float64)]
    uvs = [part.uv.astype(np.float64)] if part.uv is not None else []
    colours = [part.colors.astype(np.float64)] if part.colors is not None else []
    faces = [part.faces[kept].astype(np.int64)]
    count = len(part.vertices)
    split = cuts.max(axis=1) > 1
    for kind in np.unique(cuts[split], axis=0):   # sorted: the same order every build
        chosen = np.nonzero(split & (cuts == kind).all(axis=1))[0]
        weights, tris = _lattice((int(kind[0]), int(kind[1]), int(kind[2])))
        ids = part.faces[chosen].astype(np.int64)          # (t, 3)
        vertices.append(_mix(weights, part.vertices, ids))
        normals.append(_mix(weights, part.normals, ids))
        if part.uv is not None:
            uvs.append(_mix(weights, part.uv, ids))
        if part.colors is not None:
            colours.append(_mix(weights, part.colors, ids))
        offsets = count + np.arange(len(chosen))[:, None, None] * len(weights)
        faces.append((tris[None] + offsets).reshape(-1, 3))
        count += len(chosen) * len(weights)
    v = np.concatenate(vertices)
    n = np.concatenate(normals)
    n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
    uv = np.concatenate(uvs) if uvs else None
    colour = np.concatenate(colours) if colours else None
    return _weld(part, v, n, uv, colour, np.concatenate(faces))


def _weld(part: Part, v: NDArray[np.float64], n: NDArray[np.float64],
          uv: NDArray[np.float64] | None, colour: NDArray[np.float64] | None,
          faces: NDArray[np.int64]) -> Part:
    """Merge vertices equal in every attribute (to a micrometre), so the lattices of two
    triangles sharing an edge are joined and simplification can collapse across it."""
    columns = [np.round(v, 6), np.round(n, 5)]
    if uv is not None:
        columns.append(np.round(uv, 6))
    if colour is not None:
        columns.append(np.round(colour))
    rows = np.ascontiguousarray(np.concatenate(columns, axis=1)) + 0.0
    _, first, inverse = np.unique(rows, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first)            # keep vertices in order of first appearance
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    pick = first[order]
    faces = rank[inverse.reshape(-1)][faces]
    return compact(replace(
        part, vertices=v[pick].astype(np.float32), normals=n[pick].astype(np.float32),
        uv=None if uv is None else uv[pick].astype(np.float32),
        colors=None if colour is None else np.round(colour[pick]).astype(np.uint8),
        faces=faces.astype(np.uint32)))
