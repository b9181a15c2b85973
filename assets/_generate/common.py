"""Shared helpers for the sample-asset generators: shapes, materials, textures, export.

Everything is seeded and ordered so a run reproduces the committed files byte for byte.
Frames: GLB/OBJ files are written Y up (their convention); shapes are made Z up and
turned on export.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh
from PIL import Image
from shapely.geometry import Polygon

Z_TO_Y_UP = np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, -1, 0, 0], [0, 0, 0, 1.0]])


def hex_rgba(value: str) -> list[int]:
    return [int(value[i:i + 2], 16) for i in (1, 3, 5)] + [255]


def material(color: str, roughness: float = 0.8, metallic: float = 0.0,
             texture: Image.Image | None = None, name: str = ""
             ) -> trimesh.visual.material.PBRMaterial:
    return trimesh.visual.material.PBRMaterial(
        name=name or color.lstrip("#"), baseColorFactor=hex_rgba(color),
        roughnessFactor=roughness, metallicFactor=metallic, baseColorTexture=texture)


def preset(name: str, colour: str, label: str, size: int = 256
           ) -> tuple[trimesh.visual.material.PBRMaterial, float]:
    """A procedural material set of the build's (``tools.materials``: base colour moved to
    ``colour``, roughness/metal and normal maps) as a glTF material, and the metres one tile
    covers (``paint``'s ``tile``)."""
    from tools.materials import material_set, tinted

    maps = material_set(name)
    base = tinted(maps.base, tuple(c / 255 for c in hex_rgba(colour)[:3]))  # type: ignore[arg-type]
    small = [m.resize((size, size), Image.Resampling.LANCZOS)
             for m in (base, maps.roughness_metal, maps.normal)]
    return trimesh.visual.material.PBRMaterial(
        name=label, baseColorFactor=[255, 255, 255, 255], roughnessFactor=1.0,
        metallicFactor=1.0, baseColorTexture=small[0], metallicRoughnessTexture=small[1],
        normalTexture=small[2]), maps.tile_metres


def planar_uv(mesh: trimesh.Trimesh, tile: float = 1.0) -> np.ndarray:
    """Per-vertex UVs projected along each vertex's dominant normal axis."""
    normals = mesh.vertex_normals
    axis = np.argmax(np.abs(normals), axis=1)
    v = mesh.vertices
    u = np.where(axis == 0, v[:, 1], v[:, 0])
    w = np.where(axis == 2, v[:, 1], v[:, 2])
    return np.stack([u / tile, w / tile], axis=1)


def paint(mesh: trimesh.Trimesh, mat: trimesh.visual.material.PBRMaterial,
          tile: float | None = None) -> trimesh.Trimesh:
    """Give ``mesh`` a material; textured ones get flat-shaded planar UVs."""
    if tile is not None:
        mesh = mesh.copy()
        mesh.unmerge_vertices()
        mesh.visual = trimesh.visual.TextureVisuals(uv=planar_uv(mesh, tile), material=mat)
    else:
        mesh.visual = trimesh.visual.TextureVisuals(material=mat)
    return mesh


def box(size: tuple[float, float, float], center: tuple[float, float, float]) -> trimesh.Trimesh:
    mesh: trimesh.Trimesh = trimesh.creation.box(extents=size)
    mesh.apply_translation(center)
    return mesh


def cylinder(radius: float, height: float, center: tuple[float, float, float],
             sections: int = 16) -> trimesh.Trimesh:
    mesh: trimesh.Trimesh = trimesh.creation.cylinder(radius=radius, height=height,
                                                      sections=sections)
    mesh.apply_translation(center)
    return mesh


def profile_along_y(profile_xz: list[tuple[float, float]], y0: float, length: float,
                    holes: list[list[tuple[float, float]]] | None = None) -> trimesh.Trimesh:
    """Extrude an outline drawn in the x-z plane along +y, starting at ``y0``."""
    def flip(pts: list[tuple[float, float]]) -> list[tuple[float, float]]:
        return [(x, -z) for x, z in pts]

    polygon = Polygon(flip(profile_xz), holes=[flip(h) for h in holes or []] or None)
    mesh = trimesh.creation.extrude_polygon(polygon, length)
    mesh.apply_transform(trimesh.transformations.rotation_matrix(-np.pi / 2, [1, 0, 0]))
    mesh.apply_translation([0, y0, 0])
    return mesh


def arch(width: float, rise: float, thickness: float, base: float, y0: float,
         length: float, sections: int = 12) -> trimesh.Trimesh:
    """An arched canopy shell: an elliptic arch of ``width`` and ``rise`` on height ``base``."""
    t = np.linspace(0, np.pi, sections + 1)
    outer = [(width / 2 * np.cos(a), base + rise * np.sin(a)) for a in t]
    inner = [((width / 2 - thickness) * np.cos(a), base + (rise - thickness) * np.sin(a))
             for a in t[::-1]]
    return profile_along_y(outer + inner, y0, length)


def gable_roof(width: float, rise: float, eave: float, y0: float, length: float) -> trimesh.Trimesh:
    """A pitched roof: triangle profile across x, ridge along y, eaves at height ``eave``."""
    return profile_along_y([(-width / 2, eave), (width / 2, eave), (0, eave + rise)], y0, length)


def hipped_roof(size_x: float, size_y: float, rise: float, eave: float,
                ridge_ratio: float = 0.4) -> trimesh.Trimesh:
    """A hipped roof over a rectangle centred on the origin."""
    hx, hy, ridge = size_x / 2, size_y / 2, size_y * ridge_ratio / 2
    points = [(-hx, -hy, eave), (hx, -hy, eave), (hx, hy, eave), (-hx, hy, eave),
              (0, -ridge, eave + rise), (0, ridge, eave + rise)]
    hull: trimesh.Trimesh = trimesh.convex.convex_hull(np.array(points))
    return hull


def combine(meshes: list[trimesh.Trimesh]) -> trimesh.Trimesh:
    joined = trimesh.util.concatenate(meshes)
    assert isinstance(joined, trimesh.Trimesh)  # meshes in, one mesh out
    return joined


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def export_glb(named: list[tuple[str, trimesh.Trimesh]], path: Path) -> None:
    """Write a Y-up GLB with one node per named mesh."""
    scene = trimesh.Scene()
    for name, mesh in named:
        mesh = mesh.copy()
        mesh.apply_transform(Z_TO_Y_UP)
        scene.add_geometry(mesh, geom_name=name, node_name=name)
    path.write_bytes(scene.export(file_type="glb"))


def export_obj(named: list[tuple[str, trimesh.Trimesh]], path: Path, y_up: bool = True) -> None:
    """Write OBJ + MTL (+ one PNG per textured material) beside each other."""
    scene = trimesh.Scene()
    for name, mesh in named:
        mesh = mesh.copy()
        if y_up:
            mesh.apply_transform(Z_TO_Y_UP)
        scene.add_geometry(mesh, geom_name=name, node_name=name)
    files = trimesh.exchange.obj.export_obj(scene, include_texture=True, return_texture=True,
                                            mtl_name=path.with_suffix(".mtl").name,
                                            header=None)
    text, extra = files
    path.write_text(text)
    for name, data in sorted(extra.items()):
        (path.parent / name).write_bytes(data)


def save_png(image: Image.Image, path: Path) -> None:
    image.save(path, format="PNG", optimize=True)
