"""Import models editors bring, through trimesh: normalize units and up axis, repair.

Each loader in ``LOADERS`` turns a file into a ``trimesh.Scene``; ``import_model`` then
flattens it into parts in the scene frame (metres, Z up) and says what it repaired.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import numpy as np
import trimesh

from tools.errors import AssetError
from tools.meshdata import MaterialData, Part, merge_by_material
from tools.model_checks import CHECKS, REEXPORT, read_3mf, read_model_bytes
from tools.textures import image_key


def _load_scene(path: Path) -> trimesh.Scene:
    """The file read through trimesh after the checks for its format have passed."""
    data = read_model_bytes(path)
    suffix = path.suffix.lower()
    if suffix == ".3mf":  # expanded here within bounds; trimesh reads the bounded copy
        source: str | io.BytesIO = io.BytesIO(read_3mf(path, data))
    else:
        CHECKS[suffix](path, data)
        source = str(path)
    scene = trimesh.load(source, file_type=suffix[1:], force="scene", process=False)
    return cast(trimesh.Scene, scene)


LOADERS: dict[str, Callable[[Path], trimesh.Scene]] = {
    suffix: _load_scene for suffix in (".glb", ".gltf", ".obj", ".ply", ".stl", ".off", ".3mf",
                                       ".dae")
}
# Conventions when a file does not say: glTF is Y up by specification; OBJ exports
# from common modellers are Y up; STL, PLY, OFF and 3MF are Z up.
DEFAULT_UP = {".glb": "y", ".gltf": "y", ".obj": "y", ".dae": "y", ".ply": "z", ".stl": "z",
              ".off": "z", ".3mf": "z"}


@dataclass
class ImportReport:
    """What importing one model found and changed."""

    units: str = "m"
    up: str = "z"
    repairs: list[str] = field(default_factory=list)


def _dae_up(path: Path) -> str | None:
    match = re.search(rb"<up_axis>\s*([XYZ])_UP\s*</up_axis>", path.read_bytes()[:65536])
    return match.group(1).decode().lower() if match else None


def _material(visual: object) -> MaterialData:
    if isinstance(visual, trimesh.visual.TextureVisuals) and visual.material is not None:
        material = visual.material
        if isinstance(material, trimesh.visual.material.SimpleMaterial):
            material = material.to_pbr()
        factor = material.baseColorFactor
        color = (1.0, 1.0, 1.0, 1.0) if factor is None else tuple(
            float(c) / (255.0 if np.asarray(factor).dtype == np.uint8 else 1.0) for c in factor)
        image = material.baseColorTexture
        # The model's roughness/metal and normal maps are kept with its colour map
        maps = getattr(material, "metallicRoughnessTexture", None)
        normals = getattr(material, "normalTexture", None)
        return MaterialData(
            color=color,  # type: ignore[arg-type]
            roughness=float(material.roughnessFactor if material.roughnessFactor is not None
                            else 0.8),
            metallic=float(material.metallicFactor if material.metallicFactor is not None
                           else 0.0),
            texture=image,
            texture_key=image_key(image) if image is not None else "",
            double_sided=bool(getattr(material, "doubleSided", False)),
            roughness_map=maps, normal_map=normals,
            maps_key=":".join(image_key(m) if m is not None else "" for m in (maps, normals))
            if maps is not None or normals is not None else "",
        )
    if isinstance(visual, trimesh.visual.ColorVisuals) and visual.defined:
        rgba = np.asarray(visual.main_color, dtype=np.float64) / 255.0
        return MaterialData(color=tuple(float(c) for c in rgba))  # type: ignore[arg-type]
    return MaterialData()


def _sane(path: Path, mesh: trimesh.Trimesh, name: str, report: ImportReport
          ) -> trimesh.Trimesh:
    """Refuse faces that name vertices the mesh lacks; drop those on non-finite points."""
    faces = np.asarray(mesh.faces)
    vertices = np.asarray(mesh.vertices)
    if faces.size and (faces.min() < 0 or faces.max() >= len(vertices)):
        bad = int(faces.max() if faces.max() >= len(vertices) else faces.min())
        raise AssetError(str(path), f"{name}: a triangle uses vertex {bad}, but the mesh has "
                         f"only {len(vertices):,} vertices (numbered from 0): the file is "
                         "damaged", REEXPORT)
    finite = np.isfinite(vertices).all(axis=1)
    if not finite.all():
        keep = finite[faces].all(axis=1) if faces.size else np.zeros(0, dtype=bool)
        report.repairs.append(f"{name}: dropped {int((~keep).sum())} faces on "
                              f"{int((~finite).sum())} vertices with non-finite coordinates")
        mesh.update_faces(keep)
        mesh.remove_unreferenced_vertices()
    return mesh


def _repair(mesh: trimesh.Trimesh, name: str, report: ImportReport) -> trimesh.Trimesh:
    before = len(mesh.vertices)
    mesh.merge_vertices(merge_tex=False, merge_norm=True)
    if before - len(mesh.vertices):
        report.repairs.append(f"{name}: merged {before - len(mesh.vertices)} duplicate vertices")
    keep = mesh.nondegenerate_faces()
    if (~keep).sum():
        report.repairs.append(f"{name}: dropped {int((~keep).sum())} degenerate faces")
        mesh.update_faces(keep)
    unique = mesh.unique_faces()
    if len(mesh.faces) - unique.sum():
        report.repairs.append(f"{name}: dropped {int(len(mesh.faces) - unique.sum())} "
                              "duplicate faces")
        mesh.update_faces(unique)
    mesh.remove_unreferenced_vertices()
    faces_before = mesh.faces.copy()
    trimesh.repair.fix_winding(mesh)
    flipped = int((mesh.faces != faces_before).any(axis=1).sum())
    if flipped:
        report.repairs.append(f"{name}: fixed the winding of {flipped} faces")
    if mesh.is_watertight and mesh.volume < 0:
        mesh.invert()
        report.repairs.append(f"{name}: normals pointed inward; turned them out")
    return mesh


def import_model(path: Path, units: str | None = None, up: str | None = None,
                 max_triangles: int = 500_000) -> tuple[list[Part], ImportReport]:
    """Load ``path`` into parts in metres, Z up; repairs are listed in the report."""
    suffix = path.suffix.lower()
    loader = LOADERS.get(suffix)
    if loader is None:
        raise AssetError(str(path), f"unsupported model format `{suffix}`",
                         "use " + ", ".join(sorted(LOADERS)))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # numpy on odd values
            scene = loader(path)
    except AssetError:
        raise
    except MemoryError as exc:
        raise AssetError(str(path), "the model needs more memory than this machine has",
                         "decimate it in the modelling tool or split it into props") from exc
    except Exception as exc:  # trimesh raises many types for broken files; name the file
        raise AssetError(str(path), f"cannot read the model: {exc}", REEXPORT) from exc
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return _flatten(path, scene, suffix, units, up, max_triangles)
    except AssetError:
        raise
    except Exception as exc:  # a shape the checks above did not foresee: still name the file
        raise AssetError(str(path), f"cannot use the model: {exc}", REEXPORT) from exc


def _flatten(path: Path, scene: trimesh.Scene, suffix: str, units: str | None, up: str | None,
             max_triangles: int) -> tuple[list[Part], ImportReport]:
    meshes = [g for g in scene.dump(concatenate=False) if isinstance(g, trimesh.Trimesh)]
    if not meshes or sum(len(m.faces) for m in meshes) == 0:
        raise AssetError(str(path), "the model has no triangles", "check the export settings")
    triangles = sum(len(m.faces) for m in meshes)
    if triangles > max_triangles:
        raise AssetError(str(path), f"{triangles:,} triangles, over the limit of "
                         f"{max_triangles:,}", "decimate it in the modelling tool or raise "
                         "`--max-triangles`")
    report = ImportReport()
    report.units = units or (scene.units if scene.units else "m")
    report.up = up or (_dae_up(path) if suffix == ".dae" else None) or DEFAULT_UP[suffix]
    try:
        scale = trimesh.units.unit_conversion(report.units, "m")
    except Exception as exc:
        raise AssetError(str(path), f"unknown units `{report.units}`",
                         "set `units:` on the prop to m, cm, mm, in or ft") from exc
    frame = np.eye(4) * scale
    frame[3, 3] = 1.0
    if report.up == "y":  # (x, y, z) Y up -> (x, -z, y) Z up
        frame = frame @ np.array([[1, 0, 0, 0], [0, 0, -1, 0], [0, 1, 0, 0], [0, 0, 0, 1.0]])
    parts: list[Part] = []
    for index, mesh in enumerate(meshes):
        name = mesh.metadata.get("name") or f"mesh {index}"
        mesh = _sane(path, mesh, str(name), report)
        mesh = _repair(mesh, str(name), report)
        if len(mesh.faces) == 0:
            continue
        visual = mesh.visual
        uv = None
        if isinstance(visual, trimesh.visual.TextureVisuals) and visual.uv is not None:
            uv = np.asarray(visual.uv, dtype=np.float32)
        part = Part(np.asarray(mesh.vertices, dtype=np.float32),
                    np.asarray(mesh.faces, dtype=np.uint32),
                    np.asarray(mesh.vertex_normals, dtype=np.float32), uv, _material(visual))
        parts.append(part.transformed(frame))
    if not parts:
        raise AssetError(str(path), "no usable triangles: all "
                         f"{triangles:,} are degenerate (no area) or have non-finite "
                         "coordinates",
                         "check the export settings (scale, units) and export it again")
    return merge_by_material(parts), report
