"""The dashboard's periods: what ``?period=`` accepts, and how much of the yearly target
the pace asks for by a period's end."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from server.dashboard.period import Period
from server.failures import BadRequest


@pytest.mark.parametrize(("text", "year", "first", "last"), [
    ("2026", 2026, 1, 12), ("2026-Q1", 2026, 1, 3), ("2026-Q4", 2026, 10, 12),
    ("2026-09", 2026, 9, 9), ("2026-12", 2026, 12, 12)])
def test_a_period_is_a_year_a_quarter_or_a_month(text: str, year: int, first: int,
                                                 last: int) -> None:
    period = Period.parse(text)
    assert (period.year, period.first, period.last) == (year, first, last)
    assert period.name == text
    assert period.start == datetime(year, first, 1, tzinfo=UTC)


@pytest.mark.parametrize("text", ["", "26", "2026-13", "2026-00", "2026-Q0", "2026-Q5",
                                  "2026-9", "2026-q1", "1999", "2101", "２０２６",
                                  "2026-09-01", "2026 ", "x" * 1000])
def test_anything_else_is_refused_with_what_a_period_is(text: str) -> None:
    with pytest.raises(BadRequest, match="period"):
        Period.parse(text)


def test_the_last_period_of_a_year_ends_at_the_next_years_start() -> None:
    assert Period.parse("2026-12").end == datetime(2027, 1, 1, tzinfo=UTC)
    assert Period.parse("2026-Q2").end == datetime(2026, 7, 1, tzinfo=UTC)


def test_pace_is_a_twelfth_of_the_target_a_month() -> None:
    today = date(2030, 1, 1)  # every period below is over
    assert Period.parse("2026-Q3").share_due(today) == 0.75
    assert Period.parse("2026-09").share_due(today) == 0.75
    assert Period.parse("2026-01").share_due(today) == 1 / 12
    assert Period.parse("2026").share_due(today) == 1.0


def test_a_period_under_way_asks_for_the_pace_of_today() -> None:
    # 16 days of October's 31 gone by: 9 months and 16/31 of one
    assert Period.parse("2026").share_due(date(2026, 10, 16)) == pytest.approx(
        (9 + 16 / 31) / 12)
    assert Period.parse("2026-Q4").share_due(date(2026, 10, 16)) == pytest.approx(
        (9 + 16 / 31) / 12)
    assert Period.parse("2027").share_due(date(2026, 10, 16)) == 0.0  # not begun


def test_the_trend_runs_to_the_periods_end_or_this_month() -> None:
    assert Period.parse("2026-Q3").last_month_shown(date(2027, 2, 1)) == 9
    assert Period.parse("2026").last_month_shown(date(2026, 10, 16)) == 10
    assert Period.parse("2027").last_month_shown(date(2026, 10, 16)) == 0
