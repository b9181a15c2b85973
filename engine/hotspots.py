"""Hotspot markers (seen and not yet seen) and selection: mouse click, controller ray,
or gaze dwell."""

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
    TransparencyAttrib,
    Vec3,
)

from engine import marker_shapes as shapes
from protocol.scene import SceneScript

PICK_MASK = BitMask32.bit(5)  # not bit 20: that is every GeomNode's default
MARKER_COLOUR = (1.0, 0.78, 0.1, 1.0)     # not yet seen
SEEN_COLOUR = (0.80, 0.84, 0.88, 1.0)     # seen: quieter, with a tick
HIGHLIGHT_COLOUR = (1.0, 0.25, 0.15, 1.0)  # open, or pointed out by the guide
ICON_COLOUR = (0.02, 0.015, 0.01, 1.0)
GHOST_ALPHA = 0.35    # how much of a marker shows through what stands in front of it
GAZE_DWELL_SECONDS = 1.5
# The ring's radius as a share of its distance: about 1.7 degrees, whatever the distance,
# within a few centimetres near and half a metre far.
ANGULAR_SIZE = 0.03
SIZE_LIMITS = (0.04, 0.6)
LIFT = (0.08, 0.25)   # toward the eye: a share of the distance, at most metres


def _marker_parts(parent: NodePath) -> tuple[NodePath, NodePath, NodePath, NodePath]:
    """The drawn marker under ``parent``: the depth-tested marker (ring and badge in the
    parent's colour, the outline and icons in their own) and its ghost, drawn over
    everything faintly so a marker behind a wall can still be found."""
    visual = parent.attachNewNode("marker")
    visual.setBillboardPointEye()
    visual.setLightOff(1)
    visual.setShaderOff(1)
    visual.setFogOff(1)
    visual.setTwoSided(True)
    # Two draw calls a marker: the ring with its badge, and the outline with the icon
    # (the "i" or the tick: two nodes, one shown)
    visual.attachNewNode(shapes.geom_node("ring", shapes.ring() + shapes.badge()))
    info = visual.attachNewNode(shapes.geom_node("info", shapes.outline(), shapes.info_icon()))
    check = visual.attachNewNode(shapes.geom_node("seen", shapes.outline(), shapes.check_icon()))
    for icon in (info, check):
        icon.setColor(ICON_COLOUR, 1)
    check.hide()
    ghost = visual.copyTo(visual)
    ghost.clearBillboard()
    ghost.setBin("fixed", 5)
    ghost.setDepthTest(False)
    ghost.setDepthWrite(False)
    ghost.setTransparency(TransparencyAttrib.MAlpha)
    ghost.setAlphaScale(GHOST_ALPHA)
    return visual, info, check, ghost


class Hotspots:
    """One marker per hotspot, pickable by rays.

    A marker is a ring around its hotspot (what it marks shows through the hole) with a
    badge above: an "i" until the hotspot is seen, then a tick. It keeps about the same
    size on screen at any distance, sits a little toward the eye so the surface it marks
    does not swallow it, and shows faintly through what stands in front of it.
    ``markers[id]`` is the hotspot's point; its colour is the marker's state.

    Args:
        on_select: called with a hotspot id when a member selects it.
    """

    def __init__(self, loader: object, parent: NodePath, script: SceneScript,
                 on_select: Callable[[str], None]) -> None:
        self.root = parent.attachNewNode("hotspots")
        self.on_select = on_select
        self.markers: dict[str, NodePath] = {}
        self.visuals: dict[str, NodePath] = {}
        self._icons: dict[str, tuple[NodePath, NodePath]] = {}
        self.seen: set[str] = set()
        self.highlighted: str | None = None
        for hotspot in script.hotspots:
            anchor = self.root.attachNewNode(f"hotspot:{hotspot.id}")
            anchor.setPos(*hotspot.at)
            anchor.setColor(*MARKER_COLOUR)
            visual, info, check, _ = _marker_parts(anchor)
            solid = CollisionNode(f"pick:{hotspot.id}")
            solid.addSolid(CollisionSphere(0, 0, 0, hotspot.radius))
            solid.setIntoCollideMask(PICK_MASK)
            solid.setFromCollideMask(BitMask32.allOff())
            anchor.attachNewNode(solid)
            self.markers[hotspot.id] = anchor
            self.visuals[hotspot.id] = visual
            self._icons[hotspot.id] = (info, check)
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
        # The camera (the loader's ShowBase's): markers are sized to their distance from it.
        base = getattr(loader, "base", None)
        self.eye: NodePath | None = getattr(base, "camera", None)
        self.gaze_source: NodePath | None = None
        self._gaze_target: str | None = None
        self._gaze_time = 0.0

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
        """Mark ``hotspot_id`` as the open (or pointed out) one; it counts as seen."""
        self.highlighted = hotspot_id
        if hotspot_id is not None and hotspot_id in self.markers:
            self.seen.add(hotspot_id)
        self._paint()

    def mark_seen(self, hotspot_id: str) -> None:
        self.seen.add(hotspot_id)
        self._paint()

    def state(self, hotspot_id: str) -> str:
        """``open``, ``seen`` or ``new``: what the marker shows."""
        if hotspot_id == self.highlighted:
            return "open"
        return "seen" if hotspot_id in self.seen else "new"

    def _paint(self) -> None:
        colours = {"open": HIGHLIGHT_COLOUR, "seen": SEEN_COLOUR, "new": MARKER_COLOUR}
        for key, anchor in self.markers.items():
            state = self.state(key)
            anchor.setColor(*colours[state])
            info, check = self._icons[key]
            for icon, shown in ((info, state == "new"), (check, state != "new")):
                for node in (icon, *anchor.findAllMatches(f"**/{icon.getName()}")):
                    node.show() if shown else node.hide()

    def place(self) -> None:
        """Size each marker to the eye's distance and lift it toward the eye."""
        eye = self.eye
        if eye is None:
            return
        here = eye.getPos(self.root)
        for anchor in self.markers.values():
            visual = anchor.find("marker")
            offset = here - anchor.getPos(self.root)
            distance = offset.length()
            if distance < 1e-6:
                continue
            lift = min(LIFT[0] * distance, LIFT[1])
            visual.setPos(offset * (lift / distance))
            size = min(max(ANGULAR_SIZE * (distance - lift), SIZE_LIMITS[0]), SIZE_LIMITS[1])
            visual.setScale(size)

    def update(self, dt: float) -> None:
        self.place()
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
