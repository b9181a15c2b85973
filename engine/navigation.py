"""Moving through a scene: walk, look, teleport, seated/standing, snap turn, vignette.

A rig node stands on the floor; the camera (the head) sits on it at eye height. In VR the
headset moves the head inside the rig; on a desktop the mouse turns it.
"""

from __future__ import annotations

import math
from typing import Literal

from panda3d.core import NodePath, Point3, Vec3

from protocol.scene import SceneScript

STANDING_EYE = 1.6
SEATED_EYE = 1.2
WALK_SPEED = 1.4  # m/s, an unhurried museum pace


class Navigation:
    def __init__(self, render: NodePath, head: NodePath, script: SceneScript) -> None:
        self.script = script
        self.rig = render.attachNewNode("rig")
        self.head = head
        head.reparentTo(self.rig)
        self.mode: Literal["standing", "seated"] = "standing"
        self.snap_degrees = 30.0
        self.moving = False
        self.stop_id: str | None = None
        self._velocity = Vec3(0, 0, 0)
        self.teleport(Point3(*script.spawn.pos), Point3(*script.spawn.look_at))

    @property
    def eye_height(self) -> float:
        return STANDING_EYE if self.mode == "standing" else SEATED_EYE

    def set_mode(self, mode: Literal["standing", "seated"]) -> None:
        self.mode = mode
        self.head.setZ(self.eye_height)

    def teleport(self, eye: Point3, look_at: Point3) -> None:
        """Put the standing eye at ``eye``, facing ``look_at``."""
        self.rig.setPos(eye.x, eye.y, eye.z - STANDING_EYE)
        self.head.setPos(0, 0, self.eye_height)
        direction = look_at - eye
        heading = math.degrees(math.atan2(-direction.x, direction.y))
        pitch = math.degrees(math.atan2(direction.z, math.hypot(direction.x, direction.y)))
        self.rig.setH(heading)
        self.head.setHpr(0, pitch, 0)

    def teleport_to_stop(self, stop_id: str) -> None:
        stop = next(s for s in self.script.route if s.id == stop_id)
        self.teleport(Point3(*stop.camera.pos), Point3(*stop.camera.look_at))
        self.stop_id = stop_id

    def teleport_to_hotspot(self, hotspot_id: str, distance: float = 2.0) -> None:
        """Stand ``distance`` metres from the hotspot on the side we came from."""
        hotspot = next(h for h in self.script.hotspots if h.id == hotspot_id)
        target = Point3(*hotspot.at)
        here = self.head.getPos(self.rig.getParent())
        away = Vec3(here.x - target.x, here.y - target.y, 0)
        if away.length() < 1e-3:
            away = Vec3(0, -1, 0)
        away.normalize()
        eye = Point3(target.x + away.x * distance, target.y + away.y * distance,
                     max(target.z, STANDING_EYE))
        self.teleport(eye, target)

    def teleport_to_floor(self, floor: Point3) -> None:
        """Stand at ``floor`` (a teleport-arc landing), keeping the current heading."""
        self.rig.setPos(floor)

    def walk(self, forward: float, right: float) -> None:
        """Set walking intent in [-1, 1] along the facing direction and to the right."""
        self._velocity = Vec3(right, forward, 0) * WALK_SPEED
        self.moving = self._velocity.length() > 1e-6

    def look(self, d_heading: float, d_pitch: float) -> None:
        self.rig.setH(self.rig.getH() + d_heading)
        self.head.setP(max(-85.0, min(85.0, self.head.getP() + d_pitch)))

    def snap_turn(self, direction: int) -> None:
        """Turn by the snap angle at once (comfort in VR): -1 left, +1 right."""
        self.rig.setH(self.rig.getH() - direction * self.snap_degrees)

    def update(self, dt: float) -> None:
        if self.moving:
            self.rig.setPos(self.rig, self._velocity * dt)
