"""Runtime text (participants' names, questions, chat) is drawn with a full CJK font: the
exhibit's font subset would show boxes for characters the exhibit never shows."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from panda3d.core import TextFont, TextNode

from engine.fonts import find_full_font, missing_glyphs
from engine.view import ExhibitView


def _drawn(view: ExhibitView, font: TextFont, text: str) -> np.ndarray:
    """``text`` drawn large in white on the overlay, as a boolean mask of lit pixels."""
    node = TextNode("probe")
    node.setFont(font)
    node.setText(text)
    node.setTextColor(1, 1, 1, 1)
    path = view.app.base.aspect2d.attachNewNode(node)
    path.setScale(0.5)
    path.setPos(-0.5, 0, -0.2)
    path.setBin("fixed", 100)
    path.setDepthTest(False)
    path.setLightOff(1)
    path.setShaderOff(1)
    view.app.step(1 / 60)
    image = view.app.capture()
    path.removeNode()
    view.app.step(1 / 60)
    return bool_mask(image)


def bool_mask(image: np.ndarray) -> np.ndarray:
    return (image.min(axis=2) > 245)  # type: ignore[no-any-return]


def test_names_outside_the_subset_are_drawn_not_boxed(
        open_view: Callable[..., ExhibitView]) -> None:
    assert find_full_font() is not None, "install Debian's fonts-wqy-microhei (scripts/setup)"
    view = open_view("first-congress-site", size=(320, 180))
    view.status.hide()
    view.hotspots.root.hide()
    names = ("冼", "聂")  # neither is shown by any sample exhibit
    assert missing_glyphs(view.font, "".join(names)) == list(names)
    assert missing_glyphs(view.ui_font, "".join(names)) == []
    assert view.fonts.full and view.ui_font is not view.font
    boxed = [_drawn(view, view.font, name) for name in names]
    drawn = [_drawn(view, view.ui_font, name) for name in names]
    # The subset draws every missing character the same way (its missing-glyph box);
    # the full font draws each character's own shape.
    assert (boxed[0] == boxed[1]).all()
    assert all(mask.sum() > 150 for mask in drawn)
    assert (drawn[0] != drawn[1]).sum() > 100
    assert all((d != boxed[0]).sum() > 100 for d in drawn)
    # The tour's words are all in the full font too.
    from engine.tour_text import _TEXT

    for language in ("zh-CN", "zh-TW", "en"):
        for words in _TEXT.values():
            assert missing_glyphs(view.ui_font, words[language]) == []
