"""The quiz card: a question with one button per choice, answered by pointing.

The same card serves the desktop (on the 2D overlay, clicked with the mouse or answered
with F1–F4) and the headset (floating in the world, pointed at with a controller ray and
answered with the trigger). Buttons are flat rectangles in the card's own plane, so a
pointer from either is one ray–plane intersection, with no collision system involved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from panda3d.core import (
    CardMaker,
    NodePath,
    Point3,
    TextFont,
    TextNode,
    TransparencyAttrib,
    Vec3,
)

from engine.panel import ACCENT, PANEL_COLOUR, TEXT_COLOUR, flat, text
from engine.quiz import QuizResult
from protocol.i18n import Language
from protocol.scene import QuizItem

BUTTON = (0.22, 0.2, 0.19, 0.95)
HOVER = (0.45, 0.33, 0.2, 1.0)
RIGHT = (0.16, 0.5, 0.24, 1.0)
WRONG = (0.62, 0.14, 0.12, 1.0)
_TEXT = 0.05
_PAD = 0.03
RESULT_SECONDS = 8.0  # a verdict stays this long, then the card makes way


@dataclass
class _Button:
    card: NodePath
    label: NodePath
    frame: tuple[float, float, float, float]  # left, right, bottom, top in card units


class QuizCard:
    """One quiz item at a time: its prompt, its choices as buttons, then the verdict."""

    def __init__(self, parent: NodePath, font: TextFont, width: float) -> None:
        self.root = parent.attachNewNode("quiz-card")
        self.font = font
        self.width = width
        self.background = self.root.attachNewNode(self._card("quiz-background", width, 1.0))
        self.background.setColor(*PANEL_COLOUR)
        self.prompt = self._text("quiz-prompt", ACCENT, _TEXT * 1.3)
        self.note = self._text("quiz-note", TEXT_COLOUR, _TEXT)
        flat(self.root, 45)
        self.buttons: list[_Button] = []
        self.item: QuizItem | None = None
        self.hovered: int | None = None
        self.result: QuizResult | None = None
        self.sent: int | None = None  # a choice sent to a live tour, awaiting the verdict
        self.result_age = 0.0  # seconds the verdict has been shown
        self.root.setTransparency(TransparencyAttrib.MAlpha)
        self.root.setTwoSided(True)
        self.root.hide()
        self.on_change: Callable[[], None] = lambda: None  # the layout places it again

    def _card(self, name: str, width: float, height: float) -> object:
        maker = CardMaker(name)
        maker.setFrame(0, width, -height, 0)
        return maker.generate()

    def _text(self, name: str, colour: tuple[float, float, float, float], scale: float,
              width: float | None = None) -> NodePath:
        path = text(self.root, self.font, name, scale, colour,
                    self.width - 2 * _PAD if width is None else width)
        path.setBin("fixed", 47)  # drawn over the background and the buttons
        return path

    @property
    def visible(self) -> bool:
        return not self.root.isHidden()

    @property
    def height(self) -> float:
        """The card's height in the parent's units (before any layout scale)."""
        return float(self.background.getSz())

    def update(self, dt: float) -> None:
        """Takes a verdict away after :data:`RESULT_SECONDS` (a system of the view)."""
        if self.result is not None and self.visible:
            self.result_age += dt
            if self.result_age >= RESULT_SECONDS:
                self.hide()

    def show(self, item: QuizItem, language: Language, keys: bool = True) -> None:
        """Put ``item`` on the card; ``keys`` labels the buttons F1, F2, … for keyboards."""
        self.item, self.result, self.hovered, self.sent = item, None, None, None
        for button in self.buttons:
            button.card.removeNode()
            button.label.removeNode()
        self.buttons = []
        prompt: TextNode = self.prompt.node()
        prompt.setText(item.prompt.get(language))
        top = -_PAD - _TEXT * 1.3 * 0.8
        self.prompt.setPos(_PAD, 0, top)
        y = top - prompt.getHeight() * self.prompt.getSx() - _PAD
        for index, choice in enumerate(item.choices):
            label = self._text(f"choice-{index}", TEXT_COLOUR, _TEXT, self.width - 4 * _PAD)
            label_node: TextNode = label.node()
            label_node.setText((f"F{index + 1}  " if keys else "") + choice.get(language))
            height = label_node.getHeight() * _TEXT + 2 * _PAD
            card = self.root.attachNewNode(self._card(f"choice-{index}-card",
                                                      self.width - 2 * _PAD, height))
            card.setPos(_PAD, 0, y)
            card.setColor(*BUTTON)
            card.setBin("fixed", 46)
            label.setPos(2 * _PAD, 0, y - _PAD - _TEXT * 0.8)
            self.buttons.append(_Button(card, label, (_PAD, self.width - _PAD, y - height, y)))
            y -= height + _PAD / 2
        self.note.hide()
        self._bottom = y - _PAD / 2
        self.background.setScale(1, 1, -self._bottom)
        self.root.show()
        self.on_change()

    def hide(self) -> None:
        self.item, self.hovered, self.result = None, None, None
        self.root.hide()
        self.on_change()

    def choice_at(self, origin: Point3, direction: Vec3, frame: NodePath) -> int | None:
        """The button a ray (given in ``frame``'s coordinates) meets, if any."""
        if not self.visible or self.result is not None or self.sent is not None:
            return None
        start = self.root.getRelativePoint(frame, origin)
        heading = self.root.getRelativeVector(frame, direction)
        if abs(heading.y) < 1e-9:
            return None
        along = -start.y / heading.y  # the card is the plane y = 0 of its own frame
        if along < 0:
            return None
        x, z = start.x + heading.x * along, start.z + heading.z * along
        for index, button in enumerate(self.buttons):
            left, right, bottom, top = button.frame
            if left <= x <= right and bottom <= z <= top:
                return index
        return None

    def hover(self, index: int | None) -> None:
        if self.result is not None or self.sent is not None or index == self.hovered:
            return
        self.hovered = index
        for i, button in enumerate(self.buttons):
            button.card.setColor(*(HOVER if i == index else BUTTON))

    def mark_sent(self, choice: int) -> None:
        """Hold ``choice`` as given (a live tour judges it when the guide closes the item)."""
        self.sent, self.hovered = choice, None
        for i, button in enumerate(self.buttons):
            button.card.setColor(*(HOVER if i == choice else BUTTON))

    def show_result(self, result: QuizResult, verdict: str, explanation: str) -> None:
        """Colour the right choice green, a wrong pick red, and explain below."""
        self.result, self.hovered = result, None
        self.sent, self.result_age = None, 0.0
        for i, button in enumerate(self.buttons):
            colour = RIGHT if i == result.answer else WRONG if i == result.response else BUTTON
            button.card.setColor(*colour)
        note: TextNode = self.note.node()
        note.setText(f"{verdict}\n{explanation}")
        self.note.setPos(_PAD, 0, self._bottom - _TEXT * 0.8)
        self.note.show()
        height = -self._bottom + note.getHeight() * _TEXT + 2 * _PAD
        self.background.setScale(1, 1, height)
        self.on_change()

    def button_centre(self, index: int, frame: NodePath) -> Point3:
        """Where button ``index`` is centred, in ``frame``'s coordinates (for pointing)."""
        left, right, bottom, top = self.buttons[index].frame
        return frame.getRelativePoint(self.root, Point3((left + right) / 2, 0, (bottom + top) / 2))
