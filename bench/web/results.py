"""bench/results/web.json: the load figures by database and the Lighthouse scores, each
part written by its own run and kept when another part is measured again."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parents[2] / "bench/results/web.json"


def read() -> dict[str, Any]:
    """Every part measured so far."""
    found: dict[str, Any] = json.loads(RESULTS.read_text(encoding="utf-8")) \
        if RESULTS.exists() else {}
    return found


def update(parts: dict[str, Any]) -> None:
    """Replaces ``parts`` (top-level keys) in the results file, keeping the others."""
    kept = read()
    # the machine may be shared: how busy it was says how far to trust the figures
    machine = {"cores": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 1)}
    stamped = {name: {**part, "measured_at": time.strftime("%Y-%m-%d"), "machine": machine}
               for name, part in parts.items()}
    RESULTS.write_text(json.dumps({**kept, **stamped}, indent=2, ensure_ascii=False) + "\n",
                       encoding="utf-8")
    print(f"wrote {RESULTS}")
