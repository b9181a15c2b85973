"""Meshes as the pipeline handles them: parts sharing one material, in scene units.

Frame: metres, right-handed, Z up (the scene script's frame); the GLB writer converts
to glTF's Y-up on output.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray
from PIL import Image


@dataclass(frozen=True)
class MaterialData:
    """A metallic-roughness material; ``texture`` is the base colour map, if any; ``name``
    is its preset (``water``, ``plaster``...), which the engine and viewer may treat
    specially (water moves)."""

    color: tuple[float, float, float, float] = (0.8, 0.8, 0.8, 1.0)
    roughness: float = 0.8
    metallic: float = 0.0
    texture: Image.Image | None = field(default=None, compare=False)
    texture_key: str = ""
    double_sided: bool = False
    name: str = ""
    # A preset's other maps (tools.materials): roughness in green, metal in blue; normals.
    roughness_map: Image.Image | None = field(default=None, compare=False)
    normal_map: Image.Image | None = field(default=None, compare=False)
    maps_key: str = ""

    def key(self) -> str:
        """Identity used to deduplicate materials."""
        raw = repr((tuple(round(c, 5) for c in self.color), round(self.roughness, 5),
                    round(self.metallic, 5), self.texture_key, self.double_sided, self.name,
                    self.maps_key))
        return hashlib.sha256(raw.encode()).hexdigest()


@dataclass
class Part:
    """One triangle mesh with one material.

    vertices: (n, 3) float32, faces: (m, 3) uint32, normals: (n, 3) float32,
    uv: (n, 2) float32 or None, colors: (n, 4) uint8 RGBA or None (baked occlusion).
    """

    vertices: NDArray[np.float32]
    faces: NDArray[np.uint32]
    normals: NDArray[np.float32]
    uv: NDArray[np.float32] | None
    material: MaterialData
    colors: NDArray[np.uint8] | None = None

    @property
    def triangles(self) -> int:
        return len(self.faces)

    def transformed(self, matrix: NDArray[np.float64]) -> Part:
        """A copy moved by a 4x4 matrix (normals by its inverse transpose)."""
        v = self.vertices.astype(np.float64) @ matrix[:3, :3].T + matrix[:3, 3]
        n = self.normals.astype(np.float64) @ np.linalg.inv(matrix[:3, :3]).T
        n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
        faces = self.faces
        if np.linalg.det(matrix[:3, :3]) < 0:
            faces = faces[:, ::-1].copy()
        return replace(self, vertices=v.astype(np.float32), normals=n.astype(np.float32),
                       faces=faces)


def merge_by_material(parts: list[Part]) -> list[Part]:
    """Concatenate parts that share a material: fewer draw calls, same look."""
    groups: dict[str, list[Part]] = {}
    for part in parts:
        groups.setdefault(part.material.key(), []).append(part)
    merged: list[Part] = []
    for group in groups.values():
        if len(group) == 1:
            merged.append(group[0])
            continue
        offsets = np.cumsum([0] + [len(p.vertices) for p in group[:-1]])
        has_uv = all(p.uv is not None for p in group)
        has_colors = any(p.colors is not None for p in group)
        merged.append(Part(
            vertices=np.concatenate([p.vertices for p in group]).astype(np.float32),
            faces=np.concatenate([p.faces + o for p, o in zip(group, offsets)]).astype(np.uint32),
            normals=np.concatenate([p.normals for p in group]).astype(np.float32),
            uv=np.concatenate([p.uv for p in group]).astype(np.float32) if has_uv else None,
            material=group[0].material,
            colors=np.concatenate([_colors_of(p) for p in group]) if has_colors else None,
        ))
    return merged


def _colors_of(part: Part) -> NDArray[np.uint8]:
    """A part's vertex colours, white where it has none."""
    if part.colors is not None:
        return part.colors
    return np.full((len(part.vertices), 4), 255, dtype=np.uint8)


def bounds(parts: list[Part]) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """Axis-aligned min and max corner over all parts."""
    allv = np.concatenate([p.vertices for p in parts])
    lo, hi = allv.min(axis=0), allv.max(axis=0)
    return (float(lo[0]), float(lo[1]), float(lo[2])), (float(hi[0]), float(hi[1]), float(hi[2]))


def total_triangles(parts: list[Part]) -> int:
    return sum(p.triangles for p in parts)


def compact(part: Part) -> Part:
    """Drop vertices no face uses."""
    used = np.unique(part.faces)
    remap = np.full(len(part.vertices), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    return replace(part, vertices=part.vertices[used], normals=part.normals[used],
                   uv=None if part.uv is None else part.uv[used],
                   colors=None if part.colors is None else part.colors[used],
                   faces=remap[part.faces].astype(np.uint32))
