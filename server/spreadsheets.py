"""Tables for people to open in a spreadsheet program: CSV (UTF-8 with a byte-order mark,
so Excel shows Chinese names right) and XLSX. Every report and attendance sheet the server
hands out is written here, and nothing in one can run:

* text is always text: a cell that starts like a formula (``=``, ``+``, ``-``, ``@``, a
  tab or a line break) gets a leading apostrophe, as OWASP advises against CSV
  injection, and every XLSX text cell is stored with the string type;
* characters XML cannot hold (control characters, lone surrogates) are left out, so
  no name, title or warning can make a sheet fail to be written;
* numbers stay numbers, finite ones only (not-a-number and infinities become empty).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

Cell = str | int | float | Decimal | None

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
# what XML 1.0 cannot hold (tab, line feed and carriage return it can), and lone
# surrogates, which no encoding can
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_TITLE_UNWANTED = re.compile(r"[\\/*?:\[\]]")
MAX_TEXT = 32_767  # the most characters an XLSX cell holds
MAX_TITLE = 31  # ...and a sheet's name


def safe_text(value: str) -> str:
    """``value`` as a cell no spreadsheet will run or refuse: unwritable characters left
    out, then a leading apostrophe if it starts like a formula."""
    cleaned = _UNWRITABLE.sub("", value)
    return "'" + cleaned if cleaned.startswith(FORMULA_START) else cleaned


EXCEL_MAX = 9.99999999999999e307


def cell(value: object) -> Cell:
    """What a cell holds: finite numbers as they are, nothing as nothing, everything else
    as safe text (a bool too: callers put it in words first)."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        # Excel keeps 15 digits and nothing above 9.99999999999999E+307: a larger number
        # would come back as infinity, so it is written out in words instead.
        return value if abs(value) <= EXCEL_MAX else safe_text(repr(value))
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    return safe_text(value if isinstance(value, str) else str(value))


def as_csv(header: Sequence[object], rows: Iterable[Sequence[object]]) -> bytes:
    """The table as CSV, UTF-8 with a byte-order mark."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([cell(value) for value in header])
    writer.writerows([cell(value) for value in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def sheet_title(title: str) -> str:
    """A name a workbook accepts for a sheet (no ``\\ / * ? : [ ]``, at most 31
    characters, not empty)."""
    cleaned = _TITLE_UNWANTED.sub("", _UNWRITABLE.sub("", title)).strip("'")[:MAX_TITLE]
    return cleaned or "Sheet"


Sheet = tuple[str, Sequence[object], Iterable[Sequence[object]]]  # title, header, rows


def as_xlsx(header: Sequence[object], rows: Iterable[Sequence[object]], title: str) -> bytes:
    """The table as a one-sheet workbook named ``title``, header row frozen."""
    return as_xlsx_sheets([(title, header, rows)])


def as_xlsx_sheets(sheets: Iterable[Sheet]) -> bytes:
    """A workbook of one sheet a ``(title, header, rows)`` table, in order, each header
    row frozen."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = book.create_sheet(sheet_title(title))
        sheet.freeze_panes = "A2"
        sheet.append(_line(sheet, header))
        for row in rows:
            sheet.append(_line(sheet, row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _line(sheet: Any, values: Sequence[object]) -> list[Any]:
    from openpyxl.cell import WriteOnlyCell

    cells = []
    for value in values:
        held = cell(value)
        if isinstance(held, str):
            written = WriteOnlyCell(sheet, held[:MAX_TEXT])
            written.data_type = "s"  # never a formula, nor an error code like #N/A
        else:
            # openpyxl writes a Decimal as a number; its stubs leave Decimal out
            written = WriteOnlyCell(sheet, held)  # type: ignore[arg-type]
        cells.append(written)
    return cells
