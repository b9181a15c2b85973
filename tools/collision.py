"""Collision proxies: a cheap shape per prop for walking, teleport and selection rays."""

from __future__ import annotations

import numpy as np
import trimesh
from scipy.spatial import QhullError

from tools.lod import simplify
from tools.meshdata import MaterialData, Part

_MAX_HULL_FACES = 256


def _part(mesh: trimesh.Trimesh) -> Part:
    return Part(np.asarray(mesh.vertices, dtype=np.float32),
                np.asarray(mesh.faces, dtype=np.uint32),
                np.asarray(mesh.vertex_normals, dtype=np.float32), None,
                MaterialData(color=(1.0, 0.0, 1.0, 1.0)))


def proxy(kind: str, parts: list[Part], lowest: list[Part]) -> Part | None:
    """The proxy of ``kind`` (hull, box, mesh, none) for a prop.

    Args:
        parts: the full-detail parts.
        lowest: the lowest level of detail, used for ``mesh``.
    """
    if kind == "none":
        return None
    points = np.concatenate([p.vertices for p in parts]).astype(np.float64)
    if kind == "mesh":
        offsets = np.cumsum([0] + [len(p.vertices) for p in lowest[:-1]])
        mesh = trimesh.Trimesh(np.concatenate([p.vertices for p in lowest]),
                               np.concatenate([p.faces + o for p, o in zip(lowest, offsets)]),
                               process=True)
        return _part(mesh)
    lo, hi = points.min(axis=0), points.max(axis=0)
    flat = bool((hi - lo).min() < 1e-3)
    if kind == "hull" and not flat:
        try:
            hull = trimesh.convex.convex_hull(points)
        except QhullError:
            hull = None  # flat input has no hull volume: the box below is the proxy then
        if hull is not None and len(hull.faces) >= 4:
            if len(hull.faces) > _MAX_HULL_FACES:
                coarse = simplify(_part(hull), _MAX_HULL_FACES / len(hull.faces), 0.2)
                hull = trimesh.convex.convex_hull(coarse.vertices.astype(np.float64))
            return _part(hull)
    extents = np.maximum(hi - lo, 1e-3)
    box = trimesh.creation.box(extents=extents)
    box.apply_translation((lo + hi) / 2)
    return _part(box)
