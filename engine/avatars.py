"""Other participants as simple avatars (head, body, two hands), moved smoothly.

Poses arrive from the network with the server's timestamp; each avatar is drawn a fixed
delay behind the newest pose and interpolated between the two samples around that time,
so 20 Hz updates look continuous at 90 Hz. A participant who is speaking has a glowing
head (the tour says who, from the voice it plays).

All avatars are one Geom whose vertices are rewritten each frame with numpy: a tour of
fifty people costs one draw call and no per-node transforms, where a node per body part
cost two hundred draw calls and a culled transform each.
"""

from __future__ import annotations

import math
import zlib
from collections import deque
from dataclasses import dataclass

import numpy as np
from panda3d.core import (
    Geom,
    GeomNode,
    GeomTriangles,
    GeomVertexArrayFormat,
    GeomVertexData,
    GeomVertexFormat,
    NodePath,
    OmniBoundingVolume,
)

from engine.clock import Clock

INTERPOLATION_DELAY = 0.1  # two 50 ms ticks
SPEAKING_COLOUR = (255, 214, 77)  # a warm glow, unlike any avatar's own colour


@dataclass(frozen=True)
class AvatarPose:
    t: float
    head: tuple[float, float, float]
    heading: float
    left: tuple[float, float, float]
    right: tuple[float, float, float]


