"""Judgements: for each member and each visit or tour, the rule that applies, the evidence
the typed facts show, and every condition met or missed. Awards are made from these, and
the explanation a member reads is these, so the two cannot disagree. Pure: no database."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from protocol.credit import CreditRule
from server.credits.facts import (
    Fact,
    GuideStop,
    HotspotViewed,
    Joined,
    Left,
    LiveAnswer,
    QuizAnswered,
    QuizStarted,
    SceneCompleted,
    SceneLeft,
    TourEnded,
    TourStarted,
)
from server.credits.rules import (
    Condition,
    Evidence,
    GuideCredit,
    conditions,
    presence_seconds,
    tour_rule,
)
from server.live.plan import SceneOutline

Kind = Literal["visit", "exhibit", "tour", "lead", "replay"]


@dataclass(frozen=True)
class Judgement:
    """One possible award for one person: its ledger key, the rule's hours, the evidence
    and each condition. ``eligible`` when every condition is met."""

    key: str
    kind: Kind
    user: int
    year: int
    exhibit: str
    hours: float
    evidence: Evidence
    conditions: list[Condition]
    subject: dict[str, Any]
    tour: int | None = None  # the tour taken or led (tour and lead awards)
    scene: str | None = None
    verb: str = "passed"
    via_tour: int | None = None  # the tour an exhibit award is judged on

    @property
    def eligible(self) -> bool:
        return all(c.met for c in self.conditions)


@dataclass(frozen=True)
class Exhibit:
    """What a published version says about credits: its id, version, scenes in order with
    their rules, and the exhibit's own rule (if any)."""

    id: str
    version: str
    scenes: list[tuple[str, CreditRule]]
    rule: CreditRule | None

    @classmethod
    def from_manifest(cls, exhibit: str, version: str, manifest: dict[str, Any]) -> Exhibit:
        scenes = [(str(ref["id"]), CreditRule.model_validate(ref["credit"]))
                  for ref in manifest["scenes"]]
        if not scenes:
            raise ValueError(f"{exhibit} {version} has no scenes")
        extra = manifest.get("credit")
        return cls(exhibit, version, scenes,
                   CreditRule.model_validate(extra) if extra else None)


def year_of(moment: float) -> int:
    return datetime.fromtimestamp(moment, UTC).year


def visit_key(user: int, exhibit: str, scene: str, year: int) -> str:
    return f"visit/{user}/{exhibit}/{scene}/{year}"


def exhibit_key(user: int, exhibit: str, year: int) -> str:
    """The exhibit's extra award: one per member and year, by visits or by a tour."""
    return f"exhibit/{user}/{exhibit}/{year}"


def _count(name: str, required: float, actual: float) -> Condition:
    return Condition(name, required, actual, actual >= required)


# -- self-guided visits -----------------------------------------------------------------


def visit_evidence(facts: list[Fact], outline: SceneOutline) -> Evidence:
    """Across the year's visits to one scene: time present, distinct hotspots viewed, and
    the first answer to each quiz item."""
    seconds: dict[str, float] = defaultdict(float)
    seen: set[str] = set()
    first_answer: dict[str, bool] = {}
    for fact in facts:
        body = fact.body
        if isinstance(body, SceneLeft | SceneCompleted):
            session = str(body.session)
            seconds[session] = max(seconds[session], body.seconds)
        elif isinstance(body, HotspotViewed) and body.hotspot in outline.hotspots:
            seen.add(body.hotspot)
        elif isinstance(body, QuizAnswered) and body.item in outline.quiz:
            first_answer.setdefault(body.item, body.correct)
    return Evidence(minutes=sum(seconds.values()) / 60, hotspots_seen=len(seen),
                    hotspots_total=len(outline.hotspots),
                    quiz_right=sum(first_answer.values()), quiz_total=len(outline.quiz))


