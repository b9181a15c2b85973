"""Controllers through OpenXR actions: where each hand points, its trigger, its thumbstick,
a short buzz, and the left hand's two tour buttons (raise or lower the hand, applaud).

One action set with four actions for both hands and two for the left one, with suggested
bindings
for the controllers members are likely to hold (Meta Touch, Valve Index, HTC Vive, Windows
Mixed Reality) plus the Khronos simple controller, which every runtime can emulate. The
runtime picks the profile of the controllers it has.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from panda3d.core import NodePath, Point3, Quat

HANDS = ("left", "right")
# Per profile: the trigger's input and the stick (or trackpad) that aims the teleport.
PROFILES: dict[str, tuple[str, str | None]] = {
    "/interaction_profiles/oculus/touch_controller": ("trigger/value", "thumbstick"),
    "/interaction_profiles/valve/index_controller": ("trigger/click", "thumbstick"),
    "/interaction_profiles/htc/vive_controller": ("trigger/click", "trackpad"),
    "/interaction_profiles/microsoft/motion_controller": ("trigger/value", "thumbstick"),
    "/interaction_profiles/khr/simple_controller": ("select/click", None),
}
# Per profile: the left hand's buttons for the tour's actions (the simple controller, the
# Vive wand and the Windows controller have only a menu button: no reaction there).
TOUR_BUTTONS: dict[str, dict[str, str]] = {
    "/interaction_profiles/oculus/touch_controller": {"hand": "x/click", "react": "y/click"},
    "/interaction_profiles/valve/index_controller": {"hand": "a/click", "react": "b/click"},
    "/interaction_profiles/htc/vive_controller": {"hand": "menu/click"},
    "/interaction_profiles/microsoft/motion_controller": {"hand": "menu/click"},
    "/interaction_profiles/khr/simple_controller": {"hand": "menu/click"},
}


def panda_point(v: Any) -> Point3:
    """An OpenXR position (Y up, -Z ahead) in Panda3D's axes (Z up, +Y ahead)."""
    return Point3(v.x, -v.z, v.y)


def panda_quat(q: Any) -> Quat:
    """An OpenXR orientation in Panda3D's axes (the same change of basis as positions)."""
    return Quat(q.w, q.x, -q.z, q.y)


