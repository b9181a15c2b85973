"""Other participants as simple avatars (head, body, two hands), moved smoothly.

Poses arrive from the network with the server's timestamp; each avatar is drawn a fixed
delay behind the newest pose and interpolated between the two samples around that time,
so 20 Hz updates look continuous at 90 Hz.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from panda3d.core import NodePath, Point3

from engine.clock import Clock

INTERPOLATION_DELAY = 0.1  # two 50 ms ticks


@dataclass(frozen=True)
class AvatarPose:
    t: float
    head: tuple[float, float, float]
    heading: float
    left: tuple[float, float, float]
    right: tuple[float, float, float]


def _mix(a: tuple[float, ...], b: tuple[float, ...], k: float) -> tuple[float, ...]:
    return tuple(x + (y - x) * k for x, y in zip(a, b))


class Avatar:
    def __init__(self, parent: NodePath, loader: object, colour: tuple[float, float, float],
                 name: str) -> None:
        self.root = parent.attachNewNode(f"avatar:{name}")
        self.poses: deque[AvatarPose] = deque(maxlen=16)
        sphere = "models/misc/sphere"
        self.head = loader.loadModel(sphere)  # type: ignore[attr-defined]
        self.head.reparentTo(self.root)
        self.head.setScale(0.12)
        self.body = loader.loadModel(sphere)  # type: ignore[attr-defined]
        self.body.reparentTo(self.head)
        self.body.setScale(2.0, 1.4, 5.0)
        self.body.setZ(-6.5)
        self.hands = [loader.loadModel(sphere) for _ in range(2)]  # type: ignore[attr-defined]
        for hand in self.hands:
            hand.reparentTo(self.root)
            hand.setScale(0.05)
        self.root.setColor(*colour, 1.0)

    def pose_at(self, t: float) -> AvatarPose | None:
        if not self.poses:
            return None
        if t <= self.poses[0].t:
            return self.poses[0]
        for a, b in zip(self.poses, list(self.poses)[1:]):
            if a.t <= t <= b.t:
                k = (t - a.t) / (b.t - a.t) if b.t > a.t else 1.0
                return AvatarPose(t, _mix(a.head, b.head, k), a.heading + (b.heading - a.heading)
                                  * k, _mix(a.left, b.left, k), _mix(a.right, b.right, k))
        return self.poses[-1]  # no newer sample yet: hold the last one


class Avatars:
    """All remote participants in the scene, keyed by participant id."""

    def __init__(self, parent: NodePath, loader: object, clock: Clock) -> None:
        self.root = parent.attachNewNode("avatars")
        self.loader = loader
        self.clock = clock
        self.avatars: dict[str, Avatar] = {}

    def receive(self, participant: str, pose: AvatarPose) -> None:
        avatar = self.avatars.get(participant)
        if avatar is None:
            hue = (hash(participant) % 360) / 360.0
            colour = (0.4 + 0.5 * hue, 0.45, 0.9 - 0.5 * hue)
            avatar = self.avatars[participant] = Avatar(self.root, self.loader, colour,
                                                        participant)
        avatar.poses.append(pose)

    def remove(self, participant: str) -> None:
        avatar = self.avatars.pop(participant, None)
        if avatar is not None:
            avatar.root.removeNode()

    def update(self, dt: float) -> None:
        t = self.clock.now() - INTERPOLATION_DELAY
        for avatar in self.avatars.values():
            pose = avatar.pose_at(t)
            if pose is None:
                continue
            avatar.head.setPos(Point3(*pose.head))
            avatar.head.setH(pose.heading)
            avatar.hands[0].setPos(Point3(*pose.left))
            avatar.hands[1].setPos(Point3(*pose.right))
