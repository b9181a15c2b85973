"""Quizzes: answer an item, see whether it was right and why, keep the score."""

from __future__ import annotations

from dataclasses import dataclass, field

from protocol.scene import QuizItem


@dataclass(frozen=True)
class QuizResult:
    item: str
    response: int
    correct: bool
    answer: int


@dataclass
class QuizSession:
    items: list[QuizItem]
    answers: dict[str, QuizResult] = field(default_factory=dict)

    def item(self, item_id: str) -> QuizItem:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(f"no quiz item `{item_id}` in this scene")

    def for_hotspot(self, hotspot_id: str) -> list[QuizItem]:
        return [i for i in self.items if i.hotspot == hotspot_id and i.id not in self.answers]

    def remaining(self) -> list[QuizItem]:
        return [i for i in self.items if i.id not in self.answers]

    def answer(self, item_id: str, response: int) -> QuizResult:
        """Record the first answer to an item; later answers to it do not count."""
        if item_id in self.answers:
            return self.answers[item_id]
        item = self.item(item_id)
        if not 0 <= response < len(item.choices):
            raise ValueError(f"choice {response} does not exist for quiz item `{item_id}`")
        result = QuizResult(item_id, response, response == item.answer, item.answer)
        self.answers[item_id] = result
        return result

    @property
    def score(self) -> float:
        """Share of all items answered right (0 when the scene has no quiz)."""
        if not self.items:
            return 0.0
        return sum(r.correct for r in self.answers.values()) / len(self.items)
