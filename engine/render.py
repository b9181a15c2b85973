"""`redhall render`: an offscreen image of a scene from its spawn point or a route stop.

A stop is reached the way a visitor reaches it, through the view (see :func:`stage`), so
the status line and the subtitles are those a visitor sees there.
"""

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


def stage(view: ExhibitView, stop: int | None, overlay: bool = True) -> None:
    """Set ``view`` up as a render shows it: at route stop ``stop`` (from 1) or the spawn.

    The route is followed up to the stop, as a visitor would, so the status line counts
    the stops passed and the narration panel shows the stop's words in the view's
    language. Without ``overlay`` the panels, the quiz card and the markers are hidden.
    """
    if stop is not None:
        stops = view.scene.script.route
        if not 1 <= stop <= len(stops):
            raise EngineError(f"--stop {stop}: the scene has {len(stops)} stops, "
                              "numbered from 1")
        for passed in stops[:stop]:
            view.go_to_stop(passed.id)
    if not overlay:
        view.status.hide()
        view.narration.hide()
        view.quiz_card.hide()
        view.hotspots.root.hide()


def render(request: RenderRequest, trusted: list[Ed25519PublicKey] | None,
           cache: Path) -> Path:
    """Render and write a PNG; returns its path."""
    exhibit = load_exhibit(request.package, trusted, cache)
    app = ExhibitApp("offscreen", request.size, ManualClock())
    try:
        view = ExhibitView(app, exhibit, request.scene, request.language,
                           xr="simulated" if request.stereo else "none")
        stage(view, request.stop, request.overlay)
        for _ in range(3):
            app.step(1 / 60)
        pixels = view.stereo_capture() if request.stereo else app.capture()
        request.out.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels).save(request.out)
    finally:
        app.destroy()
    return request.out
