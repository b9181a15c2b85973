"""The camera's position reaches the PBR shader without a new render state each frame: a
moving camera (every frame in a headset) must not make Panda3D compose every state below
the scene's root anew."""

from __future__ import annotations

from collections.abc import Callable

from panda3d.core import RenderState, TransformState

from engine.view import ExhibitView


def test_a_moving_camera_leaves_the_scene_states_as_they_were(
        open_view: Callable[..., ExhibitView]) -> None:
    view = open_view("zunyi-conference", size=(64, 36))
    camera = view.app.base.camera
    root_state = view.app.render.getState()
    for _ in range(3):
        view.app.step(1 / 90)
    TransformState.garbageCollect()
    RenderState.garbageCollect()
    before = RenderState.getNumStates()
    for _ in range(30):
        camera.setX(camera.getX() + 0.05)
        view.app.step(1 / 90)
    made = RenderState.getNumStates() - before
    assert view.app.render.getState() == root_state
    assert made < 60, f"{made} render states made in 30 frames of a moving camera"
