"""bench/results/web.json as Markdown tables, for bench/web/README.md.

    .venv/bin/python -m bench.web.table
"""

from __future__ import annotations

import json
from typing import Any

from bench.databases import DATABASES
from bench.web.results import RESULTS


def _parts(measured: dict[str, Any]) -> list[str]:
    """The load parts: each database's, then each labelled one (``sqlite-before``)."""
    return [name for database in DATABASES for name in sorted(measured)
            if name == database or name.startswith(f"{database}-")]


def load_table(measured: dict[str, Any]) -> list[str]:
    lines = ["| database | as | path | req/s | p50 ms | p99 ms | answers | not 200 | "
             "unfinished | client cpu |", "|---|---|---|--:|--:|--:|--:|--:|--:|--:|"]
    for database in _parts(measured):
        for path, f in measured[database]["load"].items():
            over = "" if f["measured_over"] == "window" else " (whole run)"
            lines.append(f"| {database} | {f['as']} | `{path}` | {f['requests_per_s']}{over} | "
                         f"{f['p50_ms']} | {f['p99_ms']} | {f['answers']} | {f['not_200']} | "
                         f"{f['unfinished']} | {f['client_cpu']} |")
    return lines


def alone_table(measured: dict[str, Any]) -> list[str]:
    lines = ["| database | path | status | 5 answers in a row, ms |", "|---|---|--:|---|"]
    for database in _parts(measured):
        for path, f in (measured[database].get("alone") or {}).items():
            lines.append(f"| {database} | `{path}` | {f['status']} | "
                         f"{', '.join(str(ms) for ms in f['ms'])} |")
    return lines


def lighthouse_table(measured: dict[str, Any]) -> list[str]:
    lines = ["| page | as | performance | accessibility | FCP | LCP | TBT | CLS |",
             "|---|---|--:|--:|--:|--:|--:|--:|"]
    for path, f in measured.get("lighthouse", {}).get("pages", {}).items():
        if "error" in f:
            lines.append(f"| `{path}` | {f['as']} | {f['error']} | | | | | |")
            continue
        m = f["metrics"]
        lines.append(f"| `{path}` | {f['as']} | {f['scores']['performance']} | "
                     f"{f['scores']['accessibility']} | {m['first-contentful-paint']} | "
                     f"{m['largest-contentful-paint']} | {m['total-blocking-time']} | "
                     f"{m['cumulative-layout-shift']} |")
    return lines


def main() -> None:
    measured = json.loads(RESULTS.read_text(encoding="utf-8"))
    for table in (load_table, alone_table, lighthouse_table):
        print("\n".join(table(measured)) + "\n")


if __name__ == "__main__":
    main()
