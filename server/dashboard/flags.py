"""When a branch is flagged, and why, in words; who is at risk. The thresholds are the
committee's usual expectations, named here rather than made settings until a committee
asks for others."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# a branch where fewer than 60 % of the members took part in the period is flagged
PARTICIPATION_FLOOR = 0.6
# a branch whose members average under 90 % of the 学时 the pace asks by the period's end
BEHIND_PACE = 0.9
# a member short of more than a quarter of what is due by the period's end is at risk
AT_RISK_MARGIN = 0.25

Translate = Callable[..., str]


def branch_flags(row: dict[str, Any], t: Translate) -> list[dict[str, str]]:
    """The reasons a branch is flagged: a stable code and the sentence a reader sees."""
    flags = []
    if row["members"] and row["participation_rate"] < PARTICIPATION_FLOOR:
        flags.append({"code": "low_participation",
                      "text": t("organizer.flag.low_participation",
                                rate=_percent(row["participation_rate"]),
                                floor=_percent(PARTICIPATION_FLOOR))})
    due = row["due_per_member"]
    if row["members"] and due > 0 and row["hours_to_date_per_member"] < due * BEHIND_PACE:
        flags.append({"code": "behind_pace",
                      "text": t("organizer.flag.behind_pace",
                                hours=f"{row['hours_to_date_per_member']:.1f}",
                                due=f"{due:.1f}")})
    return flags


def _percent(share: float) -> str:
    return f"{share * 100:.0f}%"
