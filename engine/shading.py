"""Physically based shading through simplepbr, degrading instead of crashing.

simplepbr's shadows crash Mesa's llvmpipe, so they stay off there; if the PBR pipeline
cannot start at all, Panda3D's auto-shader takes over and the reason is kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from engine.app import ExhibitApp

log = logging.getLogger(__name__)
SOFTWARE_RENDERERS = ("llvmpipe", "softpipe", "swrast")


@dataclass
class ShadingMode:
    pipeline: str          # "simplepbr" or "auto-shader"
    shadows: bool
    reason: str = ""


def enable_shading(app: ExhibitApp, shadows: bool = True) -> ShadingMode:
    """Start simplepbr on the app's window; shadows only on hardware that survives them."""
    software = any(name in app.renderer.lower() for name in SOFTWARE_RENDERERS)
    use_shadows = shadows and not software
    try:
        import simplepbr

        simplepbr.init(render_node=app.render, window=app.base.win, camera_node=app.base.cam,
                       taskmgr=app.base.taskMgr, msaa_samples=0, max_lights=4,
                       enable_shadows=use_shadows, enable_fog=True, use_normal_maps=False)
    except Exception as exc:  # noqa: BLE001  any driver/shader failure: degrade to the auto-shader
        log.warning("simplepbr unavailable (%s); using the auto-shader", exc)
        app.render.setShaderAuto()
        return ShadingMode("auto-shader", False, str(exc))
    reason = "software renderer: shadows off" if software and shadows else ""
    return ShadingMode("simplepbr", use_shadows, reason)
