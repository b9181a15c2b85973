"""Ambient occlusion baked per vertex at build time, stored as the vertex colour.

Headsets and software renderers cannot afford screen-space occlusion, so creases, corners
and the undersides of things are darkened once, in the build: the geometry is voxelized,
and from each vertex a fixed fan of rays over its hemisphere marches through the voxels;
the share of rays that meet something within ``reach`` is the occlusion. Everything is
deterministic (fixed directions, no random numbers), so identical inputs give identical
bytes.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from tools.meshdata import Part

RAYS = 32
MAX_CELLS = 128          # voxels along the longest side of the geometry
MIN_VOXEL = 0.02         # metres: finer than this adds cost, not look
DEFAULT_REACH = 1.2      # metres: how far a crease darkens its surroundings
FLOOR = 0.35             # the darkest a fully enclosed vertex becomes
_MAX_POINTS = 4_000_000  # surface samples per voxelization pass, to bound memory


def voxel_size(extent: float) -> float:
    """The voxel edge for a grid ``extent`` metres long (the shaded geometry plus reach)."""
    return max(extent / MAX_CELLS, MIN_VOXEL)


def resolves_neighbours(extent: float, reach: float = DEFAULT_REACH) -> bool:
    """Whether a prop ``extent`` metres long sees its neighbours in its bake.

    Rays start a voxel and a half off the surface; when the voxel is coarser than half
    the reach, little of the reach is left and a neighbour would darken it at random (a
    106 m bridge chain, a terrain): such a prop keeps the bake of its own geometry, which
    every placement of it shares.
    """
    return voxel_size(extent + 2 * reach) <= reach / 2


def hemisphere_directions(count: int = RAYS) -> NDArray[np.float64]:
    """Cosine-weighted directions around +Z on a Fibonacci spiral: (count, 3)."""
    index = np.arange(count) + 0.5
    radius = np.sqrt(index / count)           # cosine weighting: uniform on the disc
    angle = index * np.pi * (3.0 - np.sqrt(5.0))
    x, y = radius * np.cos(angle), radius * np.sin(angle)
    z = np.sqrt(np.maximum(1.0 - radius**2, 0.0))
    return np.stack([x, y, z], axis=1)


def _frames(normals: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Two unit tangents per normal, continuous except where the normal is near ±X."""
    helper = np.where(np.abs(normals[:, :1]) < 0.9, [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])
    tangent = np.cross(normals, helper)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    return tangent, np.cross(normals, tangent)


def _clip_polygon(polygon: NDArray[np.float64], lo: NDArray[np.float64],
                  hi: NDArray[np.float64]) -> NDArray[np.float64]:
    """Sutherland-Hodgman: the part of a convex polygon (k, 3) inside the box."""
    for axis in range(3):
        for bound, sign in ((lo[axis], 1.0), (hi[axis], -1.0)):
            if len(polygon) == 0:
                return polygon
            side = sign * (polygon[:, axis] - bound)        # >= 0: inside
            out = []
            for i in range(len(polygon)):
                p, q = polygon[i], polygon[(i + 1) % len(polygon)]
                sp, sq = side[i], side[(i + 1) % len(polygon)]
                if sp >= 0:
                    out.append(p)
                if (sp >= 0) != (sq >= 0):
                    out.append(p + (q - p) * (sp / (sp - sq)))
            polygon = np.array(out).reshape(-1, 3)
    return polygon


def _clipped(triangles: NDArray[np.float64], lo: NDArray[np.float64], hi: NDArray[np.float64],
             long_edge: float) -> NDArray[np.float64]:
    """The triangles that reach into the box; long ones crossing its sides cut to it.

    A street or a terrain seen from a chair is mostly outside the chair's grid; sampling
    all of it to find the metre that matters would cost more than the rest of the bake.
    """
    t_lo, t_hi = triangles.min(axis=1), triangles.max(axis=1)
    triangles = triangles[np.all((t_lo <= hi) & (t_hi >= lo), axis=1)]
    t_lo, t_hi = triangles.min(axis=1), triangles.max(axis=1)
    longest = np.max(np.linalg.norm(triangles - np.roll(triangles, 1, axis=1), axis=2), axis=1)
    crossing = ~np.all((t_lo >= lo) & (t_hi <= hi), axis=1) & (longest > long_edge)
    pieces = [triangles[~crossing]]
    for triangle in triangles[crossing]:
        polygon = _clip_polygon(triangle, lo, hi)
        if len(polygon) >= 3:  # a fan over the clipped (convex) polygon
            fan = np.stack([np.repeat(polygon[:1], len(polygon) - 2, axis=0),
                            polygon[1:-1], polygon[2:]], axis=1)
            pieces.append(fan)
    return np.concatenate(pieces).reshape(-1, 3, 3)


