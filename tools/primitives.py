"""Procedural primitives from scene scripts, as pipeline parts (metres, Z up)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import trimesh
from PIL import Image
from shapely.geometry import Polygon

from protocol.geometry import (
    BoxSpec,
    ChainSpec,
    CylinderSpec,
    ExtrusionSpec,
    PlaneSpec,
    SphereSpec,
    TerrainSpec,
)
from protocol.scene import Material
from tools.errors import AssetError
from tools.meshdata import MaterialData, Part
from tools.textures import image_key, open_image

DEFAULT_COLOUR = "#cccccc"  # a scene material's colour when the script gives none


def hex_color(value: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    r, g, b = (int(value[i:i + 2], 16) / 255.0 for i in (1, 3, 5))
    return (r, g, b, alpha)


def material_data(material: Material | None, root: Path) -> tuple[MaterialData, tuple[float,
                                                                                       float]]:
    """The pipeline material for a scene-script material, with its texture loaded."""
    if material is None:
        return MaterialData(), (1.0, 1.0)
    preset = getattr(material, "preset", None)
    if preset and not material.texture:
        return preset_material(material, preset)
    image = open_image(root / material.texture) if material.texture else None
    return MaterialData(
        color=hex_color(material.color),
        roughness=material.roughness,
        metallic=material.metallic,
        texture=image,
        texture_key=image_key(image) if image is not None else "",
        name=getattr(material, "preset", None) or "",
    ), material.texture_repeat


def preset_material(material: Material, preset: str) -> tuple[MaterialData,
                                                              tuple[float, float]]:
    """A procedural material set (:mod:`tools.materials`), its base colour moved to the
    script's colour unless that is the default; one tile covers the preset's size."""
    from tools.materials import material_set, tinted

    maps = material_set(preset)
    base = maps.base
    if material.color.lower() != DEFAULT_COLOUR:
        base = tinted(base, hex_color(material.color)[:3])
    repeat = material.texture_repeat
    if repeat == (1.0, 1.0):
        repeat = (maps.tile_metres, maps.tile_metres)
    return MaterialData(
        color=(1.0, 1.0, 1.0, 1.0), roughness=1.0, metallic=1.0,  # the maps hold them
        texture=base, texture_key=image_key(base), name=preset,
        roughness_map=maps.roughness_metal, normal_map=maps.normal,
        maps_key=f"{preset}:{image_key(maps.roughness_metal)}:{image_key(maps.normal)}",
    ), repeat


def _box_uv(vertices: np.ndarray, normals: np.ndarray, repeat: tuple[float, float]) -> np.ndarray:
    """Planar projection along each vertex's dominant normal axis, one tile per metre."""
    axis = np.argmax(np.abs(normals), axis=1)
    u = np.where(axis == 0, vertices[:, 1], vertices[:, 0])
    v = np.where(axis == 2, vertices[:, 1], vertices[:, 2])
    return np.stack([u / repeat[0], v / repeat[1]], axis=1).astype(np.float32)


def to_part(mesh: trimesh.Trimesh, material: MaterialData, repeat: tuple[float, float],
            crease_degrees: float = 40.0) -> Part:
    """Shade with hard edges past ``crease_degrees``; add UVs when textured."""
    shaded = trimesh.graph.smooth_shade(mesh, angle=np.radians(crease_degrees),
                                        facet_minarea=None)
    vertices = np.asarray(shaded.vertices, dtype=np.float32)
    normals = np.asarray(shaded.vertex_normals, dtype=np.float32)
    uv = _box_uv(vertices, normals, repeat) if material.texture is not None else None
    return Part(vertices, np.asarray(shaded.faces, dtype=np.uint32), normals, uv, material)


def box(spec: BoxSpec) -> trimesh.Trimesh:
    mesh: trimesh.Trimesh = trimesh.creation.box(extents=spec.size)
    return mesh


def cylinder(spec: CylinderSpec) -> trimesh.Trimesh:
    mesh: trimesh.Trimesh = trimesh.creation.cylinder(radius=spec.radius, height=spec.height,
                                     sections=spec.sections)
    if spec.axis != "z":
        turn = [0, 1, 0] if spec.axis == "x" else [1, 0, 0]
        mesh.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, turn))
    return mesh


def plane(spec: PlaneSpec) -> trimesh.Trimesh:
    x, y = spec.size[0] / 2, spec.size[1] / 2
    return trimesh.Trimesh(vertices=[[-x, -y, 0], [x, -y, 0], [x, y, 0], [-x, y, 0]],
                           faces=[[0, 1, 2], [0, 2, 3]], process=False)


