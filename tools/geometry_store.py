"""Each prop's geometry before shading, loaded at most once a build.

Baking a prop needs its neighbours' geometry too, so one model may be wanted by many
props; and choosing the neighbours needs every prop's bounds, which the build cache keeps
so that a build with nothing changed never loads a model.
"""

from __future__ import annotations

from pathlib import Path

from protocol.scene import Prop
from tools.cache import BuildCache
from tools.meshdata import Part
from tools.placement import Box


class Geometry:
    """Props' merged, unshaded parts and model-frame bounds, keyed by geometry key."""

    def __init__(self, root: Path, max_triangles: int, cache: BuildCache) -> None:
        self.root = root
        self.max_triangles = max_triangles
        self.cache = cache
        self._parts: dict[str, tuple[list[Part], list[str]]] = {}
        self._bounds: dict[str, Box] = {}

    def parts(self, prop: Prop, key: str) -> tuple[list[Part], list[str]]:
        """The prop's parts merged by material, and the repairs their import needed."""
        if key not in self._parts:
            # Geometry libraries load in about a second; an up-to-date build never needs them.
            from tools.mesh_import import import_model
            from tools.meshdata import merge_by_material
            from tools.primitives import build_primitive

            repairs: list[str] = []
            if prop.model is not None:
                parts, report = import_model(self.root / prop.model, prop.units, prop.up,
                                             self.max_triangles)
                repairs = report.repairs
            else:
                parts = [build_primitive(prop.primitive, prop.material, self.root)]
            self._parts[key] = (merge_by_material(parts), repairs)
        return self._parts[key]

    def bounds(self, prop: Prop, key: str) -> Box:
        """The prop's bounds in its model frame (from the build cache when known)."""
        if key in self._bounds:
            return self._bounds[key]
        box = _stored(self.cache, key)
        if box is None:
            from tools.meshdata import bounds

            box = bounds(self.parts(prop, key)[0])
            self.cache.put("bounds", key, {"bounds": box}, {})
        self._bounds[key] = box
        return box


def _stored(cache: BuildCache, key: str) -> Box | None:
    """Bounds the cache holds for ``key``; None when absent or not a pair of points."""
    hit = cache.get("bounds", key)
    if hit is None:
        return None
    try:
        lo, hi = hit[0]["bounds"]
        return ((float(lo[0]), float(lo[1]), float(lo[2])),
                (float(hi[0]), float(hi[1]), float(hi[2])))
    except (KeyError, TypeError, ValueError, IndexError):
        return None
