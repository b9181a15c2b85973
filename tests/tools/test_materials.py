"""Procedural material sets: reproducible, seamless, varied, physically sensible, and
written into validator-clean GLBs."""

from __future__ import annotations

import io
import json
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
import trimesh

from protocol.scene import Material
from tools.glb import write_glb
from tools.materials import PRESETS, material_set
from tools.primitives import preset_material, to_part

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = {"plaster", "lacquered-wood", "raw-wood", "grey-brick", "red-brick", "stone",
            "water", "silk", "iron", "rock", "grass"}


def _png(image: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")  # type: ignore[attr-defined]
    return out.getvalue()


def _pixels(image: object) -> np.ndarray:
    return np.asarray(image, dtype=np.float64)


def test_every_preset_the_samples_need_exists_and_is_reproducible() -> None:
    assert set(PRESETS) == EXPECTED
    first = {name: [_png(m) for m in (s.base, s.roughness_metal, s.normal)]
             for name in PRESETS for s in [material_set(name)]}
    material_set.cache_clear()
    for name in PRESETS:
        again = material_set(name)
        assert [_png(m) for m in (again.base, again.roughness_metal, again.normal)] \
            == first[name], name
    # Different presets are different pictures.
    assert len({maps[0] for maps in first.values()}) == len(PRESETS)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_maps_tile_without_seams_and_vary_across_the_tile(name: str) -> None:
    maps = material_set(name)
    base = _pixels(maps.base)
    for axis in (0, 1):
        steps = np.abs(np.diff(base, axis=axis)).mean()
        first = np.take(base, 0, axis=axis)
        last = np.take(base, -1, axis=axis)
        seam = np.abs(first - last).mean()
        assert seam < 2.5 * steps + 1.0, f"{name}: a seam where the tile repeats"
    # Not one small motif repeated: quadrants differ, and there is broad variation.
    half = base.shape[0] // 2
    quadrants = [base[:half, :half], base[:half, half:], base[half:, :half], base[half:, half:]]
    assert min(np.abs(a - b).mean() for i, a in enumerate(quadrants)
               for b in quadrants[i + 1:]) > 2.0, f"{name}: quadrants repeat"
    blocks = base.reshape(8, base.shape[0] // 8, 8, base.shape[1] // 8, 3).mean(axis=(1, 3))
    assert blocks.std() > 1.0, f"{name}: no variation across the tile"


def test_roughness_metal_and_normals_make_physical_sense() -> None:
    def roughness(name: str) -> float:
        return float(_pixels(material_set(name).roughness_metal)[..., 1].mean() / 255)

    def metal(name: str) -> float:
        return float(_pixels(material_set(name).roughness_metal)[..., 2].mean() / 255)

    assert roughness("water") < 0.15 < roughness("lacquered-wood") < 0.45
    assert roughness("lacquered-wood") < roughness("raw-wood") < roughness("plaster")
    assert min(roughness(n) for n in ("plaster", "rock", "grass", "red-brick")) > 0.75
    assert metal("iron") > 0.5
    assert max(metal(n) for n in EXPECTED - {"iron"}) == 0.0
    for name in EXPECTED:
        normals = _pixels(material_set(name).normal) / 255 * 2 - 1
        length = np.linalg.norm(normals, axis=2)
        assert np.abs(length - 1).max() < 0.03, name
        assert normals[..., 2].min() > 0.15, f"{name}: a normal faces away"
        assert np.abs(normals[..., :2].mean(axis=(0, 1))).max() < 0.05, f"{name}: tilted"
    rock = _pixels(material_set("rock").normal)[..., 2].std()
    water = _pixels(material_set("water").normal)[..., 2].std()
    assert rock > water, "rock is rougher in relief than water"


def test_a_preset_material_is_written_with_all_its_maps(tmp_path: Path) -> None:
    material = Material(color="#8a3a2a")
    data, repeat = preset_material(material, "red-brick")
    assert repeat == (1.0, 1.0) and data.name == "red-brick"
    assert _pixels(data.texture).reshape(-1, 3).mean(axis=0) == pytest.approx(
        [0x8a, 0x3a, 0x2a], abs=3)  # the script's colour is the mean, the pattern kept
    plaster, plaster_repeat = preset_material(Material(), "plaster")
    assert plaster_repeat == (2.0, 2.0)  # the preset's own tile size
    assert plaster.texture is material_set("plaster").base  # the default colour: untinted
    wall = trimesh.creation.box(extents=(4, 0.2, 3))
    glb = write_glb([to_part(wall, data, repeat)], "wall")
    assert glb == write_glb([to_part(wall, data, repeat)], "wall")
    length = struct.unpack_from("<I", glb, 12)[0]
    document = json.loads(glb[20:20 + length])
    (entry,) = document["materials"]
    assert entry["name"] == "red-brick"
    pbr = entry["pbrMetallicRoughness"]
    assert {"baseColorTexture", "metallicRoughnessTexture"} <= set(pbr)
    assert "normalTexture" in entry and len(document["images"]) == 3
    assert pbr["roughnessFactor"] == 1.0 and pbr["baseColorFactor"] == [1.0, 1.0, 1.0, 1.0]
    target = tmp_path / "wall.glb"
    target.write_bytes(glb)
    run = subprocess.run(["node", str(ROOT / "scripts/gltf-validate.mjs"), str(target)],
                         capture_output=True, text=True, cwd=ROOT, check=False)
    (report,) = [json.loads(line) for line in run.stdout.splitlines()]
    assert report["errors"] == 0, report


def test_tangents_follow_the_texture_and_are_written_for_normal_maps() -> None:
    from tools.glb import tangents

    # A quad in the XY plane facing +Z, u along +X and v along +Y.
    positions = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], dtype=np.float32)
    normals = np.tile(np.array([[0, 0, 1]], dtype=np.float32), (4, 1))
    uv = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=np.float32)
    faces = np.array([[0, 1, 2], [0, 2, 3]])
    out = tangents(positions, normals, uv, faces)
    assert out[:, :3] == pytest.approx(np.tile([1.0, 0.0, 0.0], (4, 1)), abs=1e-6)
    assert np.all(out[:, 3] == 1.0)
    mirrored = tangents(positions, normals, uv * [1, -1], faces)  # v runs the other way
    assert np.all(mirrored[:, 3] == -1.0)
    data, repeat = preset_material(Material(), "stone")
    glb = write_glb([to_part(trimesh.creation.icosphere(subdivisions=2), data, repeat)], "s")
    length = struct.unpack_from("<I", glb, 12)[0]
    document = json.loads(glb[20:20 + length])
    (primitive,) = document["meshes"][0]["primitives"]
    assert document["accessors"][primitive["attributes"]["TANGENT"]]["type"] == "VEC4"