def sphere(spec: SphereSpec) -> trimesh.Trimesh:
    mesh: trimesh.Trimesh = trimesh.creation.icosphere(subdivisions=spec.subdivisions,
                                                        radius=spec.radius)
    return mesh


def extrusion(spec: ExtrusionSpec) -> trimesh.Trimesh:
    polygon = Polygon(spec.outline, holes=spec.holes or None)
    if not polygon.is_valid:
        raise ValueError("the extrusion outline crosses itself; list its corners in order")
    return trimesh.creation.extrude_polygon(polygon, spec.height)


def chain(spec: ChainSpec) -> trimesh.Trimesh:
    """Interlocking oval links along +y, drooping by ``sag`` at mid-span."""
    bar = spec.thickness / 2
    width = max(spec.link * 0.45, 3 * spec.thickness)
    ring = trimesh.creation.torus(major_radius=width / 2 - bar, minor_radius=bar,
                                  major_sections=10, minor_sections=4)
    ring.apply_scale([1.0, (spec.link - 2 * bar) / (width - 2 * bar), 1.0])
    pitch = spec.link - 2 * spec.thickness
    count = max(int(spec.length / pitch), 1)
    ys = (np.arange(count) + 0.5) * spec.length / count
    t = 2 * ys / spec.length - 1
    zs = -spec.sag * (1 - t**2)
    slope = np.arctan(4 * spec.sag * t / spec.length)  # dz/dy of the parabola
    vertices, faces = [], []
    base_v = np.asarray(ring.vertices)
    for index, (y, z, angle) in enumerate(zip(ys, zs, slope)):
        roll = trimesh.transformations.rotation_matrix(np.pi / 2 * (index % 2), [0, 1, 0])
        tilt = trimesh.transformations.rotation_matrix(angle, [1, 0, 0])
        move = trimesh.transformations.translation_matrix([0, y, z])
        matrix = move @ tilt @ roll
        vertices.append(base_v @ matrix[:3, :3].T + matrix[:3, 3])
        faces.append(np.asarray(ring.faces) + index * len(base_v))
    return trimesh.Trimesh(np.concatenate(vertices), np.concatenate(faces), process=False)


def terrain(spec: TerrainSpec, root: Path) -> trimesh.Trimesh:
    """A height field from a grey-scale PNG, centred on the origin."""
    path = root / spec.heightmap
    image = open_image(path)
    if image.mode not in ("L", "I;16", "I", "RGB", "RGBA", "LA", "P"):
        raise AssetError(str(path), f"heightmap mode {image.mode} is not grey-scale",
                         "save it as an 8- or 16-bit grey PNG")
    scale = 65535.0 if image.mode in ("I;16", "I") else 255.0
    grey = image if image.mode in ("I;16", "I") else image.convert("L")
    n = spec.resolution + 1
    heights = np.asarray(grey.resize((n, n), Image.Resampling.BILINEAR), dtype=np.float64)
    heights = heights[::-1] / scale * spec.height  # image rows run north to south
    xs = np.linspace(-spec.size[0] / 2, spec.size[0] / 2, n)
    ys = np.linspace(-spec.size[1] / 2, spec.size[1] / 2, n)
    gx, gy = np.meshgrid(xs, ys)
    vertices = np.stack([gx.ravel(), gy.ravel(), heights.ravel()], axis=1)
    idx = np.arange(n * n).reshape(n, n)
    a, b = idx[:-1, :-1].ravel(), idx[:-1, 1:].ravel()
    c, d = idx[1:, 1:].ravel(), idx[1:, :-1].ravel()
    faces = np.concatenate([np.stack([a, b, c], 1), np.stack([a, c, d], 1)])
    return trimesh.Trimesh(vertices, faces, process=False)


def build_primitive(primitive: Any, material: Material | None, root: Path) -> Part:
    """The part for one scene-script primitive (``{box: {...}}`` and so on)."""
    data, repeat = material_data(material, root)
    for kind, make in (("box", box), ("cylinder", cylinder), ("plane", plane),
                       ("sphere", sphere), ("extrusion", extrusion), ("chain", chain)):
        spec = getattr(primitive, kind, None)
        if spec is not None:
            mesh = make(spec)
            return to_part(mesh, data, repeat, 60.0 if kind in ("chain", "sphere") else 40.0)
    spec = primitive.terrain
    return to_part(terrain(spec, root), data, repeat, 180.0)
