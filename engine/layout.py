"""Where the view's panels go, so that none ever covers another.

The panels share one frame (the 2D overlay on a desktop, a plane in front of the eyes in a
headset) split into regions: a strip across the top (the tour bar), a left column (the
status line from its top, the narration as subtitles from its bottom) and a right column
(the quiz card, then the guide's panel). Each frame the visible panels of a region are
stacked; a region whose panels are taller than its room is scaled down to fit. Columns
never share horizontal space, both start below the strip, and the subtitles rise no
higher than the status line's lower edge. On a desktop the frame follows the window's
shape, and a region narrower than its panels scales them down to its width.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from panda3d.core import NodePath

Region = Literal["top", "left", "subtitles", "right"]
GAP = 0.025  # between stacked panels and between regions, in the frame's units
# A headset's panels: 0.7 m ahead of the eyes, at a scale where body text (0.05 units)
# is about 17 px per eye at 640x640, and a frame that lies in both eyes' views.
VR_DISTANCE = 0.7
VR_SCALE = 0.85
VR_FRAME = (-0.7, 0.7, -0.95, 0.84)


class Placeable(Protocol):
    """A panel the layout can move: its root (top-left corner at its origin), whether
    it is shown, and its size in its own units."""

    root: NodePath
    width: float
    on_change: Callable[[], None]  # called by the panel when it is shown, hidden, resized

    @property
    def visible(self) -> bool: ...

    @property
    def height(self) -> float: ...


@dataclass(frozen=True)
class Frame:
    """A rectangle in the panels' parent: left, right, bottom, top."""

    left: float
    right: float
    bottom: float
    top: float

    @property
    def width(self) -> float:
        return self.right - self.left


def desktop_frame(aspect: float) -> Frame:
    """The overlay (``aspect2d``) less a small margin."""
    return Frame(-aspect + 0.04, aspect - 0.04, -0.98, 0.98)


def column_widths(frame: Frame) -> tuple[float, float, float]:
    """Widths of the top strip, the left column and the right column."""
    room = frame.width - GAP
    left = min(1.5, room * 0.56)
    return frame.width, left, min(1.1, room - left)


@dataclass
class PanelLayout:
    """Stacks the panels of each region every frame (a system: add it to the app)."""

    frame: Frame
    regions: dict[Region, list[Placeable]] = field(
        default_factory=lambda: {"top": [], "left": [], "subtitles": [], "right": []})

    @property
    def widths(self) -> dict[Region, float]:
        top, left, right = column_widths(self.frame)
        return {"top": top, "left": left, "subtitles": left, "right": right}

    def add(self, region: Region, panel: Placeable) -> None:
        """Place ``panel`` in ``region``, below those added to it before."""
        self.regions[region].append(panel)
        panel.on_change = self.arrange
        self.arrange()

    def remove(self, panel: Placeable) -> None:
        for panels in self.regions.values():
            if panel in panels:
                panels.remove(panel)

    def update(self, dt: float) -> None:
        self.arrange()

    def _follow_window(self) -> None:
        """On a desktop the frame is the overlay, whose width follows the window's shape
        (ShowBase rescales ``aspect2d`` when the window is resized): keep up with it."""
        panels = [p for region in self.regions.values() for p in region]
        if not panels:
            return
        overlay = panels[0].root.getParent()
        if overlay.isEmpty() or overlay.getName() != "aspect2d" or overlay.getSx() <= 0:
            return
        frame = desktop_frame(1.0 / overlay.getSx())
        if frame != self.frame:
            self.frame = frame

    def arrange(self) -> None:
        self._follow_window()
        frame = self.frame
        strip_bottom = self._stack("top", frame.left, frame.top,
                                   frame.top - (frame.top - frame.bottom) * 0.4)
        top = strip_bottom - GAP if strip_bottom < frame.top else frame.top
        status_bottom = self._stack("left", frame.left, top, frame.bottom)
        under = status_bottom - GAP if status_bottom < top else top
        self._stack("subtitles", frame.left, under, frame.bottom, from_bottom=True)
        self._stack("right", frame.right, top, frame.bottom, from_right=True)

    def _stack(self, region: Region, x: float, top: float, bottom: float,
               from_right: bool = False, from_bottom: bool = False) -> float:
        """Puts the region's visible panels one under another, from ``top`` down (or, with
        ``from_bottom``, resting on ``bottom``); returns the lowest edge."""
        shown = [p for p in self.regions[region] if p.visible]
        if not shown:
            return top
        total = sum(p.height for p in shown) + GAP * (len(shown) - 1)
        scale = min(1.0, (top - bottom) / total) if total > 0 else 1.0
        # A window narrower than when the panels were made: the region shrinks to its room.
        room = self.widths[region]
        scale = min([scale] + [room / p.width for p in shown if p.width > room])
        y = bottom + total * scale if from_bottom else top
        for panel in shown:
            panel.root.setScale(scale)
            panel.root.setPos(x - panel.width * scale if from_right else x, 0, y)
            y -= (panel.height + GAP) * scale
        return y + GAP * scale
