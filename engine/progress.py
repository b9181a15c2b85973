"""What a member has done in a scene: hotspots seen, stops reached, time, quiz score."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Progress:
    hotspots_total: int
    stops_total: int
    hotspots_seen: set[str] = field(default_factory=set)
    stops_reached: set[str] = field(default_factory=set)
    seconds: float = 0.0
    quiz_score: float = 0.0

    def update(self, dt: float) -> None:
        self.seconds += dt

    def summary(self, labels: dict[str, str]) -> str:
        minutes, seconds = divmod(int(self.seconds), 60)
        return (f"{labels['hotspots']} {len(self.hotspots_seen)}/{self.hotspots_total}   "
                f"{labels['stops']} {len(self.stops_reached)}/{self.stops_total}   "
                f"{labels['time']} {minutes}:{seconds:02d}   "
                f"{labels['score']} {round(self.quiz_score * 100)}%")
