"""`redhall render`: an offscreen image of a scene from its spawn point or a route stop."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from PIL import Image

from engine.app import ExhibitApp
from engine.clock import ManualClock
from engine.errors import EngineError
from engine.loading import load_exhibit
from engine.view import ExhibitView


@dataclass(frozen=True)
class RenderRequest:
    package: Path
    scene: str | None
    out: Path
    size: tuple[int, int] = (960, 540)
    stop: int | None = None
    stereo: bool = False
    language: str = "zh-CN"
    overlay: bool = True


def render(request: RenderRequest, trusted: list[Ed25519PublicKey] | None,
           cache: Path) -> Path:
    """Render and write a PNG; returns its path."""
    exhibit = load_exhibit(request.package, trusted, cache)
    app = ExhibitApp("offscreen", request.size, ManualClock())
    try:
        view = ExhibitView(app, exhibit, request.scene, request.language,
                           xr="simulated" if request.stereo else "none")
        if request.stop is not None:
            stops = view.scene.script.route
            if not 1 <= request.stop <= len(stops):
                raise EngineError(f"--stop {request.stop}: the scene has {len(stops)} stops, "
                                  "numbered from 1")
            view.navigation.teleport_to_stop(stops[request.stop - 1].id)
        if not request.overlay:
            view.status.hide()
            view.narration.hide()
            view.hotspots.root.hide()
        for _ in range(3):
            app.step(1 / 60)
        pixels = view.stereo_capture() if request.stereo else app.capture()
        request.out.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels).save(request.out)
    finally:
        app.destroy()
    return request.out
