"""Whether what a member did meets a credit rule (pure: no database, no clock)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from protocol.credit import CreditRule


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


def unmet(rule: CreditRule, e: Evidence) -> list[str]:
    """The conditions of ``rule`` the evidence does not meet (empty: award it)."""
    missing = []
    if e.minutes + 1e-9 < rule.min_minutes:
        missing.append(f"present {e.minutes:.1f} of {rule.min_minutes:g} minutes")
    if rule.hotspot_share > 0 and e.hotspots_total > 0 and \
            e.hotspots_seen < rule.hotspot_share * e.hotspots_total - 1e-9:
        missing.append(f"viewed {e.hotspots_seen} of {e.hotspots_total} hotspots "
                       f"(needs {rule.hotspot_share:.0%})")
    if rule.quiz_pass > 0 and e.quiz_total > 0 and \
            e.quiz_right < rule.quiz_pass * e.quiz_total - 1e-9:
        missing.append(f"answered {e.quiz_right} of {e.quiz_total} quiz items right "
                       f"(needs {rule.quiz_pass:.0%})")
    if rule.tour_presence_share > 0 and e.tour_share is not None and \
            e.tour_share + 1e-9 < rule.tour_presence_share:
        missing.append(f"present for {e.tour_share:.0%} of the tour "
                       f"(needs {rule.tour_presence_share:.0%})")
    return missing


def tour_rule(scene_rules: list[CreditRule]) -> CreditRule:
    """A guided tour through some scenes: their hours add up, as do their minimum minutes;
    the strictest quiz mark and presence share apply. Hotspot coverage does not: the guide
    chooses what is shown."""
    return CreditRule(hours=min(8.0, sum(r.hours for r in scene_rules)),
                      min_minutes=sum(r.min_minutes for r in scene_rules),
                      quiz_pass=max(r.quiz_pass for r in scene_rules),
                      tour_presence_share=max(r.tour_presence_share for r in scene_rules))


def presence_seconds(intervals: list[tuple[float, float]], start: float, end: float) -> float:
    """Seconds of [start, end] covered by the (possibly overlapping) intervals."""
    covered, reach = 0.0, start
    for begin, finish in sorted(intervals):
        begin, finish = max(begin, reach), min(finish, end)
        if finish > begin:
            covered += finish - begin
            reach = finish
    return covered
