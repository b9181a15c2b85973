"""Hotspot markers and selection: mouse click, controller ray, or gaze dwell."""

from __future__ import annotations

import math
from collections.abc import Callable

from panda3d.core import (
    BitMask32,
    CollisionHandlerQueue,
    CollisionNode,
    CollisionRay,
    CollisionSphere,
    CollisionTraverser,
    NodePath,
    Point3,
    Vec3,
)

from protocol.scene import SceneScript

PICK_MASK = BitMask32.bit(5)  # not bit 20: that is every GeomNode's default
MARKER_COLOUR = (1.0, 0.78, 0.1, 1.0)
HIGHLIGHT_COLOUR = (1.0, 0.25, 0.15, 1.0)
GAZE_DWELL_SECONDS = 1.5


class Hotspots:
    """One glowing marker per hotspot, pickable by rays.

    Args:
        on_select: called with a hotspot id when a member selects it.
    """

    def __init__(self, loader: object, parent: NodePath, script: SceneScript,
                 on_select: Callable[[str], None]) -> None:
        self.root = parent.attachNewNode("hotspots")
        self.on_select = on_select
        self.markers: dict[str, NodePath] = {}
        for hotspot in script.hotspots:
            marker = loader.loadModel("models/misc/sphere")  # type: ignore[attr-defined]
            marker.reparentTo(self.root)
            marker.setPos(*hotspot.at)
            marker.setScale(0.12)
            marker.setColor(*MARKER_COLOUR)
            marker.setLightOff(1)
            marker.setShaderOff(1)
            marker.setFogOff(1)
            marker.setName(f"hotspot:{hotspot.id}")
            solid = CollisionNode(f"pick:{hotspot.id}")
            solid.addSolid(CollisionSphere(0, 0, 0, hotspot.radius / 0.12))
            solid.setIntoCollideMask(PICK_MASK)
            solid.setFromCollideMask(BitMask32.allOff())
            marker.attachNewNode(solid)
            self.markers[hotspot.id] = marker
        self._ray = CollisionRay()
        ray_node = CollisionNode("pick-ray")
        ray_node.addSolid(self._ray)
        ray_node.setFromCollideMask(PICK_MASK)
        ray_node.setIntoCollideMask(BitMask32.allOff())
        self._ray_path = parent.attachNewNode(ray_node)
        self._queue = CollisionHandlerQueue()
        self._traverser = CollisionTraverser("hotspot-picker")
        self._traverser.addCollider(self._ray_path, self._queue)
        self._parent = parent
        self.gaze_source: NodePath | None = None
        self._gaze_target: str | None = None
        self._gaze_time = 0.0
        self._time = 0.0

    def pick(self, origin: Point3, direction: Vec3) -> str | None:
        """The nearest hotspot hit by a ray in the scene's frame."""
        self._ray.setOrigin(origin)
        self._ray.setDirection(direction)
        self._traverser.traverse(self._parent)
        if self._queue.getNumEntries() == 0:
            return None
        self._queue.sortEntries()
        name: str = self._queue.getEntry(0).getIntoNode().getName()
        return name.split(":", 1)[1]

    def pick_from(self, source: NodePath) -> str | None:
        """Along ``source``'s forward axis (a controller, or the head for gaze)."""
        origin = source.getPos(self._parent)
        direction = self._parent.getRelativeVector(source, Vec3(0, 1, 0))
        return self.pick(origin, direction)

    def destroy(self) -> None:
        """Removes the markers and the picking ray (the scene is being left)."""
        self.root.removeNode()
        self._ray_path.removeNode()

    def highlight(self, hotspot_id: str | None) -> None:
        for key, marker in self.markers.items():
            marker.setColor(*(HIGHLIGHT_COLOUR if key == hotspot_id else MARKER_COLOUR))

    def update(self, dt: float) -> None:
        self._time += dt
        pulse = 0.12 * (1.0 + 0.15 * math.sin(self._time * 3.0))
        for marker in self.markers.values():
            marker.setScale(pulse)
        if self.gaze_source is None:
            return
        target = self.pick_from(self.gaze_source)
        if target != self._gaze_target:
            self._gaze_target, self._gaze_time = target, 0.0
        elif target is not None:
            self._gaze_time += dt
            if self._gaze_time >= GAZE_DWELL_SECONDS:
                self._gaze_time = -math.inf  # once per look
                self.on_select(target)
