"""Where a frame's time goes, from Panda3D's own profiler (PStats) through ``text-stats``.

On Mesa's llvmpipe the "GPU" is the CPU: vertex shading and rasterization run inside the
GL driver calls, so a frame's CPU time there is mostly work a graphics card would do. The
PStats collectors tell the two apart:

- ``app``: the frame's tasks, the engine's systems among them, and the bounding volumes
  of what they moved;
- ``cull``: walking the scene graph and choosing levels of detail;
- ``submission``: Panda's side of drawing (setting state and shader inputs, preparing
  primitives, binding buffers, munging vertices);
- ``driver``: the rest of each display region's draw time, which is inside the GL
  driver: on llvmpipe its software vertex and fragment work.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from panda3d.core import PStatClient

from bench.serving import free_port

_FRAME = re.compile(r"^Thread Main frame \d+")
_LINE = re.compile(r"^( +)(.*?) = (-?[\d.e+-]+) ms$")
# Draw's children that are Panda's own work; the display regions' time is the driver's.
_SUBMISSION = ("Set State", "Primitive", "Bind FBO", "Make current", "Check errors")


def _frames(text: str) -> list[dict[str, float]]:
    """Each frame's collector times in ms, keyed by path ("Draw/Set State")."""
    frames: list[dict[str, float]] = []
    path: list[str] = []
    for line in text.splitlines():
        if _FRAME.match(line):
            frames.append({})
            path = []
            continue
        match = _LINE.match(line)
        if not match or not frames:
            continue
        depth = len(match.group(1)) // 2 - 1
        path = [*path[:depth], match.group(2)]
        frames[-1]["/".join(path)] = float(match.group(3))
    return frames


def split(run_frames: Callable[[], object], skip: int = 10) -> dict[str, float]:
    """Mean ms per frame of app, cull, submission and driver while ``run_frames`` runs."""
    port = free_port()
    out = Path(tempfile.mkdtemp(prefix="redhall-pstats-")) / "stats.txt"
    server = subprocess.Popen([str(Path(sys.executable).parent / "text-stats"), "-p", str(port),
                               "-o", str(out)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            if PStatClient.connect("127.0.0.1", port):
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("text-stats did not accept a PStats connection")
        run_frames()
        PStatClient.disconnect()
        time.sleep(0.5)  # let text-stats write the last frames
    finally:
        server.terminate()
        server.wait()
    frames = _frames(out.read_text())[skip:-2]
    if not frames:
        raise RuntimeError("text-stats recorded no frames")
    total: dict[str, float] = defaultdict(float)
    for frame in frames:
        for key, ms in frame.items():
            total[key] += ms / len(frames)
    submission = sum(total[f"Draw/{name}"] for name in _SUBMISSION) + total["*/Munge"]
    app = total["App"] + total["*/Bounds"]  # bounding volumes follow what the app moved
    return {"app_ms": app, "cull_ms": total["Cull"], "submission_ms": submission,
            "driver_ms": total["Draw"] - sum(total[f"Draw/{name}"] for name in _SUBMISSION),
            "engine_ms": app + total["Cull"] + submission,
            "frames": float(len(frames))}