class Controllers:
    """The hands' actions, bound and attached to ``session``.

    Each sync moves ``nodes[hand]`` (children of the rig, which is the tracking space) to
    where the hand's aim points, calls ``on_trigger`` listeners when a trigger goes down
    and ``on_button`` listeners with ``hand`` or ``react`` when a tour button does,
    keeps ``sticks[hand]`` as (x, y) in -1..1 and ``tracked`` as the hands it could locate.
    """

    def __init__(self, instance: Any, session: Any, nodes: dict[str, NodePath],
                 on_trigger: list[Callable[[str], object]],
                 sticks: dict[str, tuple[float, float]],
                 on_button: list[Callable[[str], object]] | None = None) -> None:
        import xr

        self.session = session
        self.nodes = nodes
        self.on_trigger = on_trigger
        self.on_button = on_button if on_button is not None else []
        self.sticks = sticks
        self.hands = [xr.string_to_path(instance, f"/user/hand/{h}") for h in HANDS]
        self.action_set = xr.create_action_set(instance, xr.ActionSetCreateInfo(
            action_set_name="redhall", localized_action_set_name="RedHall", priority=0))

        def action(name: str, kind: Any, label: str, hands: list[Any] | None = None) -> Any:
            return xr.create_action(self.action_set, xr.ActionCreateInfo(
                action_type=kind, action_name=name, localized_action_name=label,
                subaction_paths=self.hands if hands is None else hands))

        self.aim = action("aim", xr.ActionType.POSE_INPUT, "Point")
        self.select = action("select", xr.ActionType.BOOLEAN_INPUT, "Select")
        self.move = action("move", xr.ActionType.VECTOR2F_INPUT, "Teleport and turn")
        self.buzz = action("buzz", xr.ActionType.VIBRATION_OUTPUT, "Buzz")
        left = [self.hands[0]]
        self.buttons = {"hand": action("hand", xr.ActionType.BOOLEAN_INPUT,
                                       "Raise or lower your hand", left),
                        "react": action("react", xr.ActionType.BOOLEAN_INPUT, "Applaud", left)}
        for profile, (trigger, stick) in PROFILES.items():
            pairs = [(self.aim, "input/aim/pose"), (self.select, f"input/{trigger}"),
                     (self.buzz, "output/haptic")]
            if stick is not None:
                pairs.append((self.move, f"input/{stick}"))
            bindings = [xr.ActionSuggestedBinding(a, xr.string_to_path(
                instance, f"/user/hand/{hand}/{source}")) for a, source in pairs for hand in HANDS]
            bindings += [xr.ActionSuggestedBinding(self.buttons[name], xr.string_to_path(
                instance, f"/user/hand/left/input/{source}"))
                for name, source in TOUR_BUTTONS[profile].items()]
            xr.suggest_interaction_profile_bindings(instance, xr.InteractionProfileSuggestedBinding(
                interaction_profile=xr.string_to_path(instance, profile),
                suggested_bindings=bindings))
        xr.attach_session_action_sets(session, xr.SessionActionSetsAttachInfo(
            action_sets=[self.action_set]))
        self.spaces = [xr.create_action_space(session, xr.ActionSpaceCreateInfo(
            action=self.aim, subaction_path=hand, pose_in_action_space=xr.Posef()))
            for hand in self.hands]
        self._pressed = [False, False]
        self._buttons_down: set[str] = set()
        self.tracked: set[str] = set()  # hands whose aim was located at the last sync

    def sync(self, stage: Any, time: int) -> None:
        """Read the hands at display time ``time``; poses are relative to ``stage``."""
        import xr

        # another app may have the input; ours then reads as inactive
        with contextlib.suppress(xr.SessionNotFocused):
            xr.sync_actions(self.session, xr.ActionsSyncInfo(
                active_action_sets=[xr.ActiveActionSet(self.action_set, xr.NULL_PATH)]))
        self.tracked.clear()
        for index, (hand, path, space) in enumerate(zip(HANDS, self.hands, self.spaces)):
            located = xr.locate_space(space, stage, time)
            valid = xr.SpaceLocationFlags.POSITION_VALID_BIT | \
                xr.SpaceLocationFlags.ORIENTATION_VALID_BIT
            if located.location_flags & valid == valid:
                self.nodes[hand].setPosQuat(panda_point(located.pose.position),
                                            panda_quat(located.pose.orientation))
                self.tracked.add(hand)
            info = xr.ActionStateGetInfo(action=self.select, subaction_path=path)
            pressed = bool(xr.get_action_state_boolean(self.session, info).current_state)
            if pressed and not self._pressed[index]:
                for listener in self.on_trigger:
                    listener(hand)
            self._pressed[index] = pressed
            stick = xr.get_action_state_vector2f(
                self.session, xr.ActionStateGetInfo(action=self.move, subaction_path=path))
            state = stick.current_state
            self.sticks[hand] = (state.x, state.y) if stick.is_active else (0.0, 0.0)
        for name, button in self.buttons.items():
            down = bool(xr.get_action_state_boolean(self.session, xr.ActionStateGetInfo(
                action=button, subaction_path=self.hands[0])).current_state)
            if down and name not in self._buttons_down:
                for listener in self.on_button:
                    listener(name)
            self._buttons_down.discard(name)
            if down:
                self._buttons_down.add(name)

    def pulse(self, hand: str, amplitude: float, seconds: float) -> None:
        import xr

        vibration = xr.HapticVibration(amplitude=amplitude, duration=int(seconds * 1e9),
                                       frequency=xr.FREQUENCY_UNSPECIFIED)
        xr.apply_haptic_feedback(self.session, xr.HapticActionInfo(
            action=self.buzz, subaction_path=self.hands[HANDS.index(hand)]), vibration)

    def destroy(self) -> None:
        import xr

        for space in self.spaces:
            xr.destroy_space(space)
        xr.destroy_action_set(self.action_set)