def judge_visits(user: int, year: int, exhibit: Exhibit, facts: list[Fact],
                 outlines: dict[str, SceneOutline], earned: set[str]) -> list[Judgement]:
    """A member's self-guided study of ``exhibit`` in ``year``: one judgement per scene,
    then the exhibit's extra award (every scene credited, and the exhibit's rule on the
    evidence of all of them), then each scene's replay award where its rule has one.
    ``earned``: award keys already in the ledger. Facts of a replay (``replay_of``) are no
    visit: they count only towards replay awards."""
    replays = [f for f in facts if replay_of(f) is not None]
    facts = [f for f in facts if replay_of(f) is None]
    found, parts = [], []
    for scene, rule in exhibit.scenes:
        own = [f for f in facts if f.scene == scene]
        evidence = visit_evidence(own, outlines[scene])
        parts.append(evidence)
        if not own:
            continue
        found.append(Judgement(
            visit_key(user, exhibit.id, scene, year), "visit", user, year, exhibit.id,
            rule.hours, evidence, conditions(rule, evidence),
            {"kind": "scene", "exhibit": exhibit.id, "version": exhibit.version,
             "scene": scene}, scene=scene))
    if exhibit.rule is not None and found:
        credited = {j.key for j in found if j.eligible} | earned
        done = sum(1 for scene, _ in exhibit.scenes
                   if visit_key(user, exhibit.id, scene, year) in credited)
        total = Evidence(minutes=sum(e.minutes for e in parts),
                         hotspots_seen=sum(e.hotspots_seen for e in parts),
                         hotspots_total=sum(e.hotspots_total for e in parts),
                         quiz_right=sum(e.quiz_right for e in parts),
                         quiz_total=sum(e.quiz_total for e in parts))
        found.append(Judgement(
            exhibit_key(user, exhibit.id, year), "exhibit", user, year, exhibit.id,
            exhibit.rule.hours, total,
            [_count("scenes", len(exhibit.scenes), done), *conditions(exhibit.rule, total)],
            {"kind": "exhibit", "exhibit": exhibit.id, "version": exhibit.version}))
    credited = {j.key for j in found if j.eligible} | earned
    return found + judge_replays(user, year, exhibit, replays, outlines, credited)


# -- replays of recorded tours ------------------------------------------------------------


def replay_of(fact: Fact) -> int | None:
    """The tour a fact's visit replayed, or None for a visit or a tour's own fact."""
    tour = getattr(fact.body, "replay_of", None)
    return tour if isinstance(tour, int) else None


def replay_key(user: int, exhibit: str, scene: str, year: int) -> str:
    return f"replay/{user}/{exhibit}/{scene}/{year}"


def judge_replays(user: int, year: int, exhibit: Exhibit, facts: list[Fact],
                  outlines: dict[str, SceneOutline], credited: set[str]) -> list[Judgement]:
    """Replays are never attendance: a scene whose rule has ``replay`` awards that share of
    its hours when the rule's conditions are met while replaying, unless the member is
    already credited for the scene by a visit or for a replayed tour by attending it.
    ``credited``: award keys in the ledger or eligible just now."""
    found = []
    for scene, rule in exhibit.scenes:
        own = [f for f in facts if f.scene == scene]
        if rule.replay is None or not own:
            continue
        tours = sorted({t for t in (replay_of(f) for f in own) if t is not None})
        evidence = visit_evidence(own, outlines[scene])
        already = visit_key(user, exhibit.id, scene, year) in credited or any(
            f"tour/{user}/{tour}" in credited for tour in tours)
        found.append(Judgement(
            replay_key(user, exhibit.id, scene, year), "replay", user, year, exhibit.id,
            round(rule.hours * rule.replay.share, 4), evidence,
            [Condition("not_credited_otherwise", 1, 0 if already else 1, not already),
             *conditions(rule, evidence)],
            {"kind": "replay", "exhibit": exhibit.id, "version": exhibit.version,
             "scene": scene, "tours": tours}, tour=tours[-1], scene=scene))
    return found


# -- guided tours -------------------------------------------------------------------------


