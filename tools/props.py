"""One prop, from its script entry to GLB levels and a collision proxy (cached)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from protocol.manifest import ModelLevel, PackagedProp
from protocol.scene import Prop
from tools.cache import BuildCache, digest_of, file_digest
from tools.geometry_store import Geometry
from tools.meshdata import Part
from tools.placement import Neighbour, scale_of

# Bump when what a prop's files hold changes: 2 baked ambient occlusion; 3 the material
# presets' maps (tools/materials.py: bump for any change to a generator there); 4 occlusion
# by neighbouring props, on finer triangles near them, at the prop's scale; 5 imported
# models keep their roughness/metal and normal maps.
PIPELINE_VERSION = "5"
REFINE_EDGE = 1.0  # metres: the longest triangle edge kept within reach of a neighbour


@dataclass(frozen=True)
class BuildOptions:
    max_texture: int = 2048
    max_triangles: int = 500_000
    speech: bool = True
    thumbnails: bool = True


@dataclass
class PropOutput:
    """Files a prop adds to the package and the record the engine reads."""

    prop: PackagedProp
    files: dict[str, bytes]
    repairs: list[str] = field(default_factory=list)
    cached: bool = False


def prop_inputs(prop: Prop, root: Path) -> list[Path]:
    paths: list[Path] = []
    if prop.model is not None:
        model = root / prop.model
        # OBJ and glTF pull in sibling files (MTL, textures, .bin): hash the folder.
        paths.extend(sorted(p for p in model.parent.iterdir() if p.is_file()))
    if prop.material is not None and prop.material.texture:
        paths.append(root / prop.material.texture)
    terrain = getattr(prop.primitive, "terrain", None)
    if terrain is not None:
        paths.append(root / terrain.heightmap)
    return paths


def prop_key(prop: Prop, root: Path, options: BuildOptions) -> str:
    """Identity of everything that shapes a prop's files (not where it is placed)."""
    shape = prop.model_dump_json(include={"model", "primitive", "material", "units", "up",
                                          "lod", "collision"})
    return digest_of(PIPELINE_VERSION, repr(options.max_texture), repr(options.max_triangles),
                     shape, *(f"{p.name}:{file_digest(p)}" for p in prop_inputs(prop, root)))


def _shaded(parts: list[Part], prop: Prop, near: list[Neighbour], geometry: Geometry,
            root: Path, options: BuildOptions) -> list[Part]:
    """``parts`` with their occlusion, baked in the prop's frame at its scale."""
    import numpy as np

    from tools.ao import DEFAULT_REACH, bake
    from tools.refine import refine

    scale = np.diag([*scale_of(prop), 1.0])
    scaled = scale_of(prop) != (1.0, 1.0, 1.0)
    placed = [p.transformed(scale) for p in parts] if scaled else parts
    occluders = [q.transformed(n.transform()) for n in near
                 for q in geometry.parts(n.prop, n.key)[0] if q.triangles]
    if occluders:
        blocking = np.concatenate([q.vertices.astype(np.float64)[q.faces] for q in occluders])
        placed = [refine(p, blocking, DEFAULT_REACH, REFINE_EDGE) for p in placed]
    baked = bake(placed, occluders)
    return [p.transformed(np.linalg.inv(scale)) for p in baked] if scaled else baked


def _name(data: bytes) -> str:
    return f"models/{hashlib.sha256(data).hexdigest()[:20]}.glb"


def _placed(prop: Prop, levels: list[ModelLevel], collision: str | None,
            box: tuple[tuple[float, float, float], tuple[float, float, float]]) -> PackagedProp:
    scale = prop.scale if isinstance(prop.scale, tuple) else (prop.scale,) * 3
    return PackagedProp(id=prop.id, levels=levels, collision=collision, position=prop.position,
                        rotation=prop.rotation, scale=scale, bounds=box)


def bake_key(prop: Prop, root: Path, options: BuildOptions, near: list[Neighbour]) -> str:
    """Identity of a prop's files: its geometry, its scale, and what stands near it, each
    neighbour by its geometry and where it stands relative to the prop (so moving the
    whole group rebakes nothing, and moving one neighbour rebakes only those it shades)."""
    return digest_of(prop_key(prop, root, options), repr(scale_of(prop)),
                     *(n.describe() for n in near))


def build_prop(prop: Prop, root: Path, options: BuildOptions, cache: BuildCache,
               geometry: Geometry | None = None, near: list[Neighbour] | None = None
               ) -> PropOutput:
    """Levels of detail and collision for ``prop``, its occlusion baked with the props
    ``near`` it as they stand; served from ``cache`` when unchanged.

    Each placement is baked for itself: the same model in two places is darkened by
    different neighbours. Placements with the same surroundings still share their files,
    which are named by content.
    """
    near = near or []
    key = bake_key(prop, root, options, near)
    hit = cache.get("props", key)
    if hit is not None:
        record, cached_files = hit
        cached_levels = [ModelLevel.model_validate(level) for level in record["levels"]]
        box = tuple(tuple(c) for c in record["bounds"])
        return PropOutput(_placed(prop, cached_levels, record["collision"], box),  # type: ignore[arg-type]
                          cached_files, [f"{prop.id}: {line}" for line in record["repairs"]],
                          cached=True)
    # Geometry libraries load in about a second; an up-to-date build never needs them.
    from tools.collision import proxy
    from tools.glb import write_glb
    from tools.lod import level_chain
    from tools.meshdata import bounds, total_triangles

    geometry = geometry or Geometry(root, options.max_triangles, cache)
    parts, repairs = geometry.parts(prop, prop_key(prop, root, options))
    parts = _shaded(parts, prop, near, geometry, root, options)  # before the levels: they share it
    files: dict[str, bytes] = {}
    levels: list[ModelLevel] = []
    chain = level_chain(parts, prop.lod)
    for ratio, level_parts in zip(prop.lod, chain):
        # Named by content, not by prop id, so identical props share one file.
        data = write_glb(level_parts, f"lod{len(levels)}", options.max_texture)
        files[_name(data)] = data
        levels.append(ModelLevel(path=_name(data), ratio=ratio,
                                 triangles=total_triangles(level_parts)))
    collision_part = proxy(prop.collision, parts, chain[-1])
    collision = None
    if collision_part is not None:
        data = write_glb([collision_part], "collision")
        collision = _name(data)
        files[collision] = data
    box = bounds(parts)
    cache.put("props", key, {"levels": [lv.model_dump() for lv in levels],
                             "collision": collision, "bounds": box, "repairs": repairs}, files)
    return PropOutput(_placed(prop, levels, collision, box), files,
                      [f"{prop.id}: {line}" for line in repairs])
