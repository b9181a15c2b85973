"""Package thumbnails: each scene rendered offscreen by the engine (`redhall render`).

The pipeline does not import the engine; it runs the command on a provisional package,
so a thumbnail shows exactly what a member will see.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from tools.errors import PipelineError

SIZE = "480x270"


def render_thumbnails(package: Path, scenes: list[str]) -> dict[str, bytes]:
    """PNG bytes per scene id, seen from its spawn point without overlays."""
    out: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as folder:
        for scene in scenes:
            target = Path(folder) / f"{scene}.png"
            result = subprocess.run(
                [sys.executable, "-m", "redhall", "render", str(package), "--scene", scene,
                 "--size", SIZE, "--no-overlay", "--out", str(target)],
                capture_output=True, text=True, check=False)
            if result.returncode != 0 or not target.exists():
                tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
                raise PipelineError(f"rendering the thumbnail of `{scene}` failed: "
                                    + " / ".join(tail)
                                    + "\n    hint: build with --no-thumbnails to skip them")
            out[scene] = target.read_bytes()
    return out
