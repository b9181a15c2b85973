"""One prop, from its script entry to GLB levels and a collision proxy (cached)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from protocol.manifest import ModelLevel, PackagedProp
from protocol.scene import Prop
from tools.cache import BuildCache, digest_of, file_digest

# Bump when what a prop's files hold changes: 2 baked ambient occlusion; 3 the material
# presets' maps (tools/materials.py: bump for any change to a generator there).
PIPELINE_VERSION = "3"


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


def _name(data: bytes) -> str:
    return f"models/{hashlib.sha256(data).hexdigest()[:20]}.glb"


def _placed(prop: Prop, levels: list[ModelLevel], collision: str | None,
            box: tuple[tuple[float, float, float], tuple[float, float, float]]) -> PackagedProp:
    scale = prop.scale if isinstance(prop.scale, tuple) else (prop.scale,) * 3
    return PackagedProp(id=prop.id, levels=levels, collision=collision, position=prop.position,
                        rotation=prop.rotation, scale=scale, bounds=box)


def build_prop(prop: Prop, root: Path, options: BuildOptions, cache: BuildCache) -> PropOutput:
    """Levels of detail and collision for ``prop``; served from ``cache`` when unchanged."""
    key = prop_key(prop, root, options)
    hit = cache.get("props", key)
    if hit is not None:
        record, cached_files = hit
        cached_levels = [ModelLevel.model_validate(level) for level in record["levels"]]
        box = tuple(tuple(c) for c in record["bounds"])
        return PropOutput(_placed(prop, cached_levels, record["collision"], box),  # type: ignore[arg-type]
                          cached_files, [f"{prop.id}: {line}" for line in record["repairs"]],
                          cached=True)
    # Geometry libraries load in about a second; an up-to-date build never needs them.
    from tools.ao import bake
    from tools.collision import proxy
    from tools.glb import write_glb
    from tools.lod import level_chain
    from tools.mesh_import import import_model
    from tools.meshdata import bounds, merge_by_material, total_triangles
    from tools.primitives import build_primitive

    repairs: list[str] = []
    if prop.model is not None:
        parts, report = import_model(root / prop.model, prop.units, prop.up, options.max_triangles)
        repairs = report.repairs
    else:
        parts = [build_primitive(prop.primitive, prop.material, root)]
    parts = bake(merge_by_material(parts))  # occlusion before the levels: they share it
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
