"""Build time and output size: RedHall's prop pipeline vs `gltf-transform optimize`.

Both get the same source GLBs from assets/. gltf-transform runs with options Panda3D can
load (no Draco or meshopt compression, no KTX2/WebP textures) and its default weld,
simplify, join and prune; RedHall runs its full per-prop path (import, repair, merge by
material, a 3-level LOD chain, textures, collision proxy). Each tool is timed as a whole
process, best of ``--repeat`` runs, and the ratio RedHall / peer is printed.
Writes bench/results/pipeline.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NPX = ["npx", "--no-install", "gltf-transform"]
PEER_OPTIONS = ["--compress", "false", "--texture-compress", "false", "--texture-size", "2048"]
REDHALL_SNIPPET = """
import sys
from pathlib import Path
from protocol.scene import Prop
from tools.cache import BuildCache
from tools.props import BuildOptions, build_prop
prop = Prop(id="bench", model=sys.argv[1], lod=[1.0, 0.4, 0.1])
out = build_prop(prop, Path(sys.argv[2]), BuildOptions(), BuildCache(None))
print(sum(len(d) for d in out.files.values()), len(out.files[out.prop.levels[0].path]))
"""


def _best(command: list[str], repeat: int) -> tuple[float, str]:
    best, output = float("inf"), ""
    for _ in range(repeat):
        started = time.perf_counter()
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
        best = min(best, time.perf_counter() - started)
        output = result.stdout
    return best, output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sources = sorted((ROOT / "assets").glob("*/*.glb"))
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for source in sources:
            relative = str(source.relative_to(ROOT / "assets"))
            ours, printed = _best([sys.executable, "-c", REDHALL_SNIPPET,
                                   f"assets/{relative}", str(ROOT)], args.repeat)
            total, lod0 = (int(x) for x in printed.split())
            target = Path(folder) / source.name
            peer, _ = _best([*NPX, "optimize", str(source), str(target), *PEER_OPTIONS],
                            args.repeat)
            rows.append({"model": relative, "source_bytes": source.stat().st_size,
                         "redhall_s": ours, "redhall_lod0_bytes": lod0,
                         "redhall_all_lods_bytes": total, "peer_s": peer,
                         "peer_bytes": target.stat().st_size})
        baseline_ours, _ = _best([sys.executable, "-c", "import tools.props"], args.repeat)
        baseline_peer, _ = _best([*NPX, "--version"], args.repeat)
    print(f"{'model':38} {'src KB':>8} {'ours s':>7} {'peer s':>7} {'t ratio':>7} "
          f"{'ours KB':>8} {'peer KB':>8} {'size ratio':>10}")
    for r in rows:
        print(f"{r['model']:38} {r['source_bytes'] / 1e3:8.1f} {r['redhall_s']:7.2f} "
              f"{r['peer_s']:7.2f} {r['redhall_s'] / r['peer_s']:7.2f} "
              f"{r['redhall_lod0_bytes'] / 1e3:8.1f} {r['peer_bytes'] / 1e3:8.1f} "
              f"{r['redhall_lod0_bytes'] / r['peer_bytes']:10.2f}")
    total_ours = sum(r["redhall_s"] for r in rows)
    total_peer = sum(r["peer_s"] for r in rows)
    size_ours = sum(r["redhall_lod0_bytes"] for r in rows)
    size_peer = sum(r["peer_bytes"] for r in rows)
    print(f"total: time ratio {total_ours / total_peer:.2f} (RedHall {total_ours:.2f} s incl. "
          f"its 3 LOD levels and collision; peer {total_peer:.2f} s); LOD0 size ratio "
          f"{size_ours / size_peer:.2f}")
    print(f"process start-up alone: RedHall {baseline_ours:.2f} s, peer {baseline_peer:.2f} s")
    results = ROOT / "bench/results/pipeline.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps({"rows": rows, "time_ratio": total_ours / total_peer,
                                   "size_ratio": size_ours / size_peer,
                                   "startup_s": {"redhall": baseline_ours,
                                                 "peer": baseline_peer}}, indent=2) + "\n")


if __name__ == "__main__":
    main()
