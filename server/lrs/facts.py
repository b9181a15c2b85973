"""Participation facts as xAPI statements: ADL verbs, stable activity ids under the site's
address, the tour (or the self-guided visit) as the registration, and the fact's own id as
the statement id, so a fact stored twice is one statement."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

ADL = "http://adlnet.gov/expapi/verbs/"
VERBS = {name: ADL + name for name in (
    "attended", "exited", "experienced", "interacted", "answered", "asked", "completed",
    "passed", "failed", "initialized", "terminated", "progressed")}
ACTIVITY_TYPES = {
    "exhibit": "http://adlnet.gov/expapi/activities/course",
    "scene": "http://adlnet.gov/expapi/activities/module",
    "tour": "http://activitystrea.ms/schema/1.0/event",
    "hotspot": "http://adlnet.gov/expapi/activities/interaction",
    "stop": "http://adlnet.gov/expapi/activities/objective",
    "quiz": "http://adlnet.gov/expapi/activities/cmi.interaction",
}
TOUR_NAMESPACE = uuid.UUID("6f1c8f0e-6c43-5a52-9d0e-3f5e2b7a9c11")
EXTENSION = "/xapi/extensions/"


def tour_registration(tour: int) -> str:
    """The registration every statement of one tour shares (the same on every server)."""
    return str(uuid.uuid5(TOUR_NAMESPACE, f"tour/{tour}"))


def duration(seconds: float) -> str:
    return f"PT{round(max(seconds, 0.0), 2):g}S"


@dataclass(frozen=True)
class Site:
    """Where identifiers live: the server's public address."""

    url: str

    @property
    def authority(self) -> dict[str, Any]:
        return {"objectType": "Agent", "name": "RedHall",
                "account": {"homePage": self.url, "name": "redhall"}}

    def member(self, user: int) -> dict[str, Any]:
        return {"objectType": "Agent", "account": {"homePage": self.url, "name": str(user)}}

    def activity_id(self, exhibit: str, *path: str) -> str:
        return f"{self.url}/xapi/activities/exhibits/{exhibit}" + "".join(f"/{p}" for p in path)

    def tour_id(self, tour: int) -> str:
        return f"{self.url}/xapi/activities/tours/{tour}"

    def extension(self, name: str) -> str:
        return f"{self.url}{EXTENSION}{name}"


def _activity(ident: str, kind: str, **definition: Any) -> dict[str, Any]:
    return {"objectType": "Activity", "id": ident,
            "definition": {"type": ACTIVITY_TYPES[kind], **definition}}


def statement(site: Site, fact_id: str, user: int, kind: str, at: float,
              detail: dict[str, Any], *, tour: int | None = None,
              exhibit: tuple[str, str] | None = None) -> dict[str, Any] | None:
    """The statement for one stored fact, or None for facts that are not learning
    records. ``exhibit`` is (id, version) for tour facts, whose detail lacks it."""
    inner = detail.get("fact")
    if inner is not None:  # a visit fact reported from inside a live tour
        return statement(site, fact_id, user, inner["kind"], at, inner, tour=tour)
    exhibit_id, version = exhibit or (detail["exhibit"], detail["exhibit_version"])
    scene = detail.get("scene")
    extensions: dict[str, Any] = {site.extension("exhibit-version"): version}
    if isinstance(detail.get("replay_of"), int):  # watched from a tour's recording
        extensions[site.extension("replay-of")] = site.tour_id(detail["replay_of"])
    parents, grouping = [], [_activity(site.activity_id(exhibit_id), "exhibit")]
    if tour is not None:
        grouping.append(_activity(site.tour_id(tour), "tour"))
    scene_activity = _activity(site.activity_id(exhibit_id, "scenes", scene), "scene") \
        if scene else None
    result: dict[str, Any] = {}
    if kind in ("joined", "left", "tour_started", "tour_ended", "hand_raised",
                "question_asked"):
        verb = {"joined": "attended", "left": "exited", "tour_started": "initialized",
                "tour_ended": "terminated", "hand_raised": "interacted",
                "question_asked": "asked"}[kind]
        target = _activity(site.tour_id(tour or 0), "tour")
        grouping = grouping[:1]
        if kind == "question_asked":
            result["response"] = detail.get("text", "")
        if kind == "hand_raised":
            extensions[site.extension("raised-hand")] = True
    elif kind in ("scene_entered", "scene_left", "scene_completed"):
        verb = {"scene_entered": "initialized", "scene_left": "experienced",
                "scene_completed": "completed"}[kind]
        target = scene_activity  # type: ignore[assignment]
        if "seconds" in detail:
            result["duration"] = duration(detail["seconds"])
        if kind == "scene_completed":
            result.update(completion=True,
                          score={"scaled": round(float(detail["quiz_score"]), 4)},
                          extensions={site.extension("hotspots-viewed"):
                                      detail["hotspots_viewed"],
                                      site.extension("hotspots-total"):
                                      detail["hotspots_total"]})
    elif kind == "stop_reached":
        verb = "experienced"
        target = _activity(site.activity_id(exhibit_id, "scenes", str(scene), "stops",
                                            detail["stop"]), "stop")
        parents = [scene_activity]
    elif kind == "hotspot_viewed":
        verb = "interacted"
        target = _activity(site.activity_id(exhibit_id, "scenes", str(scene), "hotspots",
                                            detail["hotspot"]), "hotspot")
        result["duration"] = duration(detail["dwell_seconds"])
        parents = [scene_activity]
    elif kind == "quiz_answered":
        verb = "answered"
        target = _activity(site.activity_id(exhibit_id, "scenes", str(scene), "quiz",
                                            detail["item"]), "quiz", interactionType="choice")
        result.update(response=str(detail["response"]), success=bool(detail["correct"]))
        parents = [scene_activity]
    else:
        return None  # quiz_started and the like steer a tour; they record no learning
    context: dict[str, Any] = {
        "registration": tour_registration(tour) if tour is not None else detail["session"],
        "platform": "RedHall", "extensions": extensions,
        "contextActivities": {"grouping": grouping, **({"parent": parents} if parents else {})}}
    made = {"id": fact_id, "actor": site.member(user),
            "verb": {"id": VERBS[verb], "display": {"en-US": verb}},
            "object": target, "context": context,
            "timestamp": datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z")}
    if result:
        made["result"] = result
    return made
