"""A model brought with roughness/metal and normal maps keeps them through the pipeline."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import trimesh
from PIL import Image

from tools.glb import write_glb
from tools.mesh_import import import_model


def _glb_json(data: bytes) -> dict[str, object]:
    length = struct.unpack_from("<I", data, 12)[0]
    return json.loads(data[20:20 + length])  # type: ignore[no-any-return]


def _textured_box(path: Path, maps: bool) -> None:
    box = trimesh.creation.box((1, 1, 1))
    box.unmerge_vertices()
    uv = np.asarray(box.vertices[:, :2] + 0.5)
    colour = Image.new("RGB", (8, 8), (140, 40, 30))
    extra = {"metallicRoughnessTexture": Image.new("RGB", (8, 8), (255, 120, 0)),
             "normalTexture": Image.new("RGB", (8, 8), (128, 128, 255))} if maps else {}
    material = trimesh.visual.material.PBRMaterial(baseColorTexture=colour, **extra)
    box.visual = trimesh.visual.TextureVisuals(uv=uv, material=material)
    box.export(path)


def test_imported_maps_reach_the_packaged_model(tmp_path: Path) -> None:
    _textured_box(tmp_path / "with.glb", maps=True)
    parts, _ = import_model(tmp_path / "with.glb")
    material = parts[0].material
    assert material.roughness_map is not None and material.normal_map is not None
    assert np.asarray(material.roughness_map)[0, 0, 1] == 120
    written = _glb_json(write_glb(parts, "box"))
    entry = written["materials"][0]  # type: ignore[index]
    assert "normalTexture" in entry
    assert "metallicRoughnessTexture" in entry["pbrMetallicRoughness"]
    # tangents come with a normal map, so it can be applied
    assert "TANGENT" in written["meshes"][0]["primitives"][0]["attributes"]  # type: ignore[index]


def test_a_model_without_maps_gets_none(tmp_path: Path) -> None:
    _textured_box(tmp_path / "plain.glb", maps=False)
    parts, _ = import_model(tmp_path / "plain.glb")
    material = parts[0].material
    assert material.roughness_map is None and material.normal_map is None
    assert material.maps_key == ""
    entry = _glb_json(write_glb(parts, "box"))["materials"][0]  # type: ignore[index]
    assert "normalTexture" not in entry


def test_the_sample_pavilions_posts_are_lacquered_wood() -> None:
    root = Path(__file__).resolve().parents[2] / "assets"
    for model in ("luding/bridge-pavilion.glb", "nanhu/yanyu-pavilion.glb"):
        parts, _ = import_model(root / model)
        lacquered = [p for p in parts if p.material.normal_map is not None]
        assert lacquered, f"{model}: no part with a normal map"
        red = np.asarray(lacquered[0].material.texture.convert("RGB"), float).mean(axis=(0, 1))
        assert red[0] > 1.5 * red[1], f"{model}: the posts are not red ({red})"
