"""Engine commands: `redhall render` (offscreen image) and `redhall view` (desktop/VR)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any, cast

from rich.console import Console

from engine.errors import EngineError
from tools.keys import load_public

ENGINE_CACHE = Path("var/cache/engine")


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"size `{text}` should look like 960x540") from exc
    if not (16 <= width <= 8192 and 16 <= height <= 8192):
        raise argparse.ArgumentTypeError("each side must be between 16 and 8192 pixels")
    return width, height


def _trusted(args: argparse.Namespace) -> Any:
    return [load_public(Path(p)) for p in args.trust] if args.trust else None


def _render(args: argparse.Namespace, out: Console, err: Console) -> int:
    from engine.render import RenderRequest, render

    path = render(RenderRequest(Path(args.package), args.scene, Path(args.out), args.size,
                                args.stop, args.stereo, args.lang, not args.no_overlay),
                                _trusted(args),
                  ENGINE_CACHE)
    out.print(f"wrote {path}")
    return 0


def _view(args: argparse.Namespace, out: Console, err: Console) -> int:
    recording = None
    if args.replay:  # checked first: a bad recording is said before any window opens
        from engine.replay_recording import load_recording

        if args.tour:
            raise EngineError("--replay replays a recorded tour; it cannot join --tour too")
        recording = load_recording(Path(args.replay))
    if args.xr == "openxr":  # say at once, before a window opens, when there is no runtime
        from engine.openxr_headset import require_runtime

        require_runtime()
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        raise EngineError("no display to open a window on; use `redhall render` for an "
                          "offscreen image, or run under a desktop session")
    from panda3d.core import WindowProperties

    from engine.app import ExhibitApp
    from engine.desktop import DesktopControls
    from engine.loading import load_exhibit
    from engine.outbox import FactSink, Outbox
    from engine.view import ExhibitView

    exhibit = load_exhibit(Path(args.package), _trusted(args), ENGINE_CACHE)
    if recording is not None:
        manifest = exhibit.package.manifest
        note = recording.check_package(manifest.id, str(manifest.version))
        if note:
            err.print(f"[yellow]{note}[/]")
    sink: FactSink = Outbox(Path(args.outbox))
    cmi5 = None
    if args.cmi5:
        from engine.cmi5 import Cmi5Session, Launch, Tee

        scenes = exhibit.package.manifest.scenes
        scene = next((s for s in scenes if s.id == args.scene), scenes[0])
        cmi5 = Cmi5Session(Launch.from_url(args.cmi5), pass_mark=scene.credit.quiz_pass or None)
        cmi5.start()
        sink = Tee(sink, cmi5)
    if recording is not None:
        from engine.replay import ReplayFacts

        sink = ReplayFacts(sink, recording.tour)  # a replay is never attendance
    app = ExhibitApp("onscreen", (1280, 720))
    session = link = None
    if args.tour:
        from engine.guide_controls import GuideControls
        from engine.member_controls import MemberControls
        from engine.tour_bar import TourBar
        from engine.tour_facts import TourFactSink
        from engine.tour_link import TourLink
        from engine.tour_scenes import TourSession

        if not args.token:
            raise EngineError("--tour needs --token (a bearer token: POST /api/auth/tokens)")
        link = TourLink(args.tour, args.token)
        # Facts go to the tour while it is on, then to the outbox (see engine/tour_facts).
        tour_sink = TourFactSink(link, sink)
        # The tour decides the scene: the one it is in now, then each the guide moves to.
        session = TourSession.open(app, exhibit, link, link.connect(), args.lang, args.xr,
                                   tour_sink)
        tour = session.tour  # the same through every scene change
        tour_sink.ended = lambda: tour.ended
        view = session.view
        GuideControls(view, session.tour)  # steers only while this seat is guide or co-guide
        MemberControls(session, TourBar(session))
    else:
        view = ExhibitView(app, exhibit, args.scene, args.lang, xr=args.xr, sink=sink)
    replay = None
    if recording is not None:
        from engine.replay import ReplaySystem
        from engine.replay_controls import bind_replay_keys

        replay = ReplaySystem(view, recording, ENGINE_CACHE / "replay")
        bind_replay_keys(app.base, replay)
        if replay.audio_missing:
            err.print(f"[yellow]{replay.audio_missing}[/]")
    # the keys follow the view of the scene a tour (or a replay of one) is in
    DesktopControls(view, session.tour if session else cast(Any, replay))
    if view.xr is not None:
        view.xr.mirror()  # the window shows what the headset's eyes see
        view.xr.on_exit.append(app.base.taskMgr.stop)  # the member quit from the headset

    def entitle(shown: ExhibitView) -> None:
        title = WindowProperties()
        title.setTitle(f"RedHall — {shown.scene.script.title.get(args.lang)}")
        app.base.win.requestProperties(title)

    entitle(view)
    if session is not None:
        session.on_scene_change.append(entitle)
    if replay is not None:
        replay.on_scene_change.append(entitle)
    try:
        app.run()
    finally:
        shown = session.view if session is not None else replay.view if replay else view
        shown.leave()
        if shown.xr is not None:
            shown.xr.close()
        if link is not None:
            link.close()
        if cmi5 is not None:
            for failure in cmi5.terminate():
                err.print(f"[yellow]cmi5 statement not sent:[/] {failure}")
    return 0


def _deliver(args: argparse.Namespace, out: Console, err: Console) -> int:
    import asyncio

    from engine.delivery import deliver
    from engine.outbox import Outbox

    outbox = Outbox(Path(args.outbox))
    count = asyncio.run(deliver(outbox, args.server, args.token))
    out.print(f"delivered {count} participation fact(s); {len(outbox.pending())} pending")
    return 0


def register(commands: Any) -> None:
    p = commands.add_parser("render", help="render a scene offscreen to a PNG")
    p.add_argument("package")
    p.add_argument("--scene", help="scene id (default: the first)")
    p.add_argument("--stop", type=int, help="route stop number, from 1 (default: spawn)")
    p.add_argument("--out", required=True, help="PNG file to write")
    p.add_argument("--size", type=_size, default=(960, 540), help="WxH (default 960x540)")
    p.add_argument("--stereo", action="store_true", help="both eyes side by side")
    p.add_argument("--no-overlay", action="store_true",
                   help="scene only: no panels or hotspot markers (thumbnails)")
    p.add_argument("--lang", default="zh-CN", choices=["zh-CN", "zh-TW", "en"])
    p.add_argument("--trust", action="append", help="trusted publisher public key")
    p.set_defaults(run=_render)

    p = commands.add_parser("view", help="visit a scene on the desktop or in VR")
    p.add_argument("package")
    p.add_argument("--scene", help="scene id (default: the first)")
    p.add_argument("--lang", default="zh-CN", choices=["zh-CN", "zh-TW", "en"])
    p.add_argument("--xr", default="none", choices=["none", "simulated", "openxr"])
    p.add_argument("--trust", action="append", help="trusted publisher public key")
    p.add_argument("--outbox", default="var/outbox", help="folder for participation facts")
    p.add_argument("--tour", help="join a live tour: ws://host:port/api/tours/ID/live")
    p.add_argument("--token", help="bearer token for --tour")
    p.add_argument("--replay", metavar="RECORDING", help="replay a recorded tour: its "
                   "index (<sha256>.json) with the files it names beside it; F5 pause, "
                   "F6/F7 back/forward 10 s, F8 speed 1×/1.5×")
    p.add_argument("--cmi5", metavar="LAUNCH_URL", help="launched by an LMS: the URL with "
                   "endpoint, fetch, actor, registration and activityId")
    p.set_defaults(run=_view)

    p = commands.add_parser("deliver", help="send a self-guided visit's participation facts "
                                            "to the server")
    p.add_argument("--server", required=True, help="server address, e.g. http://host:8080")
    p.add_argument("--token", required=True, help="bearer token (redhall: POST /api/auth/tokens)")
    p.add_argument("--outbox", default="var/outbox", help="folder of the outbox")
    p.set_defaults(run=_deliver)
