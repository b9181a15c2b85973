"""A quiz item the guide has put to the group; the first answer of each member counts."""

from __future__ import annotations

from dataclasses import dataclass, field

from protocol import tour as wire


@dataclass
class OpenQuiz:
    item: str
    choices: int
    answer: int
    answers: dict[int, int] = field(default_factory=dict)  # seat -> choice
    closed: bool = False

    def state(self, eligible: int) -> wire.QuizState:
        counts = [0] * self.choices
        for choice in self.answers.values():
            counts[choice] += 1
        return wire.QuizState(item=self.item, choices=self.choices, counts=counts,
                              answered=len(self.answers), eligible=eligible, closed=self.closed,
                              answer=self.answer if self.closed else None)
