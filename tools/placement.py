"""Where props stand, as matrices, and which of them are near enough to shade each other.

The engine places a prop with Panda3D's ``setPos/setHpr/setScale`` (Z up, heading about
Z, then pitch about X, then roll about Y); :func:`placement` builds the same matrix, so
occlusion baked from it lines up with what is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from protocol.scene import Prop

Box = tuple[tuple[float, float, float], tuple[float, float, float]]
DECIMALS = 6  # a relative placement is rounded to a micrometre: keys and bakes agree


def _turn(axis: int, degrees: float) -> NDArray[np.float64]:
    c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    m = np.eye(3)
    m[i, i], m[i, j], m[j, i], m[j, j] = c, -s, s, c
    return m


def scale_of(prop: Prop) -> tuple[float, float, float]:
    s = prop.scale
    return (float(s), float(s), float(s)) if isinstance(s, (int, float)) else s


def rigid(prop: Prop) -> NDArray[np.float64]:
    """The prop's frame without its scale: 4x4, model to scene coordinates."""
    heading, pitch, roll = prop.rotation
    m = np.eye(4)
    m[:3, :3] = _turn(2, heading) @ _turn(0, pitch) @ _turn(1, roll)
    m[:3, 3] = prop.position
    return m


def placement(prop: Prop) -> NDArray[np.float64]:
    """The prop's full placement (scale, then rotation, then position): 4x4."""
    return rigid(prop) @ np.diag([*scale_of(prop), 1.0])


def extent(prop: Prop, box: Box) -> float:
    """The longest side of the prop's bounds at its scale, in metres."""
    return max(abs(s) * (hi - lo) for s, lo, hi in zip(scale_of(prop), box[0], box[1]))


def world_box(box: Box, matrix: NDArray[np.float64]) -> Box:
    """The axis-aligned box around ``box`` moved by ``matrix``."""
    lo, hi = np.asarray(box[0]), np.asarray(box[1])
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1])
                        for z in (lo[2], hi[2])])
    moved = corners @ matrix[:3, :3].T + matrix[:3, 3]
    a, b = moved.min(axis=0), moved.max(axis=0)
    return (float(a[0]), float(a[1]), float(a[2])), (float(b[0]), float(b[1]), float(b[2]))


def within(a: Box, b: Box, reach: float) -> bool:
    """Whether box ``a`` grown by ``reach`` overlaps box ``b``."""
    return all(a[0][i] - reach <= b[1][i] and b[0][i] <= a[1][i] + reach for i in range(3))


@dataclass(frozen=True)
class Neighbour:
    """A prop near another, placed in that prop's frame (its rigid frame: scale is not
    undone, so distances are metres)."""

    prop: Prop
    key: str                   # the neighbour's geometry key (tools.props.prop_key)
    matrix: tuple[float, ...]  # 16 numbers, row-major, rounded to DECIMALS

    def transform(self) -> NDArray[np.float64]:
        return np.array(self.matrix, dtype=np.float64).reshape(4, 4)

    def describe(self) -> str:
        """What the build cache keys on: the geometry and where it stands."""
        return self.key + ":" + ",".join(f"{v:.{DECIMALS}f}" for v in self.matrix)


def relative(prop: Prop, other: Prop) -> tuple[float, ...]:
    """``other``'s placement in ``prop``'s rigid frame, rounded so the same arrangement
    anywhere in a scene gives the same numbers."""
    matrix = np.linalg.inv(rigid(prop)) @ placement(other)
    rounded = np.round(matrix, DECIMALS) + 0.0  # + 0.0: no negative zeros in keys
    return tuple(float(v) for v in rounded.reshape(-1))


def neighbours(props: list[Prop], keys: list[str], boxes: list[Box],
               reach: float) -> list[list[Neighbour]]:
    """For each prop, the others whose scene bounds come within ``reach`` of its own.

    Args:
        keys: each prop's geometry key; boxes: each prop's bounds in its model frame.
    """
    placed = [world_box(box, placement(p)) for p, box in zip(props, boxes)]
    found: list[list[Neighbour]] = []
    for i, prop in enumerate(props):
        near = [Neighbour(other, keys[j], relative(prop, other))
                for j, other in enumerate(props)
                if j != i and within(placed[i], placed[j], reach)]
        found.append(sorted(near, key=Neighbour.describe))
    return found
