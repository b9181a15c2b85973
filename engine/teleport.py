"""The teleport arc: a parabola thrown from a controller, landing on the first surface
it meets; the member moves there keeping their heading (the usual VR comfort move)."""

from __future__ import annotations

from panda3d.core import (
    BitMask32,
    CollisionHandlerQueue,
    CollisionNode,
    CollisionSegment,
    CollisionTraverser,
    GeomNode,
    NodePath,
    Point3,
    Vec3,
)

GRAVITY = 9.81
LAUNCH_SPEED = 7.0  # m/s: lands about 5 m away from waist height when aimed level
MAX_STEPS = 60
STEP_SECONDS = 0.05


class TeleportArc:
    def __init__(self, scene: NodePath) -> None:
        self.scene = scene
        self._segment = CollisionSegment()
        node = CollisionNode("teleport-arc")
        node.addSolid(self._segment)
        node.setFromCollideMask(GeomNode.getDefaultCollideMask())
        node.setIntoCollideMask(BitMask32.allOff())
        self._path = scene.attachNewNode(node)
        self._queue = CollisionHandlerQueue()
        self._traverser = CollisionTraverser("teleport-arc")
        self._traverser.addCollider(self._path, self._queue)

    def points(self, source: NodePath) -> list[Point3]:
        """The arc from ``source`` along its forward axis until it lands (or gives up)."""
        position = source.getPos(self.scene)
        velocity = self.scene.getRelativeVector(source, Vec3(0, 1, 0)) * LAUNCH_SPEED
        points = [Point3(position)]
        for _ in range(MAX_STEPS):
            following = position + velocity * STEP_SECONDS
            velocity = velocity + Vec3(0, 0, -GRAVITY * STEP_SECONDS)
            self._segment.setPointA(position)
            self._segment.setPointB(following)
            self._traverser.traverse(self.scene)
            if self._queue.getNumEntries():
                self._queue.sortEntries()
                hit = self._queue.getEntry(0)
                normal = hit.getSurfaceNormal(self.scene)
                points.append(hit.getSurfacePoint(self.scene))
                self.landing_ok = normal.z > 0.7  # floors, not walls
                return points
            points.append(Point3(following))
            position = following
        self.landing_ok = False
        return points

    def target(self, source: NodePath) -> Point3 | None:
        """Where a teleport would land, or None when the arc hits a wall or nothing."""
        points = self.points(source)
        return points[-1] if self.landing_ok else None
