"""Whether what a member did meets a credit rule (pure: no database, no clock).

:func:`conditions` is the one place a rule is applied: the awards are made from it, and
the explanation a member sees (which condition was met or missed) is the same list."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from pydantic import BaseModel, ConfigDict, Field

from protocol.credit import CreditRule

_EPSILON = 1e-9


@dataclass(frozen=True)
class Evidence:
    """What the facts show for one award: presence, hotspots, quiz, tour attendance."""

    minutes: float
    hotspots_seen: int = 0
    hotspots_total: int = 0
    quiz_right: int = 0
    quiz_total: int = 0
    tour_share: float | None = None  # share of the tour the member was present for

    def basis(self) -> dict[str, float | int | None]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class Condition:
    """One condition of a rule: what it requires, what the evidence shows, and whether
    that is enough. ``name`` is stable (minutes, hotspots, quiz, tour_share, scenes,
    tour_ended, tour_credited, participants); numbers are finite."""

    name: str
    required: float
    actual: float
    met: bool

    def as_json(self) -> dict[str, object]:
        return {"name": self.name, "required": _number(self.required),
                "actual": _number(self.actual), "met": self.met}


def _number(value: float) -> float | int:
    if isinstance(value, int):
        return value
    return round(value, 4) if math.isfinite(value) else 0.0


def conditions(rule: CreditRule, e: Evidence) -> list[Condition]:
    """Every condition ``rule`` sets, judged on ``e``; presence must also be more than
    nothing. Conditions a rule leaves out (a share of 0) are not listed."""
    found = [Condition("minutes", rule.min_minutes, e.minutes,
                       e.minutes > 0 and e.minutes + _EPSILON >= rule.min_minutes)]
    if rule.hotspot_share > 0:
        needed = math.ceil(rule.hotspot_share * e.hotspots_total - _EPSILON)
        found.append(Condition("hotspots", needed, e.hotspots_seen,
                               e.hotspots_total == 0 or e.hotspots_seen >= needed))
    if rule.quiz_pass > 0:
        score = e.quiz_right / e.quiz_total if e.quiz_total else 1.0
        found.append(Condition("quiz", rule.quiz_pass, score,
                               e.quiz_total == 0 or
                               e.quiz_right >= rule.quiz_pass * e.quiz_total - _EPSILON))
    if rule.tour_presence_share > 0 and e.tour_share is not None:
        found.append(Condition("tour_share", rule.tour_presence_share, e.tour_share,
                               e.tour_share + _EPSILON >= rule.tour_presence_share))
    return found


def _describe(c: Condition, e: Evidence, rule: CreditRule) -> str:
    if c.name == "minutes":
        return f"present {e.minutes:.1f} of {rule.min_minutes:g} minutes"
    if c.name == "hotspots":
        return (f"viewed {e.hotspots_seen} of {e.hotspots_total} hotspots "
                f"(needs {rule.hotspot_share:.0%})")
    if c.name == "quiz":
        return (f"answered {e.quiz_right} of {e.quiz_total} quiz items right "
                f"(needs {rule.quiz_pass:.0%})")
    return (f"present for {e.tour_share or 0:.0%} of the tour "
            f"(needs {rule.tour_presence_share:.0%})")


def unmet(rule: CreditRule, e: Evidence) -> list[str]:
    """The conditions of ``rule`` the evidence does not meet (empty: award it), in words
    for the log."""
    return [_describe(c, e, rule) for c in conditions(rule, e) if not c.met]


def tour_rule(scene_rules: list[CreditRule]) -> CreditRule:
    """A guided tour through some scenes: their hours add up, as do their minimum minutes;
    the strictest quiz mark and presence share apply. Hotspot coverage does not: the guide
    chooses what is shown."""
    return CreditRule(hours=min(8.0, sum(r.hours for r in scene_rules)),
                      min_minutes=sum(r.min_minutes for r in scene_rules),
                      quiz_pass=max(r.quiz_pass for r in scene_rules),
                      tour_presence_share=max(r.tour_presence_share for r in scene_rules))


class GuideCredit(BaseModel):
    """What leading a guided tour earns its guide (toward the guide's yearly target):
    ``hours`` for a tour of at least ``min_minutes`` with at least ``min_participants``
    members present; ``hours`` 0 turns it off."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    hours: float = Field(default=2.0, ge=0, le=8, description="学时 per tour led")
    min_minutes: float = Field(default=30.0, ge=0, le=24 * 60,
                               description="the shortest tour that counts, in minutes")
    min_participants: int = Field(default=1, ge=0, le=10_000,
                                  description="members present at some point of the tour")


def presence_seconds(intervals: list[tuple[float, float]], start: float, end: float) -> float:
    """Seconds of [start, end] covered by the (possibly overlapping) intervals."""
    covered, reach = 0.0, start
    for begin, finish in sorted(intervals):
        begin, finish = max(begin, reach), min(finish, end)
        if finish > begin:
            covered += finish - begin
            reach = finish
    return covered
