"""Statement rows written and looked up straight through the database driver.

A Core insert processes each row's parameters in Python, which costs more than the
database's own work. On SQLite, rows also go as one multi-row ``INSERT … VALUES`` rather
than one execution each: every execution lets go of the GIL and takes it back, and on a
busy server each take waits for the event loop's thread to reach a switch point, so a
group written row by row spends much of its time waiting for the loop.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Connection

# SQLite's default limit on bound parameters per statement (999 before 3.32)
_SQLITE_PARAMETERS = 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999
_MOST_ROWS = 1000  # per statement, so its SQL text stays small


def _marks(connection: Connection, count: int) -> list[str]:
    if connection.dialect.paramstyle == "qmark":
        return ["?"] * count
    return [f"${i}" for i in range(1, count + 1)]


def _chunks(rows: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [rows[start:start + size] for start in range(0, len(rows), size)]


def insert(connection: Connection, table: str, names: Sequence[str],
           rows: Sequence[tuple[Any, ...]]) -> list[int]:
    """Inserts rows already in the driver's terms. On SQLite, answers the rowids the rows
    got (one statement numbers its rows one after another, up to the last rowid it
    reports); elsewhere []."""
    if not rows:
        return []
    head = f"INSERT INTO {table} ({', '.join(names)}) VALUES "
    if connection.dialect.name != "sqlite":
        connection.exec_driver_sql(head + f"({', '.join(_marks(connection, len(names)))})",
                                   list(rows))
        return []
    one = f"({', '.join('?' * len(names))})"
    rowids: list[int] = []
    for chunk in _chunks(rows, min(_MOST_ROWS, _SQLITE_PARAMETERS // len(names))):
        last = connection.exec_driver_sql(head + ", ".join([one] * len(chunk)),
                                          tuple(value for row in chunk for value in row)
                                          ).lastrowid
        rowids += range(last - len(chunk) + 1, last + 1)
    return rowids


def select_in(connection: Connection, query: str, values: Sequence[Any]) -> list[Any]:
    """The rows of ``query``, whose one ``{}`` (an ``IN`` list) is filled with the values,
    500 at a time."""
    found: list[Any] = []
    for chunk in _chunks(values, 500):
        marks = ", ".join(_marks(connection, len(chunk)))
        found += connection.exec_driver_sql(query.format(marks), tuple(chunk)).all()
    return found
