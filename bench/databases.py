"""Scratch databases for a benchmark: a new SQLite file or a new PostgreSQL database on this
machine's server, so that each run starts empty."""

from __future__ import annotations

import contextlib
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

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
