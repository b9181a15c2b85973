"""A roster file read into rows of text: XLSX, or CSV in UTF-8 or GBK (what Excel saves
on a Chinese Windows), with the column headers organizations use, in Chinese or English.

Nothing is trusted about the file: its size is bounded before it is read, an XLSX's
expanded size and a roster's rows are bounded too, and a file that is neither is
refused with what to save it as."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

from server.failures import BadRequest

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_EXPANDED_BYTES = 40 * 1024 * 1024  # an XLSX is a zip: what it may expand to
MAX_ROWS = 5000
MAX_COLUMNS = 60  # a roster has about ten; blank and note columns beside them are fine
# each field and the headers that name it (compared without spaces, '*' and case)
HEADERS = {
    "name": ("姓名", "name", "fullname", "displayname"),
    "username": ("用户名/工号", "用户名", "工号", "账号", "username", "employeeid", "staffid",
                 "account"),
    "phone": ("手机", "手机号", "手机号码", "联系电话", "phone", "mobile", "mobilephone"),
    "email": ("邮箱", "电子邮箱", "电子邮件", "email", "e-mail", "mail"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "idnumber", "idcard", "id"),
    "role": ("角色", "身份", "role"),
    "joined": ("入党日期", "入党时间", "joined", "joinedparty", "datejoined"),
}
REQUIRED = ("name", "username")


@dataclass(frozen=True)
class Row:
    """A row of the file: its number as a spreadsheet shows it (the header is row 1 of a
    file that starts with it) and its fields as text."""

    number: int
    fields: dict[str, str]


class RosterFileError(BadRequest):
    """The file as a whole cannot be read as a roster; ``code`` names why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)
        self.code = code


def _key(header: str) -> str:
    return re.sub(r"[\s*＊:：()（）_]", "", header).lower()


_LOOKUP = {_key(header): field for field, headers in HEADERS.items() for header in headers}


def _text(value: object) -> str:
    """A cell as the text a person typed: whole numbers without '.0' (a spreadsheet keeps
    a job number or a phone number as a number), dates as 2001-07-01."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).replace("\x00", "").strip()


def _table(cells: list[list[object]]) -> list[Row]:
    rows = [(number, [_text(c) for c in line]) for number, line in enumerate(cells, start=1)]
    rows = [(number, line) for number, line in rows if any(line)]
    if not rows:
        raise RosterFileError("empty", "the file has no rows")
    _, header = rows[0]
    columns = {index: _LOOKUP.get(_key(title)) for index, title in enumerate(header)}
    missing = [field for field in REQUIRED if field not in columns.values()]
    if missing:
        raise RosterFileError("missing_columns", "the first row must name the columns; "
                              f"missing: {', '.join(HEADERS[f][0] for f in missing)} "
                              f"({', '.join(missing)})")
    if len(rows) - 1 > MAX_ROWS:
        raise RosterFileError("too_many_rows", f"a roster has at most {MAX_ROWS} rows: "
                                               "split it by branch")
    out = []
    for number, line in rows[1:]:
        fields = {field: "" for field in HEADERS}
        for index, value in enumerate(line):
            field = columns.get(index)
            if field is not None and not fields[field]:
                fields[field] = value
        out.append(Row(number, fields))
    return out


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")  # GBK and what it grew into
    except UnicodeDecodeError:
        raise RosterFileError("encoding", "the CSV file is neither UTF-8 nor GBK text: "
                                          "save it as CSV UTF-8 or as an Excel workbook") from None


def _csv(data: bytes) -> list[list[object]]:
    text = _decode(data)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], ",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return [list(line) for line in csv.reader(io.StringIO(text), dialect)]
    except csv.Error as exc:
        raise RosterFileError("malformed", f"the CSV file cannot be read: {exc}") from None


def _xlsx(data: bytes) -> list[list[object]]:
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise RosterFileError("malformed", "the workbook is damaged") from None
    if expanded > MAX_EXPANDED_BYTES:
        raise RosterFileError("too_large", "the workbook expands to more than "
                                           f"{MAX_EXPANDED_BYTES // 2**20} MiB")
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001  (openpyxl raises many kinds on a damaged file)
        raise RosterFileError("malformed", "the workbook cannot be read: save it again "
                                           "as .xlsx") from None
    try:
        sheet = book.worksheets[0]
        # a sheet may claim a huge used range it does not fill: read only the columns a
        # roster has (and some to spare), never the claimed width
        if (sheet.max_column or 0) > MAX_COLUMNS:
            raise RosterFileError("malformed", f"the sheet has more than {MAX_COLUMNS} "
                                               "columns: keep only the roster's")
        cells: list[list[object]] = []
        for line in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS):
            cells.append(list(line))
            if len(cells) > MAX_ROWS + 50:  # blank rows aside, too many: stop reading
                break
        return cells
    finally:
        book.close()


def read_roster(data: bytes) -> list[Row]:
    """The rows of a roster file (XLSX or CSV); RosterFileError if it is not one."""
    if len(data) > MAX_FILE_BYTES:
        raise RosterFileError("too_large", "the file is larger than "
                                           f"{MAX_FILE_BYTES // 2**20} MiB")
    if not data.strip():
        raise RosterFileError("empty", "the file is empty")
    if data.startswith(b"PK\x03\x04"):
        return _table(_xlsx(data))
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise RosterFileError("old_excel", "this is an old Excel (.xls) file: save it as "
                                           ".xlsx or CSV")
    return _table(_csv(data))
