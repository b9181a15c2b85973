"""Physically based shading through simplepbr, degrading instead of crashing.

simplepbr's shadows crash Mesa's llvmpipe, so they stay off there; if the PBR pipeline
cannot start at all, Panda3D's auto-shader takes over and the reason is kept. Normal maps
are on: the packages' preset materials (brick, plaster, wood, stone...) carry them with
tangents written by the build (tools/glb.py), and panda3d-gltf computes tangents for any
other textured model. Two things would darken every other surface, so both are mended:
a mesh without UVs has no tangents, and simplepbr's vertex shader normalizes the zero
vector it reads instead (NaN on llvmpipe), so it is given a tangent across its normal;
and a material without a normal map would sample Panda3D's white default (a tilted
normal), so the scene's root carries a flat one that any model's own map overrides.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from direct.task import Task
from panda3d.core import PTA_LVecBase3f, Texture, TextureStage

from engine.app import ExhibitApp

log = logging.getLogger(__name__)
SOFTWARE_RENDERERS = ("llvmpipe", "softpipe", "swrast")
_SIMPLEPBR_TASK = "simplepbr update"


@dataclass
class ShadingMode:
    pipeline: str          # "simplepbr" or "auto-shader"
    shadows: bool
    reason: str = ""


def enable_shading(app: ExhibitApp, shadows: bool = True,
                   normal_maps: bool = True) -> ShadingMode:
    """Start simplepbr on the app's window; shadows only on hardware that survives them."""
    software = any(name in app.renderer.lower() for name in SOFTWARE_RENDERERS)
    use_shadows = shadows and not software
    try:
        import simplepbr

        normal_maps = normal_maps and _mend_tangents()
        pipeline = simplepbr.init(
            render_node=app.render, window=app.base.win, camera_node=app.base.cam,
            taskmgr=app.base.taskMgr, msaa_samples=0, max_lights=4, enable_shadows=use_shadows,
            enable_fog=True, use_normal_maps=normal_maps)
    except Exception as exc:  # noqa: BLE001  any driver/shader failure: degrade to the auto-shader
        log.warning("simplepbr unavailable (%s); using the auto-shader", exc)
        app.render.setShaderAuto()
        return ShadingMode("auto-shader", False, str(exc))
    if normal_maps:
        _flat_normals(app)
    if not use_shadows:
        _camera_position_in_place(app, pipeline)
    reason = "software renderer: shadows off" if software and shadows else ""
    return ShadingMode("simplepbr", use_shadows, reason)


def _flat_normals(app: ExhibitApp) -> None:
    """A 1x1 'straight up' normal map under everything, in the last texture stage, so a
    model's own normal map (an earlier stage) is the one its shader samples."""
    flat = Texture("flat-normal")
    flat.setup2dTexture(1, 1, Texture.T_unsigned_byte, Texture.F_rgb)
    flat.setRamImage(bytes((255, 128, 128)))  # BGR: x = y = 0.5 (no tilt), z = 1
    stage = TextureStage("flat-normal")
    stage.setMode(TextureStage.M_normal)
    stage.setSort(1_000_000)
    app.render.setTexture(stage, flat)


def _camera_position_in_place(app: ExhibitApp, pipeline: Any) -> None:
    """simplepbr's frame task sets the camera's position as a shader input on the scene's
    root, which makes a new render state at the root each frame the camera moves, and so
    every state composed below it anew (about 140 a frame in Luding: cull's work, then
    Panda3D's state sweep). Here the input is an array bound once and rewritten in place.
    Without shadows its task does nothing else but copy the window's background colour."""
    buffers = getattr(getattr(pipeline, "_filtermgr", None), "buffers", None)
    if not buffers or not app.base.taskMgr.hasTaskNamed(_SIMPLEPBR_TASK):
        log.warning("simplepbr's frame task changed; it keeps setting the camera input")
        return
    position = PTA_LVecBase3f.emptyArray(1)
    app.render.setShaderInput("camera_world_position", position)
    window, scene_buffer = app.base.win, buffers[0]
    camera, render = app.base.cam, app.render

    def update(task: Task.Task) -> int:
        scene_buffer.setClearColor(window.getClearColor())  # setBackgroundColor() works
        position.setElement(0, camera.getPos(render))
        return int(Task.cont)

    app.base.taskMgr.remove(_SIMPLEPBR_TASK)
    app.add_task(update, _SIMPLEPBR_TASK, sort=49)


_TANGENT_ANCHOR = "    vec4 view_position = p3d_ModelViewMatrix * model_position;"
_TANGENT_FALLBACK = """    if (dot(model_tangent, model_tangent) < 1e-12) {  // redhall: no tangents
        model_tangent = abs(model_normal.x) < 0.9 ? cross(model_normal, vec3(1.0, 0.0, 0.0))
                                                  : cross(model_normal, vec3(0.0, 1.0, 0.0));
    }
"""


def _mend_tangents() -> bool:
    """Give simplepbr's vertex shader a tangent for meshes that have none; False (normal
    maps stay off) when this simplepbr's shader is not the one this was written for."""
    from simplepbr import shaders as packaged

    table = getattr(packaged, "shaders", None)
    if not isinstance(table, dict):
        log.warning("simplepbr keeps no shader table; normal maps stay off")
        return False
    source = table.get("simplepbr.vert")
    if not isinstance(source, str) or source.count(_TANGENT_ANCHOR) != 1:
        log.warning("simplepbr's vertex shader changed; normal maps stay off")
        return False
    if _TANGENT_FALLBACK not in source:
        table["simplepbr.vert"] = source.replace(_TANGENT_ANCHOR,
                                                 _TANGENT_FALLBACK + _TANGENT_ANCHOR)
    return True
