"""Levels of detail with meshoptimizer: edge collapses onto existing vertices, so UVs,
normals and materials of textured meshes are kept exactly."""

from __future__ import annotations

from dataclasses import replace

import meshoptimizer
import numpy as np

from tools.meshdata import Part, compact

_MIN_TRIANGLES = 16


def simplify(part: Part, ratio: float, max_error: float = 0.05) -> Part:
    """``part`` with about ``ratio`` of its triangles (never fewer than a few)."""
    if ratio >= 1.0 or part.triangles <= _MIN_TRIANGLES:
        return part
    indices = part.faces.reshape(-1).astype(np.uint32)
    target = max(int(part.triangles * ratio), _MIN_TRIANGLES) * 3
    out = np.zeros_like(indices)
    count = meshoptimizer.simplify(out, indices, np.ascontiguousarray(part.vertices),
                                   target_index_count=target, target_error=max_error)
    # Stopping short of the target (the error bound was reached) is still a valid level.
    if count == 0:
        return part
    return compact(replace(part, faces=out[:count].reshape(-1, 3).copy()))


def optimize_order(part: Part) -> Part:
    """Reorder triangles for the post-transform vertex cache (faster drawing)."""
    indices = part.faces.reshape(-1).astype(np.uint32)
    out = np.zeros_like(indices)
    meshoptimizer.optimize_vertex_cache(out, indices, len(indices), len(part.vertices))
    return replace(part, faces=out.reshape(-1, 3))


def level_chain(parts: list[Part], ratios: list[float]) -> list[list[Part]]:
    """One list of parts per ratio, the first being the full mesh."""
    return [[optimize_order(simplify(p, r)) for p in parts] for r in ratios]