@dataclass(frozen=True)
class TourFacts:
    """A tour's facts, typed, and what the tour's server saw of it."""

    tour: int
    guide: int
    facts: list[Fact]
    start: float | None = None
    end: float | None = None
    visited: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, tour: int, guide: int, facts: list[Fact], first_scene: str) -> TourFacts:
        ordered = sorted(facts, key=lambda f: (f.at, f.number))
        starts = [f.at for f in ordered if isinstance(f.body, TourStarted)]
        ends = [f.at for f in ordered if isinstance(f.body, TourEnded)]
        visited = {first_scene} | {f.body.scene for f in ordered
                                   if isinstance(f.body, GuideStop | QuizStarted)}
        return cls(tour, guide, ordered, starts[0] if starts else None,
                   ends[-1] if ends else None, visited)

    def intervals(self, user: int) -> list[tuple[float, float]]:
        """(joined, left) spans of one person; a stay with no recorded leave lasts to the
        end."""
        spans: list[tuple[float, float]] = []
        opened = None
        for fact in self.facts:
            if fact.user != user:
                continue
            if isinstance(fact.body, Joined) and opened is None:
                opened = fact.at
            elif isinstance(fact.body, Left) and opened is not None:
                spans.append((opened, fact.at))
                opened = None
        if opened is not None and self.end is not None:
            spans.append((opened, self.end))
        return spans

    def seconds(self, user: int) -> float:
        if self.start is None or self.end is None:
            return 0.0
        return presence_seconds(self.intervals(user), self.start, self.end)

    def evidence(self, user: int) -> Evidence:
        """What the tour's server saw of one member: presence, its share of the tour, and
        their right answers to the quiz items the guide started."""
        seconds = self.seconds(user)
        asked = {(f.body.scene, f.body.item) for f in self.facts
                 if isinstance(f.body, QuizStarted)}
        right = {(f.body.scene, f.body.item) for f in self.facts
                 if f.user == user and isinstance(f.body, LiveAnswer) and f.body.correct}
        length = self.end - self.start if self.start is not None and self.end is not None \
            else 0.0
        return Evidence(minutes=seconds / 60, quiz_right=len(right & asked),
                        quiz_total=len(asked),
                        tour_share=seconds / length if length > 0 else 0.0)


def judge_tour(tf: TourFacts, exhibit: Exhibit, guide_credit: GuideCredit) -> list[Judgement]:
    """Every member's tour award and exhibit award, and the guide's award for leading it.
    Quiz answers and the scenes shown count as the tour's server saw them; what members'
    clients reported themselves does not change the judgement."""
    ended = tf.start is not None and tf.end is not None
    start, end = (tf.start, tf.end) if ended else (0.0, 0.0)
    assert start is not None and end is not None
    year = year_of(start if ended else (tf.facts[0].at if tf.facts else 0.0))
    rules = [rule for scene, rule in exhibit.scenes if scene in tf.visited]
    rule = tour_rule(rules or [exhibit.scenes[0][1]])
    over = Condition("tour_ended", 1, 1 if ended else 0, ended)
    subject = {"kind": "tour", "tour": tf.tour, "exhibit": exhibit.id,
               "version": exhibit.version, "scenes": sorted(tf.visited)}
    found = []
    members = sorted({f.user for f in tf.facts} - {tf.guide})
    for user in members:
        evidence = tf.evidence(user)
        judged = Judgement(f"tour/{user}/{tf.tour}", "tour", user, year, exhibit.id,
                           rule.hours, evidence, [over, *conditions(rule, evidence)],
                           subject, tour=tf.tour)
        found.append(judged)
        if exhibit.rule is not None:
            all_scenes = len(exhibit.scenes)
            shown = sum(1 for scene, _ in exhibit.scenes if scene in tf.visited)
            found.append(Judgement(
                exhibit_key(user, exhibit.id, year), "exhibit", user, year, exhibit.id,
                exhibit.rule.hours, evidence,
                [Condition("tour_credited", 1, 1 if judged.eligible else 0, judged.eligible),
                 _count("scenes", all_scenes, shown), *conditions(exhibit.rule, evidence)],
                {"kind": "exhibit", "exhibit": exhibit.id, "version": exhibit.version,
                 "tour": tf.tour}, via_tour=tf.tour))
    if guide_credit.hours > 0:
        led = (end - start) / 60
        present = sum(1 for user in members if tf.seconds(user) > 0)
        found.append(Judgement(
            f"lead/{tf.guide}/{tf.tour}", "lead", tf.guide, year, exhibit.id,
            guide_credit.hours, Evidence(minutes=led),
            [over, Condition("minutes", guide_credit.min_minutes, led,
                             led > 0 and led + 1e-9 >= guide_credit.min_minutes),
             _count("participants", guide_credit.min_participants, present)],
            {"kind": "lead", "tour": tf.tour, "exhibit": exhibit.id,
             "version": exhibit.version, "scenes": sorted(tf.visited)},
            tour=tf.tour, verb="completed"))
    return found
