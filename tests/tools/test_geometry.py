"""Primitives, model import (every format), repair, levels of detail, collision proxies."""

from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

from protocol.geometry import ChainSpec, CylinderSpec, ExtrusionSpec, TerrainSpec
from protocol.scene import Material
from tools.collision import proxy
from tools.errors import AssetError
from tools.lod import level_chain, simplify
from tools.mesh_import import import_model
from tools.meshdata import bounds, total_triangles
from tools.primitives import build_primitive, chain, cylinder, extrusion, terrain
from tools.protocol_helpers import primitive


def test_chain_spans_its_length_and_sags() -> None:
    mesh = chain(ChainSpec(length=10, link=0.3, sag=0.5))
    lo, hi = mesh.bounds
    assert hi[1] - lo[1] == pytest.approx(10, abs=0.3)
    assert lo[2] == pytest.approx(-0.5, abs=0.1)
    assert len(mesh.faces) > 2000  # interlocking links, not a bar


def test_cylinder_axis_and_extrusion_outline() -> None:
    lo, hi = cylinder(CylinderSpec(radius=0.5, height=4, axis="x")).bounds
    assert hi[0] - lo[0] == pytest.approx(4)
    wall = extrusion(ExtrusionSpec(outline=[(0, 0), (4, 0), (4, 0.3), (0, 0.3)], height=3))
    assert wall.bounds.ravel().tolist() == pytest.approx([0, 0, 0, 4, 0.3, 3])
    with pytest.raises(ValueError, match="crosses itself"):
        extrusion(ExtrusionSpec(outline=[(0, 0), (1, 1), (1, 0), (0, 1)], height=1))


def test_terrain_heights_follow_the_heightmap(tmp_path: Path) -> None:
    ramp = np.tile(np.linspace(0, 255, 64, dtype=np.uint8), (64, 1))
    Image.fromarray(ramp).save(tmp_path / "ramp.png")
    mesh = terrain(TerrainSpec(heightmap="ramp.png", size=(100, 50), height=20, resolution=16),
                   tmp_path)
    west = mesh.vertices[mesh.vertices[:, 0] < -49]
    east = mesh.vertices[mesh.vertices[:, 0] > 49]
    assert west[:, 2].max() < 1 and east[:, 2].min() > 19


def test_textured_primitive_gets_uvs(tmp_path: Path) -> None:
    Image.new("RGB", (100, 60), (200, 10, 10)).save(tmp_path / "t.png")
    part = build_primitive(primitive({"box": {"size": [2, 2, 2]}}),
                           Material(texture="t.png"), tmp_path)
    assert part.uv is not None and part.uv.shape == (len(part.vertices), 2)
    assert part.material.texture is not None and len(part.vertices) == 24


@pytest.mark.parametrize("suffix", [".glb", ".obj", ".ply", ".stl", ".off", ".3mf", ".dae"])
def test_every_format_imports_in_metres_z_up(tmp_path: Path, suffix: str) -> None:
    box = trimesh.creation.box(extents=(1.0, 2.0, 3.0))  # tallest along z
    if suffix in (".glb", ".obj", ".dae"):  # Y-up formats: stand the box up along y
        box.apply_transform(trimesh.transformations.rotation_matrix(-np.pi / 2, [1, 0, 0]))
    if suffix == ".3mf":  # 3MF declares millimetres: the import must honour it
        box.apply_scale(1000.0)
    path = tmp_path / f"box{suffix}"
    data = box.export(file_type=suffix[1:])
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    parts, report = import_model(path)
    lo, hi = bounds(parts)
    assert np.subtract(hi, lo) == pytest.approx((1.0, 2.0, 3.0), abs=1e-4)
    assert total_triangles(parts) == 12
    assert report.up == ("y" if suffix in (".glb", ".obj", ".dae") else "z")


def test_units_are_normalized(tmp_path: Path) -> None:
    path = tmp_path / "cm.stl"
    path.write_bytes(trimesh.creation.box(extents=(100, 100, 100)).export(file_type="stl"))
    parts, report = import_model(path, units="cm")
    lo, hi = bounds(parts)
    assert hi[0] - lo[0] == pytest.approx(1.0)
    assert report.units == "cm"


def test_repairs_are_made_and_reported(tmp_path: Path) -> None:
    box = trimesh.creation.box(extents=(1, 1, 1))
    faces = np.vstack([box.faces, box.faces[:2], [[0, 0, 1]]])  # duplicates + degenerate
    faces[3] = faces[3][::-1]  # one face wound the wrong way
    soup = trimesh.Trimesh(box.vertices[faces.reshape(-1)], np.arange(len(faces) * 3)
                           .reshape(-1, 3), process=False)  # every vertex unshared
    path = tmp_path / "broken.ply"
    path.write_bytes(soup.export(file_type="ply"))
    parts, report = import_model(path)
    text = " ".join(report.repairs)
    assert "merged" in text and "duplicate vertices" in text
    assert "degenerate faces" in text and "duplicate faces" in text
    assert "winding" in text
    assert total_triangles(parts) == 12


def test_bad_models_get_clear_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.glb"
    broken.write_bytes(b"glTF\x02\x00\x00\x00garbage")
    with pytest.raises(AssetError, match=r"broken.glb: the header says .* it is truncated"):
        import_model(broken)
    big = tmp_path / "big.stl"
    big.write_bytes(trimesh.creation.icosphere(subdivisions=4).export(file_type="stl"))
    with pytest.raises(AssetError, match="over the limit of 1,000"):
        import_model(big, max_triangles=1000)
    with pytest.raises(AssetError, match="unsupported model format"):
        import_model(tmp_path / "x.fbx")


def test_levels_of_detail_shrink_and_keep_uvs_and_materials(tmp_path: Path) -> None:
    Image.new("RGB", (64, 64), (0, 128, 0)).save(tmp_path / "g.png")
    part = build_primitive(primitive({"sphere": {"radius": 1, "subdivisions": 4}}),
                           Material(texture="g.png"), tmp_path)
    levels = level_chain([part], [1.0, 0.4, 0.1])
    counts = [total_triangles(level) for level in levels]
    assert counts[0] == part.triangles and counts[0] > counts[1] > counts[2]
    assert counts[2] <= 0.15 * counts[0]
    low = levels[2][0]
    assert low.uv is not None and low.material is part.material
    # Kept vertices carry exactly their original UVs.
    original = {tuple(v): tuple(uv) for v, uv in zip(part.vertices.round(5), part.uv)}
    assert all(original[tuple(v)] == tuple(uv) for v, uv in zip(low.vertices.round(5), low.uv))
    assert simplify(low, 1.0) is low


def test_collision_proxies(tmp_path: Path) -> None:
    part = build_primitive(primitive({"sphere": {"radius": 1, "subdivisions": 4}}), None,
                           tmp_path)
    hull = proxy("hull", [part], [part])
    assert hull is not None and hull.triangles <= 512
    _lo, hi = bounds([hull])
    assert hi[0] == pytest.approx(1.0, abs=0.05)
    flat = build_primitive(primitive({"plane": {"size": [4, 4]}}), None, tmp_path)
    box = proxy("hull", [flat], [flat])
    assert box is not None and box.triangles == 12  # a flat prop gets a thin box
    assert proxy("none", [part], [part]) is None