def _ellipsoid(radii: tuple[float, float, float], segments: int = 10,
               rings: int = 6) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vertices, normals and triangles of a low-poly ellipsoid around the origin."""
    theta = np.linspace(0, math.pi, rings + 1)[:, None]
    phi = np.linspace(0, 2 * math.pi, segments + 1)[None, :]
    unit = np.stack([np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi),
                     np.cos(theta) * np.ones_like(phi)], axis=-1).reshape(-1, 3)
    r = np.asarray(radii)
    normals = unit / r  # the gradient of the ellipsoid's equation
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    faces = []
    for i in range(rings):
        for j in range(segments):
            a, b = i * (segments + 1) + j, (i + 1) * (segments + 1) + j
            faces += [(a, b, b + 1), (a, b + 1, a + 1)]
    return unit * r, normals, np.asarray(faces, dtype=np.int32)


# Head 12 cm; a body below it that turns with the head; two 5 cm hands placed freely.
_HEAD = _ellipsoid((0.12, 0.12, 0.12))
_BODY = _ellipsoid((0.24, 0.168, 0.6))
_HAND = _ellipsoid((0.05, 0.05, 0.05), 8, 4)
_BODY_DROP = 0.78


def _template() -> np.ndarray:
    """(vertices, 9): position, normal, and which offset moves it (head, left, right)."""
    rows = []
    for (points, normals, _), drop, offset in ((_HEAD, 0.0, 0), (_BODY, _BODY_DROP, 0),
                                                (_HAND, 0.0, 1), (_HAND, 0.0, 2)):
        which = np.zeros((len(points), 3))
        which[:, offset] = 1.0
        rows.append(np.hstack([points - (0, 0, drop), normals, which]))
    return np.concatenate(rows).astype(np.float32)


_TEMPLATE = _template()
_PER_AVATAR = len(_TEMPLATE)
_PARTS = (_HEAD, _BODY, _HAND, _HAND)
_HEAD_VERTICES = len(_HEAD[0])  # the head comes first in each avatar's vertices


def _format() -> GeomVertexFormat:
    moving = GeomVertexArrayFormat()
    moving.addColumn("vertex", 3, Geom.NT_float32, Geom.C_point)
    moving.addColumn("normal", 3, Geom.NT_float32, Geom.C_normal)
    colours = GeomVertexArrayFormat()
    colours.addColumn("color", 4, Geom.NT_uint8, Geom.C_color)
    layout = GeomVertexFormat()
    layout.addArray(moving)
    layout.addArray(colours)
    return GeomVertexFormat.registerFormat(layout)


def _floats(array: object, count: int) -> np.ndarray:
    """A writable (count, vertices, 6) float view of position and normal columns."""
    return np.frombuffer(memoryview(array).cast("B"), np.float32).reshape(  # type: ignore[arg-type]
        count, _PER_AVATAR, 6)


class Avatar:
    """One remote participant: its recent poses."""

    def __init__(self, colour: tuple[float, float, float]) -> None:
        self.poses: deque[AvatarPose] = deque(maxlen=16)
        self.colour = colour

    def around(self, t: float) -> tuple[AvatarPose, AvatarPose, float] | None:
        """The samples on either side of ``t`` and how far ``t`` lies between them."""
        poses = self.poses
        if not poses:
            return None
        if t >= poses[-1].t:
            return poses[-1], poses[-1], 0.0  # no newer sample yet: hold the last one
        for i in range(len(poses) - 1, 0, -1):  # from the newest: the pair is near the end
            a, b = poses[i - 1], poses[i]
            if a.t <= t:
                return a, b, (t - a.t) / (b.t - a.t) if b.t > a.t else 1.0
        return poses[0], poses[0], 0.0


def _row(pose: AvatarPose) -> tuple[float, ...]:
    return (*pose.head, pose.heading, *pose.left, *pose.right)


class Avatars:
    """All remote participants in the scene, keyed by participant id, drawn as one Geom."""

    def __init__(self, parent: NodePath, clock: Clock) -> None:
        self.root = parent.attachNewNode("avatars")
        self.clock = clock
        self.avatars: dict[str, Avatar] = {}
        self._node = GeomNode("avatar-bodies")
        # Bounds would be recomputed over every vertex each frame; one draw call gains
        # nothing from culling, so the node is simply always drawn.
        self._node.setBounds(OmniBoundingVolume())
        self._node.setFinal(True)
        self.root.attachNewNode(self._node)
        self._drawn: list[str] = []  # slot order of the vertex data
        self._positions: object = None  # the vertex array written each frame
        self._table = np.zeros((0, 10))  # the rows drawn last frame, in slot order
        self._colours: object = None  # the colour array of the vertex data
        self.speaking: frozenset[str] = frozenset()  # participants shown speaking

    def show_speaking(self, speaking: frozenset[str]) -> None:
        """Makes the heads of ``speaking`` glow (and the others' their own colour)."""
        if speaking != self.speaking:
            self.speaking = speaking
            self._paint()

    def _paint(self) -> None:
        """Writes each avatar's colour, its head glowing while it speaks."""
        if self._colours is None or not self._drawn:
            return
        colours = np.frombuffer(memoryview(self._colours).cast("B"),  # type: ignore[arg-type]
                                np.uint8).reshape(-1, _PER_AVATAR, 4)
        colours[:, :, 3] = 255
        for slot, name in enumerate(self._drawn):
            colours[slot, :, :3] = np.round(np.asarray(self.avatars[name].colour) * 255)
            if name in self.speaking:
                colours[slot, :_HEAD_VERTICES, :3] = SPEAKING_COLOUR

    def receive(self, participant: str, pose: AvatarPose) -> None:
        avatar = self.avatars.get(participant)
        if avatar is None:
            hue = (zlib.crc32(participant.encode()) % 360) / 360.0  # the same in every run
            avatar = self.avatars[participant] = Avatar((0.4 + 0.5 * hue, 0.45, 0.9 - 0.5 * hue))
        avatar.poses.append(pose)

    def remove(self, participant: str) -> None:
        self.avatars.pop(participant, None)

    def update(self, dt: float) -> None:
        t = self.clock.now() - INTERPOLATION_DELAY
        names, older, newer, mix = [], [], [], []
        for name, avatar in self.avatars.items():
            pair = avatar.around(t)
            if pair is not None:
                names.append(name)
                older.append(_row(pair[0]))
                newer.append(_row(pair[1]))
                mix.append(pair[2])
        if names != self._drawn:
            self._rebuild(names)
        if not names:
            return
        a, b = np.asarray(older), np.asarray(newer)
        step = b - a
        step[:, 3] = (step[:, 3] + 180.0) % 360.0 - 180.0  # turn the short way round
        table = a + step * np.asarray(mix)[:, None]
        self._table = table
        self._write_vertices(table)

    def shown(self, participant: str) -> AvatarPose | None:
        """Where ``participant`` was drawn in the last frame."""
        if participant not in self._drawn:
            return None
        row = self._table[self._drawn.index(participant)].tolist()
        return AvatarPose(self.clock.now() - INTERPOLATION_DELAY, tuple(row[0:3]), row[3],
                          tuple(row[4:7]), tuple(row[7:10]))

    def _rebuild(self, shown: list[str]) -> None:
        """New vertex data and triangles for this set of avatars (joins and leaves only)."""
        self._drawn = shown
        self._node.removeAllGeoms()
        if not shown:
            return
        data = GeomVertexData("avatars", _format(), Geom.UH_dynamic)
        data.uncleanSetNumRows(len(shown) * _PER_AVATAR)
        self._colours = data.modifyArray(1)
        self._paint()
        # Kept and written in place each frame: the renderer's munged copy of the vertex
        # data shares this array, where going through the vertex data would copy it.
        self._positions = data.modifyArray(0)
        triangles = GeomTriangles(Geom.UH_static)
        triangles.setIndexType(Geom.NT_uint32)
        faces, base = [], 0
        for part in _PARTS:
            faces.append(part[2] + base)
            base += len(part[0])
        one = np.concatenate(faces)
        every = (one[None] + (np.arange(len(shown)) * _PER_AVATAR)[:, None, None]).astype(np.uint32)
        handle = triangles.modifyVertices()
        handle.uncleanSetNumRows(every.size)
        np.frombuffer(memoryview(handle).cast("B"), np.uint32)[:] = every.reshape(-1)
        geom = Geom(data)
        geom.addPrimitive(triangles)
        self._node.addGeom(geom)

    def _write_vertices(self, table: np.ndarray) -> None:
        """Vertices from rows of (head xyz, heading degrees, left xyz, right xyz)."""
        heading = np.radians(table[:, 3])
        # One matrix per avatar: turn positions and normals by the heading, then move each
        # part by its offset (head, left hand, right hand), all in a single matmul.
        place = np.zeros((len(table), 9, 6), np.float32)
        c, s = np.cos(heading), np.sin(heading)
        for block in (0, 3):
            place[:, block, block], place[:, block, block + 1] = c, s
            place[:, block + 1, block], place[:, block + 1, block + 1] = -s, c
            place[:, block + 2, block + 2] = 1.0
        place[:, 6, :3], place[:, 7, :3], place[:, 8, :3] = \
            table[:, 0:3], table[:, 4:7], table[:, 7:10]
        # A writable view taken each frame: taking it marks the vertices for re-upload.
        np.matmul(_TEMPLATE, place, out=_floats(self._positions, len(table)))
