"""The controller's pointer in a headset: a beam that hovers quiz buttons and hotspots and
acts on the trigger, the way a mouse click acts on the desktop."""

from __future__ import annotations

from typing import TYPE_CHECKING

from panda3d.core import LineSegs, NodePath, Vec3

if TYPE_CHECKING:
    from engine.view import ExhibitView

IDLE = (0.9, 0.9, 0.9, 0.5)
AIMED = (1.0, 0.78, 0.25, 1.0)
REACH = 6.0  # metres of beam drawn


class ControllerPointer:
    """Aims along ``controller``'s forward axis each frame; ``trigger()`` acts on the aim:
    a quiz button answers, a hotspot opens its narration."""

    def __init__(self, view: ExhibitView, controller: NodePath) -> None:
        self.view = view
        self.controller = controller
        beam = LineSegs("pointer-beam")
        beam.setThickness(2)
        beam.moveTo(0, 0, 0)
        beam.drawTo(0, REACH, 0)
        self.beam = controller.attachNewNode(beam.create())
        for setting in (self.beam.setLightOff, self.beam.setShaderOff, self.beam.setFogOff):
            setting(1)
        self.aim: tuple[str, int | str] | None = None

    def update(self, dt: float) -> None:
        render = self.view.app.render
        origin = self.controller.getPos(render)
        direction = render.getRelativeVector(self.controller, Vec3(0, 1, 0))
        card = self.view.quiz_card
        choice = card.choice_at(origin, direction, render)
        card.hover(choice)
        reach = REACH
        if choice is not None:
            self.aim = ("choice", choice)
            reach = (card.button_centre(choice, render) - origin).length()
        else:
            hotspot = self.view.hotspots.pick(origin, direction)
            self.aim = ("hotspot", hotspot) if hotspot is not None else None
            if hotspot is not None:
                reach = (self.view.hotspots.markers[hotspot].getPos(render) - origin).length()
        self.beam.setColor(*(AIMED if self.aim else IDLE))
        self.beam.setSy(reach / REACH)  # the beam ends where it points

    def trigger(self) -> None:
        if self.aim is None:
            return
        kind, target = self.aim
        if kind == "choice":
            self.view.answer_offered(int(target))
        else:
            self.view.select(str(target))
