"""Scratch databases for a benchmark: a new SQLite file or a new PostgreSQL database on this
machine's server, so that each run starts empty; and the results file the figures of
each go to."""

from __future__ import annotations

import contextlib
import json
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg

PG_ADMIN = "postgresql://root@127.0.0.1:5432/test"


def scratch_sqlite(prefix: str) -> str:
    """The URL of a SQLite file in a new temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix=f"{prefix}-"))
    return f"sqlite+aiosqlite:///{folder}/bench.db"


@contextlib.asynccontextmanager
async def scratch_postgresql(prefix: str) -> AsyncIterator[str]:
    """The URL of a new PostgreSQL database, dropped when the block ends."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+asyncpg://root@127.0.0.1:5432/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


DATABASES = ("sqlite", "postgresql")


async def on_each(names: list[str], label: str,
                  measure: Callable[[str, str], Awaitable[dict[str, Any]]]
                  ) -> dict[str, dict[str, Any]]:
    """``measure(name, url)`` on a scratch database of each kind named, by name."""
    results = {}
    if "sqlite" in names:
        results["sqlite"] = await measure("sqlite", scratch_sqlite(f"redhall-{label}"))
    if "postgresql" in names:
        async with scratch_postgresql(f"redhall_{label}") as url:
            results["postgresql"] = await measure("postgresql", url)
    return results


def write_results(out: Path, results: dict[str, Any]) -> None:
    """Writes the figures; a database not measured this time keeps its last ones."""
    if out.exists():
        kept = json.loads(out.read_text(encoding="utf-8"))
        results = {**results, **{name: kept[name] for name in DATABASES
                                 if name in kept and name not in results}}
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out}")
