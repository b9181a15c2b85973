"""Every CSV and XLSX the server hands out is written by server.spreadsheets: whatever text
goes in, nothing in the file can run as a formula, and nothing makes writing it fail."""

from __future__ import annotations

import csv
import io
import math
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook  # type: ignore[import-untyped]

from server.spreadsheets import (
    EXCEL_MAX,
    FORMULA_START,
    as_csv,
    as_xlsx,
    cell,
    safe_text,
    sheet_title,
)

# any text at all, lone surrogates and control characters included
ANY_TEXT = st.text(alphabet=st.characters(codec=None, categories=None), max_size=60)
RISKY = st.sampled_from(["=", "+", "-", "@", "\t", "\r", "\n", "\x07", "\x00", "\ud800",
                         "'", "#N/A", "=HYPERLINK(", "\x1b="])
TEXT = st.one_of(ANY_TEXT, st.lists(st.one_of(RISKY, ANY_TEXT), max_size=6).map("".join))
NUMBER = st.one_of(st.integers(-10**12, 10**12), st.floats(allow_nan=True,
                                                           allow_infinity=True))


def _csv_cells(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header=st.lists(TEXT, min_size=1, max_size=3),
       rows=st.lists(st.lists(TEXT, min_size=1, max_size=4), max_size=4), title=TEXT)
def test_no_text_becomes_a_formula_and_nothing_fails(header: list[str],
                                                      rows: list[list[str]],
                                                      title: str) -> None:
    book = load_workbook(io.BytesIO(as_xlsx(header, rows, title)))
    sheet = book.active
    for line in sheet.iter_rows():
        for found in line:
            assert found.data_type != "f", found.value
            assert found.value is None or found.data_type == "s", found.value
    for line in _csv_cells(as_csv(header, rows)):
        for value in line:
            assert not value.startswith(FORMULA_START), value


@settings(max_examples=100, deadline=None)
@given(value=TEXT)
def test_safe_text_keeps_what_it_can(value: str) -> None:
    safe = safe_text(value)
    assert not safe.startswith(FORMULA_START)
    safe.encode("utf-8")  # no lone surrogates
    kept = safe[1:] if safe.startswith("'") and not value.startswith("'") else safe
    assert set(kept) <= set(value)


def test_text_that_looks_like_a_formula_is_quoted() -> None:
    for risky in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "\n=1", "\x07=1"):
        assert safe_text(risky).startswith("'"), risky
    for plain in ("王小明", "a=b", "1-2", "", "第一党支部"):
        assert safe_text(plain) == plain
    assert safe_text("王\x07小\x00明\ud800") == "王小明"


@settings(max_examples=100, deadline=None)
@given(number=NUMBER)
def test_numbers_stay_numbers_when_finite(number: float) -> None:
    book = load_workbook(io.BytesIO(as_xlsx(["n"], [[number]], "n")))
    written = book.active["A2"].value
    if isinstance(number, float) and not math.isfinite(number):
        assert written is None and cell(number) is None
    elif abs(number) > EXCEL_MAX:  # beyond what Excel holds: kept exactly, as text
        assert written == safe_text(repr(number))
    else:
        assert book.active["A2"].data_type == "n"
        assert math.isclose(written, number, rel_tol=1e-14)  # (as many digits as Excel keeps)
    (_, (text,)) = _csv_cells(as_csv(["n"], [[number]]))
    assert text == ("" if cell(number) is None else str(cell(number)))


def test_cells_of_each_kind() -> None:
    assert cell(None) is None and cell(3) == 3 and cell(Decimal("1.50")) == Decimal("1.50")
    assert cell(Decimal("NaN")) is None and cell(Decimal("-Infinity")) is None
    assert cell(True) == "True"  # callers put booleans in words; never a number here
    data = as_xlsx(["a", "b", "c"], [["#N/A", Decimal("2.5"), "'quoted"]], "x")
    sheet = load_workbook(io.BytesIO(data)).active
    assert [(c.value, c.data_type) for c in sheet[2]] == [
        ("#N/A", "s"), (2.5, "n"), ("'quoted", "s")]
    assert sheet.freeze_panes == "A2"


def test_sheet_titles_are_ones_a_workbook_accepts() -> None:
    assert sheet_title("导览出勤") == "导览出勤"
    assert sheet_title("a/b\\c*d?e:f[g]h") == "abcdefgh"
    assert sheet_title("x" * 40) == "x" * 31
    assert sheet_title("\x07[]") == "Sheet" and sheet_title("'") == "Sheet"


def test_long_text_fits_a_cell() -> None:
    sheet = load_workbook(io.BytesIO(as_xlsx(["a"], [["=" + "x" * 40_000]], "t"))).active
    assert sheet["A2"].value.startswith("'=") and len(sheet["A2"].value) == 32_767
