"""Grey tile hip roofs whose slopes sag and whose eaves turn up at the corners (翼角起翘),
shared by 烟雨楼 at Nanhu and the bridge pavilions at Luding."""

from __future__ import annotations

import numpy as np
import trimesh

TILE = 2.0  # metres of roof one tile texture covers


def flying_roof(hx: float, hy: float, eave: float, rise: float, up: float,
                cells: tuple[int, int] = (28, 18)) -> tuple[trimesh.Trimesh, np.ndarray]:
    """A hipped roof (hx > hy) with concave slopes and eaves turning up at the corners, as a
    height field with an underside; UVs run down each slope."""
    xs = np.linspace(-hx, hx, cells[0] + 1)
    ys = np.linspace(-hy, hy, cells[1] + 1)
    gx, gy = np.meshgrid(xs, ys)
    edge = np.minimum(hx - np.abs(gx), hy - np.abs(gy))
    t = edge / hy
    lift = up * ((np.abs(gx) / hx) ** 6 + (np.abs(gy) / hy) ** 6) * (1 - t) ** 2
    top = eave + rise * t**1.6 + lift
    n = len(xs) * len(ys)
    upper = np.stack([gx.ravel(), gy.ravel(), top.ravel()], axis=1)
    lower = upper - [0, 0, 0.3]
    idx = np.arange(n).reshape(len(ys), len(xs))
    a, b = idx[:-1, :-1].ravel(), idx[:-1, 1:].ravel()
    c, d = idx[1:, 1:].ravel(), idx[1:, :-1].ravel()
    faces = np.concatenate([np.stack([a, b, c], 1), np.stack([a, c, d], 1)])
    mesh = trimesh.Trimesh(np.vstack([upper, lower]),
                           np.vstack([faces, faces[:, ::-1] + n]), process=False)
    along = np.where(hx - np.abs(gx) > hy - np.abs(gy), gx, gy).ravel()
    uv = np.stack([along / TILE, edge.ravel() / TILE], axis=1)
    return mesh, np.vstack([uv, uv])
