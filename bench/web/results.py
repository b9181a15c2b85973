"""bench/results/web.json: the load figures by database and the Lighthouse scores, each
part written by its own run and kept when another part is measured again."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parents[2] / "bench/results/web.json"


def update(parts: dict[str, Any]) -> None:
    """Replaces ``parts`` (top-level keys) in the results file, keeping the others."""
    kept = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    stamped = {name: {**part, "measured_at": time.strftime("%Y-%m-%d")}
               for name, part in parts.items()}
    RESULTS.write_text(json.dumps({**kept, **stamped}, indent=2, ensure_ascii=False) + "\n",
                       encoding="utf-8")
    print(f"wrote {RESULTS}")
