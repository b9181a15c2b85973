"""Engine figures for each sample scene, side by side with plain panda3d-gltf loading.

- cold load: verify the package, convert every model (glTF -> BAM) and build the scene;
- warm load: the same with the BAM cache filled (a second visit);
- peer: ``loader.loadModel`` of the same full-detail GLB files with panda3d-gltf, no cache;
- frame CPU: mean process CPU time of one frame at 64x36 pixels, so rasterization does
  not dominate, with 50 remote avatars moving and the scene's narrator speaking (a
  hotspot's narration started as the timing starts: lip-sync, gesture and the head turning
  toward the member, who walks a slow arc); on llvmpipe this includes the software GPU's
  vertex work; ``systems_ms`` is the main thread's CPU time inside the engine's systems
  (CPU, not wall time: on a busy machine it does not count the waits for a core), and
  ``narrator_ms`` the narrator's share of it;
- frame split (PStats, ``frame_split``): app, cull and Panda's draw submission, whose sum
  is the engine's CPU time per frame (the 4 ms goal), apart from the GL driver's time;
- draw calls: Geoms in the levels of detail the camera selects, plus markers and avatars.
Writes bench/results/engine.json.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from panda3d.core import Filename, LODNode, NodePath, Vec3

from bench.engine.frame_split import split
from engine.app import ExhibitApp
from engine.avatars import AvatarPose
from engine.clock import ManualClock
from engine.loading import load_exhibit
from engine.view import ExhibitView

ROOT = Path(__file__).resolve().parents[2]
SCENES = {"nanhu-red-boat": "founding", "first-congress-site": "founding",
          "zunyi-conference": "long-march", "luding-bridge": "long-march"}


def _visit(package: Path, scene: str, cache: Path, size: tuple[int, int]
           ) -> tuple[float, ExhibitApp, ExhibitView]:
    app = ExhibitApp("offscreen", size, ManualClock())
    started = time.perf_counter()
    view = ExhibitView(app, load_exhibit(package, None, cache), scene)
    return time.perf_counter() - started, app, view


def _peer_load(package: Path, scene: str, cache: Path) -> float:
    exhibit = load_exhibit(package, None, cache)
    files = [exhibit.file(p.levels[0].path) for p in exhibit.scene(scene).props]
    app = ExhibitApp("offscreen", (64, 36), ManualClock())
    started = time.perf_counter()
    root = NodePath("peer")
    for path in files:
        app.base.loader.loadModel(Filename.fromOsSpecific(str(path)), noCache=True).reparentTo(
            root)
    elapsed = time.perf_counter() - started
    app.destroy()
    return elapsed


def _draw_calls(view: ExhibitView) -> int:
    camera = view.app.base.camera
    total = 0
    holders = {holder.node(): holder for holder in view.nodes.props.values()}
    for holder in holders.values():  # props drawn as one batch share their holder
        lod: LODNode = holder.node()
        distance = (holder.getPos(view.app.render) - camera.getPos(view.app.render)).length()
        for index in range(lod.getNumSwitches()):
            if lod.getOut(index) <= distance < lod.getIn(index):
                child = holder.getChild(index)
                total += sum(n.node().getNumGeoms() for n in child.findAllMatches("**/+GeomNode"))
    extra = view.app.render.findAllMatches("**/hotspots/**/+GeomNode")
    extra += view.app.render.findAllMatches("**/avatars/**/+GeomNode")
    return int(total + sum(n.node().getNumGeoms() for n in extra))


def _narrated(view: ExhibitView) -> str:
    """The first hotspot with narration that the scene's narrator speaks."""
    narrator = view.narrator
    assert narrator is not None, f"{view.scene.script.id} has no narrator"
    return next(h.id for h in view.scene.script.hotspots
                if narrator.speaks(h.id) and h.id in view.scene.audio)


