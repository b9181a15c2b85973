"""What a tour needs to know about its exhibit and its people before it starts."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SceneOutline:
    stops: tuple[str, ...]
    hotspots: frozenset[str]
    quiz: dict[str, tuple[int, int]]  # item -> (number of choices, right answer)


@dataclass(frozen=True)
class TourPlan:
    tour: int
    guide: int  # user id
    capacity: int
    scenes: dict[str, SceneOutline]
    first_scene: str
    reserved: frozenset[int] = field(default_factory=frozenset)  # registered members
    hold_seconds: float = 60.0
    exhibit: str | None = None  # the package's manifest id and version
    exhibit_version: str | None = None


def outline(scene: object) -> SceneOutline:
    """The parts of a packaged scene's script a tour steers by."""
    script = scene.script  # type: ignore[attr-defined]
    return SceneOutline(stops=tuple(s.id for s in script.route),
                        hotspots=frozenset(h.id for h in script.hotspots),
                        quiz={q.id: (len(q.choices), q.answer) for q in script.quiz})
