"""Text panels (narration, quiz, progress, the guide's panel): the exhibit's own text in its
font subset, runtime text (names, questions) in a full font (:mod:`engine.fonts`).

On a desktop a panel sits on the 2D overlay; in VR it floats in the world about 0.7 m in
front of the member, at a size readable at arm's length; :mod:`engine.layout` places it.
"""

from __future__ import annotations

from collections.abc import Callable

from panda3d.core import CardMaker, NodePath, TextFont, TextNode, TransparencyAttrib

PANEL_COLOUR = (0.08, 0.07, 0.07, 0.82)
TEXT_COLOUR = (1.0, 0.97, 0.9, 1.0)
ACCENT = (0.93, 0.3, 0.22, 1.0)


def flat(root: NodePath, sort: int = 40) -> None:
    """Draw ``root`` as flat UI: unlit, unshaded, unfogged, over the scene in fixed order."""
    root.setLightOff(1)
    root.setShaderOff(1)
    root.setFogOff(1)
    root.setBin("fixed", sort)
    root.setDepthTest(False)
    root.setDepthWrite(False)


def text(parent: NodePath, font: TextFont, name: str, scale: float,
         colour: tuple[float, float, float, float], width: float) -> NodePath:
    """A text node wrapped to ``width`` (in the parent's units) at letter size ``scale``."""
    node = TextNode(name)
    node.setFont(font)
    node.setTextColor(*colour)
    node.setWordwrap(width / scale)
    path = parent.attachNewNode(node)
    path.setScale(scale)
    return path


class Panel:
    """A titled block of wrapped text on a dark card.

    Args:
        parent: ``aspect2d`` for the desktop overlay, or a node in the world for VR.
        width: panel width in the parent's units.
    """

    def __init__(self, parent: NodePath, font: TextFont, width: float, name: str) -> None:
        self.root = parent.attachNewNode(name)
        self.width = width
        card = CardMaker(f"{name}-card")
        card.setFrame(0, width, -1, 0)
        self.card = self.root.attachNewNode(card.generate())
        self.card.setColor(*PANEL_COLOUR)
        self.card.setTwoSided(True)
        self.card.setTransparency(TransparencyAttrib.MAlpha)
        self.title = text(self.root, font, f"{name}-title", 0.075, ACCENT, width - 0.08)
        self.body = text(self.root, font, f"{name}-body", 0.05, TEXT_COLOUR, width - 0.08)
        flat(self.root)
        self.root.hide()
        self.on_change: Callable[[], None] = lambda: None  # the layout places it again

    @property
    def visible(self) -> bool:
        return not self.root.isHidden()

    @property
    def height(self) -> float:
        """The card's height in the parent's units (before any layout scale)."""
        return float(self.card.getSz())

    def show(self, title: str, body: str) -> None:
        title_node: TextNode = self.title.node()
        body_node: TextNode = self.body.node()
        title_node.setText(title)
        body_node.setText(body)
        # An empty text's height is undefined (its bounds were never computed): count 0.
        title_height = title_node.getHeight() * self.title.getSx() if title else 0.0
        body_height = body_node.getHeight() * self.body.getSx() if body else 0.0
        self.title.setPos(0.04, 0, -0.04 - 0.075 * 0.8)
        self.body.setPos(0.04, 0, -0.08 - title_height - 0.05 * 0.8)
        height = 0.12 + title_height + body_height
        self.card.setScale(1, 1, height)
        self.root.show()
        self.on_change()

    def hide(self) -> None:
        self.root.hide()
        self.on_change()

    @property
    def text(self) -> str:
        title: str = self.title.node().getText()
        body: str = self.body.node().getText()
        return title + "\n" + body
