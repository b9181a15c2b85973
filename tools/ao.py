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


class _Voxels:
    """An occupancy grid of triangle surfaces."""

    def __init__(self, triangles: NDArray[np.float64], margin: float) -> None:
        lo = triangles.reshape(-1, 3).min(axis=0) - margin
        hi = triangles.reshape(-1, 3).max(axis=0) + margin
        self.size = max(float((hi - lo).max()) / MAX_CELLS, MIN_VOXEL)
        self.origin = lo
        self.shape = np.maximum(np.ceil((hi - lo) / self.size).astype(int), 1)
        self.grid = np.zeros(tuple(self.shape), dtype=bool)
        self._fill(triangles)

    def _fill(self, triangles: NDArray[np.float64]) -> None:
        """Mark every voxel a triangle passes through, by sampling it at half-voxel steps."""
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
                cells = self.cell(points.reshape(-1, 3))
                self.grid[cells[:, 0], cells[:, 1], cells[:, 2]] = True

    def cell(self, points: NDArray[np.float64]) -> NDArray[np.int64]:
        index = np.floor((points - self.origin) / self.size).astype(np.int64)
        clipped: NDArray[np.int64] = np.clip(index, 0, self.shape - 1)
        return clipped

    def inside(self, points: NDArray[np.float64]) -> NDArray[np.bool_]:
        index = np.floor((points - self.origin) / self.size).astype(np.int64)
        within: NDArray[np.bool_] = np.all((index >= 0) & (index < self.shape), axis=-1)
        return within

    def occupied(self, points: NDArray[np.float64]) -> NDArray[np.bool_]:
        shape = points.shape[:-1]
        flat = points.reshape(-1, 3)
        inside = self.inside(flat)
        cells = self.cell(flat)
        hit = self.grid[cells[:, 0], cells[:, 1], cells[:, 2]] & inside
        return hit.reshape(shape)


def occlusion(vertices: NDArray[np.float32], normals: NDArray[np.float32],
              triangles: NDArray[np.float64], reach: float = DEFAULT_REACH,
              rays: int = RAYS) -> NDArray[np.float64]:
    """Share of each vertex's hemisphere blocked within ``reach``: (n,) in [0, 1].

    Args:
        vertices: (n, 3) points to shade.
        normals: (n, 3) their surface normals.
        triangles: (m, 3, 3) the geometry that blocks light (including the shaded parts).
    """
    if len(vertices) == 0 or len(triangles) == 0:
        return np.zeros(len(vertices))
    voxels = _Voxels(triangles, margin=reach)
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
        occluders: more geometry that blocks light without being shaded (neighbours).
    """
    blockers = [p for p in parts + (occluders or []) if p.triangles]
    if not blockers:
        return parts
    triangles = np.concatenate([p.vertices.astype(np.float64)[p.faces] for p in blockers])
    baked = []
    for part in parts:
        shares = occlusion(part.vertices, part.normals, triangles, reach)
        colours = shade(shares)
        if part.colors is not None:  # colours already there are kept, darkened
            colours[:, :3] = (part.colors[:, :3].astype(np.uint16) * colours[:, :3] // 255)
            colours[:, 3] = part.colors[:, 3]
        baked.append(replace(part, colors=colours.astype(np.uint8)))
    return baked