class Voxels:
    """An occupancy grid of triangle surfaces."""

    def __init__(self, triangles: NDArray[np.float64], lo: NDArray[np.float64],
                 hi: NDArray[np.float64], size: float | None = None) -> None:
        """A grid over the box ``lo``..``hi``; triangles outside it are left out."""
        self.size = size or voxel_size(float((hi - lo).max()))
        self.origin = lo
        self.shape = np.maximum(np.ceil((hi - lo) / self.size).astype(int), 1)
        # One empty cell of padding all round: a lookup clipped into it finds nothing.
        self._padded = np.zeros(tuple(self.shape + 2), dtype=bool)
        self._strides = ((self.shape[1] + 2) * (self.shape[2] + 2), self.shape[2] + 2)
        self._fill(_clipped(triangles, lo, hi, 16 * self.size))
        for axis in range(3):  # samples outside the box were clipped onto the padding
            self._padded[(slice(None),) * axis + (0,)] = False
            self._padded[(slice(None),) * axis + (-1,)] = False
        self.grid = self._padded[1:-1, 1:-1, 1:-1]

    def _fill(self, triangles: NDArray[np.float64]) -> None:
        """Mark every voxel a triangle passes through, by sampling it at half-voxel steps."""
        if len(triangles) == 0:
            return
        a, b, c = triangles[:, 0], triangles[:, 1], triangles[:, 2]
        longest = np.maximum(np.linalg.norm(b - a, axis=1),
                             np.maximum(np.linalg.norm(c - b, axis=1),
                                        np.linalg.norm(a - c, axis=1)))
        steps = np.ceil(longest / (0.5 * self.size)).astype(int) + 1
        for n in np.unique(steps):
            chosen = np.nonzero(steps == n)[0]
            i, j = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
            keep = i + j <= n
            u, v = i[keep] / n, j[keep] / n                      # barycentric grid
            per_chunk = max(1, _MAX_POINTS // len(u))
            for start in range(0, len(chosen), per_chunk):
                tri = chosen[start:start + per_chunk]
                points = (a[tri, None] + (b[tri, None] - a[tri, None]) * u[None, :, None]
                          + (c[tri, None] - a[tri, None]) * v[None, :, None])
                self._padded.reshape(-1)[self._flat(points.reshape(-1, 3))] = True

    def _flat(self, points: NDArray[np.float64]) -> NDArray[np.int64]:
        """Index of each point's cell in the padded grid; points outside the box land in
        the padding, which stays empty."""
        index = np.floor((points - self.origin) / self.size).astype(np.int64) + 1
        np.clip(index, 0, self.shape + 1, out=index)
        flat: NDArray[np.int64] = (index[:, 0] * self._strides[0] + index[:, 1] * self._strides[1]
                                   + index[:, 2])
        return flat

    def occupied(self, points: NDArray[np.float64]) -> NDArray[np.bool_]:
        hit: NDArray[np.bool_] = self._padded.reshape(-1)[self._flat(points.reshape(-1, 3))]
        return hit.reshape(points.shape[:-1])


def occlusion(vertices: NDArray[np.float32], normals: NDArray[np.float32],
              triangles: NDArray[np.float64], reach: float = DEFAULT_REACH,
              rays: int = RAYS,
              region: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None
              ) -> NDArray[np.float64]:
    """Share of each vertex's hemisphere blocked within ``reach``: (n,) in [0, 1].

    Args:
        vertices: (n, 3) points to shade.
        normals: (n, 3) their surface normals.
        triangles: (m, 3, 3) the geometry that blocks light (including the shaded parts).
        region: the box that holds the shaded geometry (default: around all triangles);
            the voxels cover it grown by ``reach``, and nothing beyond can block.
    """
    if len(vertices) == 0 or len(triangles) == 0:
        return np.zeros(len(vertices))
    if region is None:
        region = (triangles.reshape(-1, 3).min(axis=0), triangles.reshape(-1, 3).max(axis=0))
    voxels = Voxels(triangles, np.asarray(region[0]) - reach, np.asarray(region[1]) + reach)
    return _occlusion(vertices, normals, voxels, reach, rays)


def _occlusion(vertices: NDArray[np.float32], normals: NDArray[np.float32], voxels: Voxels,
               reach: float, rays: int) -> NDArray[np.float64]:
    if len(vertices) == 0:
        return np.zeros(0)
    n = normals.astype(np.float64)
    length = np.linalg.norm(n, axis=1, keepdims=True)
    # A degenerate normal (a collapsed triangle) gets up, rather than no hemisphere.
    n = np.where(length > 1e-8, n / np.maximum(length, 1e-12), [[0.0, 0.0, 1.0]])
    tangent, bitangent = _frames(n)
    local = hemisphere_directions(rays)
    # (v, r, 3): each ray in world space
    directions = (local[None, :, 0:1] * tangent[:, None] + local[None, :, 1:2] * bitangent[:, None]
                  + local[None, :, 2:3] * n[:, None])
    step = 0.7 * voxels.size
    # Leave the vertex's own voxel first, so a surface does not hide itself.
    start = vertices.astype(np.float64) + n * (1.5 * voxels.size)
    distances = np.arange(step, max(reach, 2 * step), step)
    blocked = np.zeros((len(vertices), rays), dtype=bool)
    chunk = max(1, 2_000_000 // (rays * len(distances)))
    for first in range(0, len(vertices), chunk):
        part = slice(first, first + chunk)
        points = (start[part, None, None] + directions[part, :, None]
                  * distances[None, None, :, None])
        blocked[part] = voxels.occupied(points).any(axis=2)
    result: NDArray[np.float64] = blocked.mean(axis=1)
    return result


def shade(occluded: NDArray[np.float64]) -> NDArray[np.uint8]:
    """Vertex colours for an occlusion share: (n, 4) RGBA, grey from white down to FLOOR."""
    light = 1.0 - (1.0 - FLOOR) * np.clip(occluded, 0.0, 1.0)
    grey = np.round(light * 255).astype(np.uint8)
    return np.stack([grey, grey, grey, np.full_like(grey, 255)], axis=1)


def bake(parts: list[Part], occluders: list[Part] | None = None,
         reach: float = DEFAULT_REACH) -> list[Part]:
    """``parts`` with their occlusion as vertex colours.

    Args:
        parts: the geometry to shade, which also blocks light.
        occluders: more geometry that blocks light without being shaded (neighbours, in
            the parts' frame); only what comes within ``reach`` of the parts counts.
    """
    blockers = [p for p in parts + (occluders or []) if p.triangles]
    shaded = [p for p in parts if len(p.vertices)]
    if not blockers or not shaded:
        return parts
    triangles = np.concatenate([p.vertices.astype(np.float64)[p.faces] for p in blockers])
    # The grid follows the shaded geometry, not the occluders: neighbours change what is
    # blocked, never the resolution, and a street or a lake counts only within reach.
    every = np.concatenate([p.vertices for p in shaded]).astype(np.float64)
    voxels = Voxels(triangles, every.min(axis=0) - reach, every.max(axis=0) + reach)
    baked = []
    for part in parts:
        shares = _occlusion(part.vertices, part.normals, voxels, reach, RAYS)
        colours = shade(shares)
        if part.colors is not None:  # colours already there are kept, darkened
            colours[:, :3] = (part.colors[:, :3].astype(np.uint16) * colours[:, :3] // 255)
            colours[:, 3] = part.colors[:, 3]
        baked.append(replace(part, colors=colours.astype(np.uint8)))
    return baked
