"""The dashboard as a spreadsheet: CSV holds its main table (the branches, or a branch's
members); the workbook holds that and, on sheets of their own, the members at risk, the
monthly trend and the exhibits. Headings in the reader's language; every text cell made
safe to open by :mod:`server.spreadsheets`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from server import spreadsheets
from server.dashboard.flags import Translate
from server.web.catalogue import catalogue

Table = tuple[str, list[str], list[list[Any]]]  # sheet title, headings, rows

_BRANCHES = ("name", "members", "active", "participation_rate", "hours", "hours_per_member",
             "hours_to_date_per_member", "due_per_member", "pace", "at_risk", "flags")
_MEMBERS = ("name", "username", "hours", "hours_to_date", "target", "due", "shortfall",
            "active", "at_risk")
_AT_RISK = ("name", "username", "org", "hours_to_date", "due", "shortfall")
_TREND = ("month", "hours", "active")
_EXHIBITS = ("exhibit", "members", "awards", "hours")


def _value(key: str, value: Any, t: Translate) -> Any:
    if key == "flags":
        return t("organizer.separator").join(flag["text"] for flag in value)
    if isinstance(value, bool):
        return t("organizer.yes" if value else "organizer.no")
    return value


def _heading(table: str, key: str, t: Translate) -> str:
    """The column's heading in this table if it has its own, else the shared one."""
    own = f"organizer.col.{table}.{key}"
    return t(own) if own in catalogue() else t(f"organizer.col.{key}")


def _table(name: str, keys: Sequence[str], rows: list[dict[str, Any]], t: Translate
           ) -> Table:
    return (t(f"organizer.sheet.{name}"), [_heading(name, key, t) for key in keys],
            [[_value(key, row[key], t) for key in keys] for row in rows])


def tables(view: dict[str, Any], t: Translate) -> list[Table]:
    main = (_table("members", _MEMBERS, view["members"], t) if view["level"] == "branch"
            else _table("branches", _BRANCHES, view["branches"], t))
    return [main, _table("at_risk", _AT_RISK, view["at_risk"], t),
            _table("trend", _TREND, view["trend"], t),
            _table("exhibits", _EXHIBITS, view["exhibits"], t)]


def as_csv(view: dict[str, Any], t: Translate) -> bytes:
    _, headings, rows = tables(view, t)[0]
    return spreadsheets.as_csv(headings, rows)


def as_xlsx(view: dict[str, Any], t: Translate) -> bytes:
    """One sheet a table, header rows frozen (see :func:`server.spreadsheets.as_xlsx_sheets`)."""
    return spreadsheets.as_xlsx_sheets(tables(view, t))
