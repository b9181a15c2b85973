"""The sky: a gradient from zenith to horizon with the sun in it; water that moves."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import trimesh
from panda3d.core import Point3, Vec3
from PIL import Image

from engine.sky import Sky, water_nodes
from engine.view import ExhibitView
from tools.glb import write_glb
from tools.meshdata import MaterialData
from tools.primitives import to_part

SHOTS = Path(__file__).resolve().parents[2] / "var/screenshots/engine"


def _bare(view: ExhibitView) -> Sky:
    """The view without panels and markers, with a sky (added here until the view does)."""
    from engine.render import stage

    stage(view, None, overlay=False)
    sky = getattr(view, "sky", None)
    if not isinstance(sky, Sky):
        sky = view.app.add(Sky(view.app, view.nodes, view.scene.script.environment))
    return sky


def _look(view: ExhibitView, direction: Vec3) -> None:
    eye = view.app.base.camera.getPos(view.app.render)
    view.navigation.teleport(eye, eye + direction * 50)
    view.app.step(1 / 60)


def test_the_day_sky_is_deeper_blue_overhead_than_at_the_horizon(
        open_view: Callable[..., ExhibitView]) -> None:
    view = open_view("first-congress-site", size=(320, 320))
    sky = _bare(view)
    view.nodes.root.find("props").hide()  # the sky alone
    _look(view, Vec3(0.0, 1.0, 0.55))  # the horizon low in the frame, the zenith above
    image = view.app.capture().astype(float)
    SHOTS.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image.astype(np.uint8)).save(SHOTS / "look-sky-day.png")
    horizon_row = view.screen_position(tuple(
        view.app.base.camera.getPos(view.app.render) + Vec3(0, 100, 0)))
    assert horizon_row is not None
    y = int(horizon_row[1])
    top, horizon = image[:8].mean(axis=(0, 1)), image[y - 4:y - 1].mean(axis=(0, 1))
    assert top[2] - top[0] > horizon[2] - horizon[0] + 25, (top, horizon)  # bluer overhead
    assert top.sum() < horizon.sum() - 60  # and deeper
    rows = image.mean(axis=(1, 2))[:y - 2]
    assert np.all(np.diff(rows) > -1.5), "the gradient runs one way, top to horizon"
    assert sky.horizon != sky.zenith


def test_the_sun_is_drawn_where_the_sun_light_comes_from(
        open_view: Callable[..., ExhibitView]) -> None:
    view = open_view("first-congress-site", size=(320, 320))
    sky = _bare(view)
    view.nodes.root.find("props").hide()
    _look(view, sky.sun_direction)
    image = view.app.capture().astype(float)
    Image.fromarray(image.astype(np.uint8)).save(SHOTS / "look-sky-sun.png")
    eye = view.app.base.camera.getPos(view.app.render)
    at = view.screen_position(tuple(eye + sky.sun_direction * 900))
    assert at is not None
    brightness = image.sum(axis=2)
    ys, xs = np.nonzero(brightness >= brightness.max() - 3)
    assert abs(xs.mean() - at[0]) < 3 and abs(ys.mean() - at[1]) < 3
    assert brightness.max() > 3 * 245, "the sun's disc is white-hot"
    corner = brightness[:10, :10].mean()
    assert corner < brightness.max() - 60


def test_water_moves_and_nothing_else_does(open_view: Callable[..., ExhibitView],
                                           tmp_path: Path) -> None:
    import gltf

    view = open_view("nanhu-red-boat", size=(320, 180))
    plane = trimesh.Trimesh([[-30, -30, 0], [30, -30, 0], [30, 30, 0], [-30, 30, 0]],
                            [[0, 1, 2], [0, 2, 3]], process=False)
    water = MaterialData(color=(0.28, 0.44, 0.42, 1.0), roughness=0.1, name="water")
    model = tmp_path / "water.glb"
    model.write_bytes(write_glb([to_part(plane, water, (1, 1))], "water"))
    surface = view.nodes.root.attachNewNode(gltf.load_model(str(model)))
    surface.setZ(0.3)  # just above the lake
    sky = _bare(view)
    found = sky.adopt_water(surface)
    assert found and found == water_nodes(surface) and all(n in sky.water for n in found)
    assert sky.adopt_water(surface) == []  # once only
    eye = Point3(0, -20, 4)
    view.navigation.teleport(eye, Point3(0, 0, 0))
    view.app.step(1 / 60)
    first = view.app.capture().astype(int)
    view.app.step(0.5)
    second = view.app.capture().astype(int)
    Image.fromarray(second.astype(np.uint8)).save(SHOTS / "look-water.png")
    changed = np.abs(second - first).sum(axis=2) > 4
    height = first.shape[0]
    assert changed[height * 2 // 3:].mean() > 0.12, "the water in the foreground stood still"
    assert changed[: height // 4].mean() < 0.01, "the sky moved"
