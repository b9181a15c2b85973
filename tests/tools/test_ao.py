"""Baked ambient occlusion: corners darken, the open does not, and the bytes never vary."""

from __future__ import annotations

import json
import struct
import subprocess
from pathlib import Path

import numpy as np
import trimesh

from tools.ao import FLOOR, bake, hemisphere_directions
from tools.glb import write_glb
from tools.lod import level_chain
from tools.meshdata import MaterialData, Part, merge_by_material
from tools.primitives import to_part

ROOT = Path(__file__).resolve().parents[2]


def _box(size: tuple[float, float, float], centre: tuple[float, float, float]) -> Part:
    mesh = trimesh.creation.box(extents=size)
    mesh.apply_translation(centre)
    return to_part(mesh, MaterialData(), (1.0, 1.0))


def _room_corner() -> list[Part]:
    """A floor and two walls meeting at (-2, 2)."""
    return [_box((4, 4, 0.1), (0, 0, -0.05)), _box((0.1, 4, 3), (-2.05, 0, 1.5)),
            _box((4, 0.1, 3), (0, 2.05, 1.5))]


def _light(part: Part, where: np.ndarray) -> np.ndarray:
    assert part.colors is not None
    picked = np.all(np.isclose(part.vertices, where), axis=1)
    light: np.ndarray = part.colors[picked, 0].astype(float)
    return light


def test_a_box_in_a_corner_is_darker_near_the_corner_than_in_the_open() -> None:
    cornered = _box((0.5, 0.5, 0.5), (-1.75, 1.75, 0.25))
    alone = _box((0.5, 0.5, 0.5), (0.75, -0.75, 0.25))
    (baked_corner,) = bake([cornered], occluders=_room_corner())
    (baked_open,) = bake([alone], occluders=_room_corner()[:1])  # the floor only
    # Top face: the corner vertex (against both walls) against the one facing the room.
    top = baked_corner.normals[:, 2] > 0.9
    assert baked_corner.colors is not None
    corner_top = _light(baked_corner, np.array([-2.0, 2.0, 0.5]))
    room_top = _light(baked_corner, np.array([-1.5, 1.5, 0.5]))
    assert corner_top.max() < room_top.min() - 40
    # The same box in the open is lighter on top than the cornered one, everywhere.
    open_top = baked_open.colors[baked_open.normals[:, 2] > 0.9, 0]  # type: ignore[index]
    assert open_top.min() > baked_corner.colors[top, 0].max() - 5
    assert open_top.min() >= 240, "an open top face is nearly white"
    # A face pressed flat against a wall sees nothing: as dark as occlusion goes.
    against_wall = baked_corner.normals[:, 0] < -0.9
    assert baked_corner.colors[against_wall, 0].max() <= round(FLOOR * 255) + 12


def test_the_room_darkens_where_its_walls_meet() -> None:
    floor, west, north = bake(_room_corner())
    assert floor.colors is not None
    # The floor's top corner in the crease is darker than its open corner.
    crease = _light(floor, np.array([-2.0, 2.0, 0.0]))
    far = _light(floor, np.array([2.0, -2.0, 0.0]))
    assert crease.max() < far.min() - 60
    # Colours are opaque greys.
    for part in (floor, west, north):
        assert part.colors is not None
        assert np.all(part.colors[:, 3] == 255)
        assert np.all(part.colors[:, 0] == part.colors[:, 1])


def test_directions_cover_the_hemisphere_cosine_weighted() -> None:
    directions = hemisphere_directions(64)
    assert np.allclose(np.linalg.norm(directions, axis=1), 1.0)
    assert np.all(directions[:, 2] > 0)
    # Cosine weighting: the mean height of the directions is 2/3.
    assert abs(directions[:, 2].mean() - 2 / 3) < 0.02
    assert np.abs(directions[:, :2].mean(axis=0)).max() < 0.05


def test_baked_models_are_byte_identical_validator_clean_and_keep_colours_in_lods(
        tmp_path: Path) -> None:
    def scene() -> list[Part]:
        return merge_by_material([*_room_corner(), _box((0.5, 0.5, 0.5), (-1.75, 1.75, 0.25))])

    first = write_glb(bake(scene()), "lod0")
    second = write_glb(bake(scene()), "lod0")
    assert first == second
    length = struct.unpack_from("<I", first, 12)[0]
    document = json.loads(first[20:20 + length])
    (primitive,) = document["meshes"][0]["primitives"]
    colour = document["accessors"][primitive["attributes"]["COLOR_0"]]
    assert colour["type"] == "VEC4" and colour["componentType"] == 5121
    assert colour["normalized"] is True
    sphere = to_part(trimesh.creation.icosphere(subdivisions=4), MaterialData(), (1, 1))
    levels = level_chain(bake([sphere]), [1.0, 0.3])
    assert all(p.colors is not None and len(p.colors) == len(p.vertices)
               for level in levels for p in level)
    target = tmp_path / "corner.glb"
    target.write_bytes(first)
    run = subprocess.run(["node", str(ROOT / "scripts/gltf-validate.mjs"), str(target)],
                         capture_output=True, text=True, cwd=ROOT, check=False)
    (report,) = [json.loads(line) for line in run.stdout.splitlines()]
    assert report["errors"] == 0, report


def test_a_degenerate_normal_is_shaded_not_a_failure() -> None:
    part = _box((1, 1, 1), (0, 0, 0.5))
    part.normals[0] = 0.0
    (baked,) = bake([part])
    assert baked.colors is not None and baked.colors[0, 0] > 0
