"""Moving in a headset with the left controller's thumbstick, the usual comfort scheme:
push forward to aim a teleport arc and let go to land where it shows; flick left or
right to snap-turn. Stepping through space smoothly makes many people queasy; jumps
and fixed turns do not."""

from __future__ import annotations

from collections.abc import Callable

from panda3d.core import LineSegs, NodePath, Point3

from engine.navigation import Navigation
from engine.teleport import TeleportArc

AIM = 0.7  # thumbstick deflection that starts aiming or turning
REST = 0.3  # back within this, the stick has been let go
GOOD = (0.35, 0.85, 1.0, 1.0)
BAD = (0.9, 0.3, 0.25, 1.0)


class VRLocomotion:
    """Reads a thumbstick each frame (``stick()`` gives x, y in -1..1).

    Args:
        may_move: False while movement is locked (a guide's lock in a live tour).
    """

    def __init__(self, navigation: Navigation, scene: NodePath, hand: NodePath,
                 stick: Callable[[], tuple[float, float]],
                 may_move: Callable[[], bool] = lambda: True) -> None:
        self.navigation = navigation
        self.hand = hand
        self.stick = stick
        self.may_move = may_move
        self.arc = TeleportArc(scene)
        self.drawn = scene.attachNewNode("teleport-arc-line")
        self.aiming = False
        self.turned = False  # one snap per flick

    def update(self, dt: float) -> None:
        x, y = self.stick()
        if abs(x) >= AIM and not self.turned and not self.aiming:
            self.navigation.snap_turn(1 if x > 0 else -1)
            self.turned = True
        elif abs(x) <= REST:
            self.turned = False
        if y >= AIM and self.may_move():
            self.aiming = True
            self._draw(self.arc.points(self.hand), self.arc.landing_ok)
        elif self.aiming and y <= REST:
            self.aiming = False
            self.drawn.node().removeAllChildren()
            landing = self.arc.target(self.hand)
            if landing is not None and self.may_move():
                self.navigation.teleport_to_floor(landing)

    def _draw(self, points: list[Point3], ok: bool) -> None:
        self.drawn.node().removeAllChildren()
        line = LineSegs("arc")
        line.setThickness(3)
        line.setColor(*(GOOD if ok else BAD))
        line.moveTo(points[0])
        for point in points[1:]:
            line.drawTo(point)
        self.drawn.attachNewNode(line.create()).setLightOff(1)
