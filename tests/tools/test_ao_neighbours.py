"""Occlusion between props: a table darkens the floor under it, as placed in the scene;
moving a neighbour rebakes only the props it shades; a large plane darkens only within
reach."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from panda3d.core import TransformState, Vec3

from protocol.scene import Prop
from tools.ao import DEFAULT_REACH, bake
from tools.cache import BuildCache
from tools.geometry_store import Geometry
from tools.placement import neighbours, placement
from tools.props import BuildOptions, build_prop, prop_key
from tools.refine import refine

ROOT = Path(__file__).resolve().parents[2]
OPTIONS = BuildOptions()


def _prop(**fields: object) -> Prop:
    return Prop.model_validate(fields)


def test_placement_is_the_engines_pos_hpr_scale() -> None:
    prop = _prop(id="a", primitive={"box": {"size": [1, 1, 1]}}, position=[1, 2, 3],
                 rotation=[30, -50, 70], scale=[1, 2, 3])
    mat = TransformState.makePosHprScale(Vec3(1, 2, 3), Vec3(30, -50, 70),
                                         Vec3(1, 2, 3)).getMat()
    panda = np.array([[mat.getCell(i, j) for j in range(4)] for i in range(4)]).T
    assert np.abs(panda - placement(prop)).max() < 1e-5


def _scene(table_at: float) -> list[Prop]:
    return [_prop(id="floor", primitive={"plane": {"size": [8, 8]}}, collision="none"),
            _prop(id="table", primitive={"box": {"size": [1.6, 0.8, 0.05]}},
                  position=[table_at, 0, 0.75], rotation=[90, 0, 0], collision="none"),
            _prop(id="far", primitive={"box": {"size": [1, 1, 1]}}, position=[30, 0, 0.5],
                  collision="none")]


def _build(props: list[Prop], cache: BuildCache) -> dict[str, tuple[bool, dict[str, bytes]]]:
    geometry = Geometry(ROOT, OPTIONS.max_triangles, cache)
    keys = [prop_key(p, ROOT, OPTIONS) for p in props]
    near = neighbours(props, keys, [geometry.bounds(p, k) for p, k in zip(props, keys)],
                      DEFAULT_REACH)
    built = {}
    for prop, around in zip(props, near):
        out = build_prop(prop, ROOT, OPTIONS, cache, geometry, around)
        built[prop.id] = (out.cached, out.files)
    return built


def test_a_table_darkens_the_floor_under_it_and_moving_it_rebakes_only_its_neighbours(
        tmp_path: Path) -> None:
    cache = BuildCache(tmp_path)
    first = _build(_scene(0.0), cache)
    again = _build(_scene(0.0), cache)
    assert all(cached for cached, _ in again.values())
    assert {k: f for k, (_, f) in again.items()} == {k: f for k, (_, f) in first.items()}
    moved = _build(_scene(2.0), cache)
    assert not moved["floor"][0] and not moved["table"][0]   # the table moved: both change
    assert moved["far"][0], "a prop out of reach is not rebaked"
    assert moved["floor"][1] != first["floor"][1]


def test_occlusion_follows_the_neighbour_and_stays_within_reach() -> None:
    floor, table = _scene(0.0)[:2]
    geometry = Geometry(ROOT, OPTIONS.max_triangles, BuildCache(None))
    (plane,) = geometry.parts(floor, "floor")[0]
    board = [p.transformed(placement(table)) for p in geometry.parts(table, "table")[0]]
    blocking = np.concatenate([p.vertices.astype(np.float64)[p.faces] for p in board])
    fine = refine(plane, blocking, DEFAULT_REACH, 0.5)
    assert fine.triangles > 100, "the floor is split where the table shades it"
    (shaded,) = bake([fine], occluders=board)
    assert shaded.colors is not None
    radius = np.linalg.norm(shaded.vertices[:, :2], axis=1)
    under = shaded.colors[radius < 0.3, 0].astype(int)
    away = shaded.colors[radius > 3.0, 0].astype(int)
    assert under.max() < away.min() - 40, (under.max(), away.min())
    assert away.min() >= 250, "beyond reach the floor stays unshaded"
    # A plane far larger than the prop darkens only the prop's foot, not all of it.
    tall = _prop(id="post", primitive={"box": {"size": [0.4, 0.4, 6]}}, position=[0, 0, 3])
    (post,) = geometry.parts(tall, "post")[0]
    post = post.transformed(placement(tall))
    ground = plane.transformed(np.diag([50.0, 50.0, 1.0, 1.0]))
    near_ground = refine(post, ground.vertices.astype(np.float64)[ground.faces],
                         DEFAULT_REACH, 0.5)
    (lit,) = bake([near_ground], occluders=[ground])
    assert lit.colors is not None
    side = np.abs(lit.normals[:, 0]) > 0.9
    foot = lit.colors[side & (lit.vertices[:, 2] < 0.05), 0].astype(int)
    high = lit.colors[side & (lit.vertices[:, 2] > 2.0), 0].astype(int)
    assert len(high) > 8, "the side is split up its height, not one gradient"
    assert foot.max() < 235 and high.min() >= 250, (foot.max(), high.min())
