"""Normal maps in the engine: a brick wall lit at a grazing angle shows relief with them
on, and a material without a normal map looks the same either way."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh
from panda3d.core import AmbientLight, DirectionalLight, Filename

from engine.app import ExhibitApp
from engine.clock import ManualClock
from engine.shading import enable_shading
from protocol.scene import Material
from tools.glb import write_glb
from tools.meshdata import MaterialData
from tools.primitives import preset_material, to_part

SIZE = (256, 192)


def _wall(tmp_path: Path, preset: str | None) -> Path:
    """A 3 m x 2 m wall facing -Y, as the build writes it (GLB with tangents)."""
    mesh = trimesh.creation.box(extents=(3.0, 0.1, 2.0))
    if preset is None:
        material, repeat = MaterialData(color=(0.6, 0.45, 0.4, 1.0)), (1.0, 1.0)
    else:
        material, repeat = preset_material(Material.model_validate({"preset": preset}),
                                           preset)
    target = tmp_path / f"{preset or 'plain'}.glb"
    target.write_bytes(write_glb([to_part(mesh, material, repeat)], "wall", 512))
    return target


def _render(model: Path, normal_maps: bool) -> np.ndarray:
    import gltf

    app = ExhibitApp("offscreen", SIZE, ManualClock())
    try:
        mode = enable_shading(app, normal_maps=normal_maps)
        assert mode.pipeline == "simplepbr", mode.reason
        app.render.attachNewNode(gltf.load_model(Filename.fromOsSpecific(str(model))))
        sun = app.render.attachNewNode(DirectionalLight("sun"))
        sun.node().setColor((3.0, 2.9, 2.7, 1))
        sun.setHpr(70, -10, 0)  # grazing across the wall: relief casts light and dark
        app.render.setLight(sun)
        ambient = app.render.attachNewNode(AmbientLight("sky"))
        ambient.node().setColor((0.15, 0.15, 0.17, 1))
        app.render.setLight(ambient)
        app.base.cam.setPos(0, -3.2, 0)
        app.base.cam.lookAt(0, 0, 0)
        for _ in range(3):
            app.step(1 / 60)
        pixels: np.ndarray = app.capture()[:, :, :3].astype(float)
        return pixels
    finally:
        app.destroy()


def _local_contrast(pixels: np.ndarray) -> float:
    """Mean difference of each pixel from its neighbours, in the wall's middle."""
    grey = pixels.mean(axis=2)[48:144, 64:192]
    return float(np.abs(np.diff(grey, axis=0)).mean() + np.abs(np.diff(grey, axis=1)).mean())


def test_a_brick_wall_shows_relief_only_with_normal_maps(tmp_path: Path) -> None:
    brick = _wall(tmp_path, "red-brick")
    flat, mapped = _render(brick, False), _render(brick, True)
    assert mapped.mean() > 20, "the wall is lit"
    assert _local_contrast(mapped) > 1.15 * _local_contrast(flat), (
        _local_contrast(mapped), _local_contrast(flat))


def test_a_material_without_a_normal_map_looks_the_same_either_way(tmp_path: Path) -> None:
    plain = _wall(tmp_path, None)
    off, on = _render(plain, False), _render(plain, True)
    assert off.mean() > 20
    assert np.abs(off - on).mean() < 1.0