def _frame_ms(view: ExhibitView, frames: int = 240) -> tuple[float, float, float, float]:
    """(process CPU ms, wall ms, ms inside the engine's own systems, ms of those in the
    narrator) per frame."""
    clock = view.app.clock
    for i in range(50):
        view.avatars.receive(f"p{i}", AvatarPose(clock.now(), (i % 10 - 5.0, -8 - i // 10, 1.6),
                                                 0.0, (0, 0, 1), (0, 0, 1)))
    for _ in range(10):
        view.app.step(1 / 90)
    inside = [0.0, 0.0]
    originals = [system.update for system in view.app.systems]
    for system, original in zip(view.app.systems, originals):
        slot = 1 if system is view.narrator else 0

        def timed(dt: float, original=original, slot=slot) -> None:  # type: ignore[no-untyped-def]
            t0 = time.thread_time()
            original(dt)
            inside[slot] += time.thread_time() - t0

        system.update = timed  # type: ignore[method-assign]
    camera = view.app.base.camera
    start = camera.getPos(view.app.render)
    hotspot = _narrated(view)
    try:
        # the narration's Ogg and lip-sync track load once, before the timed frames; the
        # narrator speaks, turns and gestures from the first of them
        view.select(hotspot)
        started, wall = time.process_time(), time.perf_counter()
        inside[:] = [0.0, 0.0]
        for frame in range(frames):
            now = clock.now()
            if frame % 4 == 0:  # 20 Hz pose updates at 90 Hz frames
                for i in range(50):
                    x = i % 10 - 5.0 + math.sin(now + i) * 0.5
                    view.avatars.receive(f"p{i}", AvatarPose(now, (x, -8 - i // 10, 1.6),
                                                             now * 10, (x - 0.2, -7.7, 1.1),
                                                             (x + 0.2, -7.7, 1.1)))
            # the member walks a slow arc, so the narrator's head keeps following
            camera.setPos(view.app.render, start + Vec3(math.sin(now) * 1.5, math.cos(now) - 1, 0))
            view.app.step(1 / 90)
        assert view.narrator is not None and view.narrator.track is not None, "not speaking"
    finally:  # unwrapped again, so a second measurement times the systems only once
        for system, original in zip(view.app.systems, originals):
            system.update = original  # type: ignore[method-assign]
        view.close_panel()
        camera.setPos(view.app.render, start)
    return ((time.process_time() - started) / frames * 1000,
            (time.perf_counter() - wall) / frames * 1000, (inside[0] + inside[1]) / frames * 1000,
            inside[1] / frames * 1000)


def _measure(scene: str) -> dict[str, object]:
    package = ROOT / "var/exhibits" / f"{SCENES[scene]}-1.0.0.exhibit"
    cache = Path(tempfile.mkdtemp(prefix="redhall-bench-"))
    cold, app, _ = _visit(package, scene, cache, (64, 36))
    app.destroy()
    warm, app, view = _visit(package, scene, cache, (64, 36))
    frame, wall, systems, narrator = _frame_ms(view)
    parts = split(lambda: _frame_ms(view, 120))
    calls = _draw_calls(view)
    app.destroy()
    peer = _peer_load(package, scene, cache)
    shutil.rmtree(cache)
    return {"scene": scene, "cold_s": cold, "warm_s": warm, "peer_gltf_s": peer,
            "warm_vs_peer": warm / peer, "frame_cpu_ms": frame, "frame_wall_ms": wall,
            "systems_ms": systems, "narrator_ms": narrator, "narrator_speaking": True,
            "draw_calls": calls,
            **{k: v for k, v in parts.items() if k != "frames"}}


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--scene":  # one scene, in a process of its own
        print(json.dumps(_measure(sys.argv[2])))
        return
    # Each scene in a fresh process, so one scene's caches and garbage do not weigh on the
    # next scene's frames.
    # PStats times are wall times: on a machine busy with other work they grow with the
    # waits for a core, so the load during the run is kept with the figures.
    load = [os.getloadavg()[0]]
    rows = []
    for scene in SCENES:
        done = subprocess.run([sys.executable, "-m", "bench.engine.measure", "--scene", scene],
                              cwd=ROOT, check=True, capture_output=True, text=True)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"{'scene':22} {'cold s':>7} {'warm s':>7} {'gltf s':>7} {'warm/gltf':>9} "
          f"{'cpu ms':>7} {'systems':>7} {'narr.':>5} | {'app':>5} {'cull':>5} {'submit':>6} "
          f"{'engine':>6} {'driver':>6} | {'draws':>5}")
    for r in rows:
        print(f"{r['scene']:22} {r['cold_s']:7.2f} {r['warm_s']:7.2f} {r['peer_gltf_s']:7.2f} "
              f"{r['warm_vs_peer']:9.2f} {r['frame_cpu_ms']:7.2f} {r['systems_ms']:7.2f} "
              f"{r['narrator_ms']:5.2f} | "
              f"{r['app_ms']:5.2f} {r['cull_ms']:5.2f} {r['submission_ms']:6.2f} "
              f"{r['engine_ms']:6.2f} {r['driver_ms']:6.2f} | {r['draw_calls']:5d}")
    out = ROOT / "bench/results/engine.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    load.append(os.getloadavg()[0])
    print(f"load average (1 min) {load[0]:.1f} at the start, {load[1]:.1f} at the end, on "
          f"{os.cpu_count()} cores")
    out.write_text(json.dumps({"rows": rows, "load_average": load, "cores": os.cpu_count()},
                              indent=2) + "\n")


if __name__ == "__main__":
    main()
