"""The period a dashboard shows: a year (``2026``), a quarter (``2026-Q3``) or a month
(``2026-09``), and how much of the yearly target is due by its end."""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime

from protocol.api import FIRST_YEAR, LAST_YEAR
from server.failures import BadRequest

_FORMS = re.compile(r"(?P<year>\d{4})(?:-(?:Q(?P<quarter>[1-4])|(?P<month>0[1-9]|1[0-2])))?")


@dataclass(frozen=True)
class Period:
    """Whole months ``first``..``last`` (1..12, inclusive) of one calendar ``year``: 学时
    count per calendar year, so no period spans two."""

    year: int
    first: int
    last: int

    @classmethod
    def parse(cls, text: str) -> Period:
        found = _FORMS.fullmatch(text) if text.isascii() else None
        if found is None:
            raise BadRequest(f"period must be YYYY, YYYY-Qn or YYYY-MM, not {text[:20]!r}")
        year = int(found["year"])
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise BadRequest(f"period's year lies within {FIRST_YEAR}..{LAST_YEAR}")
        if found["quarter"]:
            quarter = int(found["quarter"])
            return cls(year, 3 * quarter - 2, 3 * quarter)
        if found["month"]:
            return cls(year, int(found["month"]), int(found["month"]))
        return cls(year, 1, 12)

    @property
    def name(self) -> str:
        """As it is written in ``?period=``."""
        if (self.first, self.last) == (1, 12):
            return str(self.year)
        if self.first == self.last:
            return f"{self.year}-{self.first:02d}"
        return f"{self.year}-Q{self.last // 3}"

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.first, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The first moment after the period."""
        return _month_start(self.year, self.last + 1)

    def month_bounds(self, month: int) -> tuple[datetime, datetime]:
        return _month_start(self.year, month), _month_start(self.year, month + 1)

    def last_month_shown(self, today: date) -> int:
        """The trend runs from January to the period's last month, or to this month."""
        if today.year != self.year:
            return self.last if today.year > self.year else 0
        return min(self.last, today.month)

    def share_due(self, today: date) -> float:
        """The share of the yearly target due by the period's end (or by today, when the
        period is not over yet).

        Pace is linear by calendar month: each month is one twelfth of the target, and a
        month under way counts for the share of its days gone by. At the end of September
        9/12 = 75 % is due; on 16 October 9/12 + 16/31 · 1/12 ≈ 79.3 %."""
        last_day = date(self.year, self.last, monthrange(self.year, self.last)[1])
        cutoff = min(last_day, today)
        if cutoff.year < self.year:
            return 0.0
        days_in_month = monthrange(cutoff.year, cutoff.month)[1]
        return ((cutoff.month - 1) + cutoff.day / days_in_month) / 12


def _month_start(year: int, month: int) -> datetime:
    return datetime(year + (month - 1) // 12, (month - 1) % 12 + 1, 1, tzinfo=UTC)
