"""Weeping willows (垂柳) for South Lake: a short leaning trunk, branches that arch out and
down, and a curtain of thin strands hanging from them almost to the ground.

Strands are slim three-sided spindles rather than flat cards, so they read from any side
without two-sided materials; a flattened crown over the branch arches closes the top.
"""

from __future__ import annotations

import numpy as np
import trimesh

from common import combine

BRANCHES = 7
STRANDS = 13  # per branch


def _tube(points: np.ndarray, r0: float, r1: float, sections: int = 5) -> trimesh.Trimesh:
    """A tapering tube through ``points`` (n, 3), open at both ends."""
    n = len(points)
    verts, faces = [], []
    for i, p in enumerate(points):
        d = points[min(i + 1, n - 1)] - points[max(i - 1, 0)]
        d = d / np.linalg.norm(d)
        a = np.cross(d, [0.0, 0.0, 1.0]) if abs(d[2]) < 0.95 else np.cross(d, [1.0, 0.0, 0.0])
        a /= np.linalg.norm(a)
        b = np.cross(d, a)
        rad = r0 + (r1 - r0) * i / (n - 1)
        for k in range(sections):
            t = 2 * np.pi * k / sections
            verts.append(p + rad * (np.cos(t) * a + np.sin(t) * b))
    for i in range(n - 1):
        for k in range(sections):
            a0, a1 = i * sections + k, i * sections + (k + 1) % sections
            b0, b1 = a0 + sections, a1 + sections
            faces += [(a0, a1, b1), (a0, b1, b0)]
    return trimesh.Trimesh(np.array(verts), np.array(faces), process=False)


def _strand(top: np.ndarray, length: float, width: float, drift: np.ndarray,
            turn: float) -> trimesh.Trimesh:
    """A hanging spindle: a triangle at the top, a narrower one part way down, a tip."""
    ring = np.array([[np.cos(turn + k * 2.094), np.sin(turn + k * 2.094), 0.0]
                     for k in range(3)])
    mid = top + np.array([0, 0, -0.6 * length]) + 0.6 * drift
    tip = top + np.array([0, 0, -length]) + drift
    verts = np.vstack([top + ring * width / 2, mid + ring * width * 0.4, tip])
    faces = []
    for k in range(3):
        j = (k + 1) % 3
        faces += [(3 + j, j, k), (3 + k, 3 + j, k), (6, 3 + j, 3 + k)]  # outward
    return trimesh.Trimesh(verts, np.array(faces), process=False)


def willow(x: float, y: float, ground: float, size: float, lean: float,
           r: np.random.Generator) -> tuple[trimesh.Trimesh, trimesh.Trimesh]:
    """One willow at (x, y) on ``ground``: (trunk and branches, strands and crown)."""
    height = 3.4 * size
    heading = float(r.uniform(0, 2 * np.pi))
    top = np.array([np.cos(heading) * lean * height, np.sin(heading) * lean * height, height])
    wood = [_tube(np.array([[0, 0, 0], top * 0.5 + [0.1 * size, 0, 0], top]), 0.32 * size,
                  0.2 * size, 7)]
    leaves = []
    for i in range(BRANCHES):
        phi = 2 * np.pi * (i + r.uniform(-0.3, 0.3)) / BRANCHES
        out = np.array([np.cos(phi), np.sin(phi), 0.0])
        reach = size * r.uniform(2.4, 3.4)
        rise = size * r.uniform(1.0, 1.8)
        s = np.linspace(0, 1, 6)[:, None]
        arc = top + out * reach * s + np.array([0, 0, 1.0]) * rise * 4 * s * (1 - s * 0.85)
        wood.append(_tube(arc, 0.1 * size, 0.03 * size, 4))
        for t in np.sort(r.uniform(0.2, 1.0, STRANDS)):
            u = t * 5
            k = min(int(u), 4)
            at = arc[k] + (arc[k + 1] - arc[k]) * (u - k)
            at = at + np.cross(out, [0, 0, 1]) * r.uniform(-0.5, 0.5) * size
            length = (at[2] - 0.5 * size) * r.uniform(0.55, 0.95)
            drift = out * r.uniform(0.0, 0.5) + np.array([*r.uniform(-0.25, 0.25, 2), 0.0])
            leaves.append(_strand(at, length, 0.34 * size, drift, float(r.uniform(0, 2))))
    crown = trimesh.creation.icosphere(subdivisions=1, radius=2.9 * size)
    crown.apply_scale((1.0, 1.0, 0.42))
    crown.apply_translation(top + np.array([0, 0, 1.0 * size]))
    leaves.append(crown)
    wood_mesh, leaf_mesh = combine(wood), combine(leaves)
    for part in (wood_mesh, leaf_mesh):
        part.apply_translation((x, y, ground))
    return wood_mesh, leaf_mesh
