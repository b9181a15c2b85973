"""The narrator (数字人讲解员): a stylized man in a grey Zhongshan suit of the 1920s-30s,
rigged for the engine and the web viewer.

- A skin of 17 joints (hips, spine, chest, neck, head; shoulders to hands; thighs to feet).
- Morph targets on the head for the lip-sync track's visemes (``viseme_A`` open jaw,
  ``viseme_E`` spread lips, ``viseme_O`` rounded, ``viseme_S`` teeth) and ``blink``.
- Animations: ``idle`` (breathing, a slow look around, a blink; 4 s loop) and ``gesture``
  (the right arm held out toward what is being explained).

Written to ``narrator/narrator.glb``; rebuilt byte for byte by ``python -m assets._generate``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from skinned_glb import Channel, Joint, Primitive, write_figure

Vec = tuple[float, float, float]
Weights = dict[str, float]

COLOURS = {"skin": "#D9A882", "suit": "#5B6470", "trousers": "#3E434A", "shoes": "#1C1A19",
           "hair": "#17130F", "eye": "#F0EDE6", "pupil": "#221A14", "mouth": "#7A2E2A",
           "button": "#2C2C2C"}
TARGETS = ["viseme_A", "viseme_E", "viseme_O", "viseme_S", "blink"]


def _joints() -> list[Joint]:
    joints = [Joint("hips", None, (0.0, 0.95, 0.0)), Joint("spine", "hips", (0.0, 1.12, 0.0)),
              Joint("chest", "spine", (0.0, 1.30, 0.0)), Joint("neck", "chest", (0.0, 1.47, 0.0)),
              Joint("head", "neck", (0.0, 1.57, 0.0))]
    for side, sign in (("L", 1.0), ("R", -1.0)):
        joints += [Joint(f"upperarm.{side}", "chest", (0.19 * sign, 1.43, 0.0)),
                   Joint(f"forearm.{side}", f"upperarm.{side}", (0.23 * sign, 1.16, 0.0)),
                   Joint(f"hand.{side}", f"forearm.{side}", (0.26 * sign, 0.93, 0.0)),
                   Joint(f"thigh.{side}", "hips", (0.09 * sign, 0.93, 0.0)),
                   Joint(f"shin.{side}", f"thigh.{side}", (0.095 * sign, 0.50, 0.0)),
                   Joint(f"foot.{side}", f"shin.{side}", (0.10 * sign, 0.09, 0.0))]
    return joints


class _Part:
    """Vertices, normals, per-vertex joint weights and triangles of one shape."""

    def __init__(self) -> None:
        self.positions: list[Vec] = []
        self.normals: list[Vec] = []
        self.weights: list[Weights] = []
        self.faces: list[tuple[int, int, int]] = []

    def vertex(self, position: np.ndarray, normal: np.ndarray, weights: Weights) -> int:
        n = normal / np.linalg.norm(normal)
        self.positions.append((float(position[0]), float(position[1]), float(position[2])))
        self.normals.append((float(n[0]), float(n[1]), float(n[2])))
        self.weights.append(weights)
        return len(self.positions) - 1


def ellipsoid(part: _Part, centre: Vec, radii: Vec, weights: Weights, rings: int = 8,
              segments: int = 14, lowest: float = -np.pi / 2) -> range:
    """An ellipsoid from latitude ``lowest`` up to its top pole (open below when cut)."""
    c, r = np.asarray(centre), np.asarray(radii)
    first = len(part.positions)
    closed = lowest <= -np.pi / 2
    latitudes = np.linspace(lowest, np.pi / 2, rings + 1)[1 if closed else 0:-1]
    if closed:
        bottom = part.vertex(c - np.array([0.0, r[1], 0.0]), np.array([0.0, -1.0, 0.0]), weights)
    for lat in latitudes:
        for j in range(segments):
            lon = 2 * np.pi * j / segments
            unit = np.array([np.cos(lat) * np.sin(lon), np.sin(lat), np.cos(lat) * np.cos(lon)])
            part.vertex(c + r * unit, unit / r, weights)
    top = part.vertex(c + np.array([0.0, r[1], 0.0]), np.array([0.0, 1.0, 0.0]), weights)
    ring = lambda k, j: first + (1 if closed else 0) + k * segments + j % segments  # noqa: E731
    for j in range(segments):
        if closed:
            part.faces.append((bottom, ring(0, j + 1), ring(0, j)))
        for k in range(len(latitudes) - 1):
            a, b = ring(k, j), ring(k, j + 1)
            c0, d = ring(k + 1, j), ring(k + 1, j + 1)
            part.faces += [(a, b, d), (a, d, c0)]
        last = len(latitudes) - 1
        part.faces.append((ring(last, j), ring(last, j + 1), top))
    return range(first, len(part.positions))


def tube(part: _Part, rings: list[tuple[Vec, float, float, Weights]], segments: int = 12) -> None:
    """A closed tube through horizontal elliptic rings (centre, x radius, z radius, weights)."""
    first = len(part.positions)
    for centre, rx, rz, weights in rings:
        for j in range(segments):
            lon = 2 * np.pi * j / segments
            direction = np.array([np.sin(lon), 0.0, np.cos(lon)])
            offset = np.array([rx * direction[0], 0.0, rz * direction[2]])
            part.vertex(np.asarray(centre) + offset, direction / [rx, 1, rz], weights)
    for k in range(len(rings) - 1):
        for j in range(segments):
            a, b = first + k * segments + j, first + k * segments + (j + 1) % segments
            c, d = a + segments, b + segments
            part.faces += [(a, d, b), (a, c, d)]
    for k, facing in ((0, -1.0), (len(rings) - 1, 1.0)):
        centre, _, _, weights = rings[k]
        middle = part.vertex(np.asarray(centre), np.array([0.0, facing, 0.0]), weights)
        for j in range(segments):
            a = first + k * segments + j
            b = first + k * segments + (j + 1) % segments
            part.faces.append((middle, a, b) if facing > 0 else (middle, b, a))


def _body(parts: dict[str, _Part]) -> None:
    suit, trousers = parts["suit"], parts["trousers"]
    tube(suit, [((0, 0.84, 0.005), 0.19, 0.125, {"hips": 1}),
                ((0, 0.95, 0), 0.18, 0.115, {"hips": 1}),
                ((0, 1.05, 0), 0.165, 0.105, {"hips": 0.5, "spine": 0.5}),
                ((0, 1.20, 0), 0.17, 0.108, {"spine": 0.5, "chest": 0.5}),
                ((0, 1.33, 0.005), 0.185, 0.115, {"chest": 1}),
                ((0, 1.43, 0), 0.195, 0.105, {"chest": 1}),
                ((0, 1.47, 0), 0.075, 0.07, {"chest": 0.5, "neck": 0.5})], segments=16)
    tube(suit, [((0, 1.45, 0), 0.068, 0.066, {"neck": 1}),  # the stand collar
                ((0, 1.52, 0), 0.064, 0.062, {"neck": 1})])
    tube(parts["skin"], [((0, 1.48, 0), 0.05, 0.05, {"neck": 1}),
                         ((0, 1.60, 0), 0.048, 0.048, {"head": 1})])
    for i, y in enumerate((1.39, 1.30, 1.21, 1.12, 1.03)):
        joint = ("chest", "chest", "spine", "spine", "hips")[i]
        ellipsoid(parts["button"], (0.0, y, 0.118), (0.011, 0.011, 0.006), {joint: 1},
                  rings=4, segments=8)
    for side, s in (("L", 1.0), ("R", -1.0)):
        up, fore, hand = f"upperarm.{side}", f"forearm.{side}", f"hand.{side}"
        tube(suit, [((0.185 * s, 1.44, 0), 0.058, 0.058, {"chest": 0.5, up: 0.5}),
                    ((0.21 * s, 1.30, 0), 0.052, 0.052, {up: 1}),
                    ((0.23 * s, 1.16, 0), 0.046, 0.046, {up: 0.5, fore: 0.5}),
                    ((0.245 * s, 1.04, 0), 0.043, 0.043, {fore: 1}),
                    ((0.26 * s, 0.94, 0), 0.042, 0.042, {fore: 1})])
        ellipsoid(parts["skin"], (0.265 * s, 0.875, 0.005), (0.028, 0.065, 0.045), {hand: 1})
        thigh, shin, foot = f"thigh.{side}", f"shin.{side}", f"foot.{side}"
        tube(trousers, [((0.09 * s, 0.96, 0), 0.085, 0.09, {"hips": 0.5, thigh: 0.5}),
                        ((0.092 * s, 0.73, 0), 0.072, 0.075, {thigh: 1}),
                        ((0.095 * s, 0.50, 0), 0.062, 0.064, {thigh: 0.5, shin: 0.5}),
                        ((0.097 * s, 0.30, 0), 0.056, 0.058, {shin: 1}),
                        ((0.10 * s, 0.09, 0), 0.052, 0.054, {shin: 0.5, foot: 0.5})])
        ellipsoid(parts["shoes"], (0.10 * s, 0.045, 0.035), (0.05, 0.045, 0.12), {foot: 1})


HEAD: Vec = (0.0, 1.67, 0.0)
HEAD_RADII: Vec = (0.09, 0.115, 0.10)
MOUTH: Vec = (0.0, 1.615, 0.088)
_EYES = [(0.035 * s, 1.69, 0.088) for s in (1.0, -1.0)]


def _head(parts: dict[str, _Part]) -> dict[str, list[tuple[range, Vec]]]:
    """The head's shapes; returns the vertex ranges the morph targets move, with centres."""
    head = {"head": 1.0}
    face = ellipsoid(parts["skin"], HEAD, HEAD_RADII, head, rings=12, segments=20)
    ellipsoid(parts["hair"], (0.0, 1.70, -0.01), (0.096, 0.1, 0.104), head, rings=8,
              segments=20, lowest=0.2)
    for s in (1.0, -1.0):
        ellipsoid(parts["skin"], (0.088 * s, 1.665, -0.005), (0.014, 0.03, 0.02), head, 4, 8)
        ellipsoid(parts["hair"], (0.035 * s, 1.716, 0.086), (0.022, 0.004, 0.006), head, 3, 8)
    ellipsoid(parts["skin"], (0.0, 1.652, 0.096), (0.012, 0.022, 0.016), head, 4, 8)  # nose
    eyes = [(ellipsoid(parts["eye"], c, (0.018, 0.011, 0.012), head, 5, 10), c) for c in _EYES]
    pupils = [(ellipsoid(parts["pupil"], (c[0], c[1], 0.099), (0.008, 0.008, 0.004), head, 4, 8),
               c) for c in _EYES]
    mouth = ellipsoid(parts["mouth"], MOUTH, (0.026, 0.005, 0.008), head, 4, 12)
    return {"face": [(face, HEAD)], "eye": eyes, "pupil": pupils, "mouth": [(mouth, MOUTH)]}


def _scaled(positions: np.ndarray, rows: range, centre: Vec, scale: Vec,
            shift: Vec = (0.0, 0.0, 0.0)) -> np.ndarray:
    delta = np.zeros_like(positions)
    p = positions[rows.start:rows.stop]
    delta[rows.start:rows.stop] = (p - centre) * (np.asarray(scale) - 1) + shift
    return delta


def _targets(part: str, positions: np.ndarray, moved: dict[str, list[tuple[range, Vec]]]
             ) -> dict[str, np.ndarray]:
    """Position deltas of each morph target for the vertices of head material ``part``."""
    targets: dict[str, np.ndarray] = {}
    if part == "mouth":
        rows, centre = moved["mouth"][0]
        targets["viseme_A"] = _scaled(positions, rows, centre, (0.9, 4.2, 1.0), (0, -0.006, 0))
        targets["viseme_E"] = _scaled(positions, rows, centre, (1.35, 1.8, 1.0))
        targets["viseme_O"] = _scaled(positions, rows, centre, (0.6, 3.0, 1.0), (0, -0.002, 0.006))
        targets["viseme_S"] = _scaled(positions, rows, centre, (1.25, 1.3, 1.0))
    if part == "skin":  # the jaw drops with an open mouth: chin and cheeks below the lips
        rows, _ = moved["face"][0]
        p = positions[rows.start:rows.stop]
        below = np.clip((MOUTH[1] - p[:, 1]) / 0.05, 0, 1) * np.clip(p[:, 2] / 0.05, 0, 1)
        jaw = np.zeros_like(positions)
        jaw[rows.start:rows.stop, 1] = -0.014 * below
        targets["viseme_A"] = jaw
        targets["viseme_O"] = jaw * 0.6
    if part in ("eye", "pupil"):  # lids closing: the eye narrows to a line at its centre
        targets["blink"] = sum((_scaled(positions, rows, centre, (1.0, 0.08, 1.0))
                                for rows, centre in moved[part]), np.zeros_like(positions))
    return targets


def _primitive(name: str, part: _Part, joint_index: dict[str, int]) -> Primitive:
    joints = np.zeros((len(part.weights), 4), dtype=np.uint8)
    weights = np.zeros((len(part.weights), 4))
    for i, mapping in enumerate(part.weights):
        for slot, (joint, weight) in enumerate(sorted(mapping.items())):
            joints[i, slot], weights[i, slot] = joint_index[joint], weight
    weights /= weights.sum(axis=1, keepdims=True)
    positions, normals = np.array(part.positions), np.array(part.normals)
    faces = np.array(part.faces)
    # wind every triangle counter-clockwise seen from outside (where its normals point)
    a, b, c = positions[faces[:, 0]], positions[faces[:, 1]], positions[faces[:, 2]]
    facing = np.einsum("ij,ij->i", np.cross(b - a, c - a), normals[faces].sum(axis=1))
    faces[facing < 0] = faces[facing < 0][:, ::-1]
    return Primitive(name, positions, normals, joints, weights, faces.reshape(-1))


def _rotation(axis: Vec, degrees: float) -> list[float]:
    half = np.radians(degrees) / 2
    return [float(a * np.sin(half)) for a in axis] + [float(np.cos(half))]


def _animations() -> dict[str, list[Channel]]:
    x, y = (1.0, 0.0, 0.0), (0.0, 1.0, 0.0)
    blink = np.zeros((5, len(TARGETS)))
    blink[2, TARGETS.index("blink")] = 1.0
    idle = [
        Channel("chest", "rotation", [0, 2, 4], np.array([_rotation(x, 0), _rotation(x, -1.5),
                                                          _rotation(x, 0)])),
        Channel("head", "rotation", [0, 1, 2, 3, 4],
                np.array([_rotation(y, a) for a in (0, 6, 0, -6, 0)])),
        Channel("head", "weights", [0, 2.9, 3.02, 3.14, 4], blink),
    ]
    gesture = [
        Channel("upperarm.R", "rotation", [0, 0.6, 1.8, 2.4],
                np.array([_rotation(x, a) for a in (0, -65, -65, 0)])),
        Channel("forearm.R", "rotation", [0, 0.6, 1.8, 2.4],
                np.array([_rotation(x, a) for a in (0, -20, -20, 0)])),
        Channel("head", "rotation", [0, 0.6, 1.8, 2.4],
                np.array([_rotation(y, a) for a in (0, -15, -15, 0)])),
    ]
    return {"gesture": gesture, "idle": idle}


def build() -> bytes:
    joints = _joints()
    joint_index = {j.name: i for i, j in enumerate(joints)}
    body = {name: _Part() for name in ("suit", "trousers", "shoes", "skin", "button")}
    _body(body)
    head = {name: _Part() for name in ("skin", "hair", "eye", "pupil", "mouth")}
    moved = _head(head)
    head_primitives = []
    for name, part in head.items():
        primitive = _primitive(name, part, joint_index)
        primitive.targets = _targets(name, primitive.positions, moved)
        head_primitives.append(primitive)
    meshes = {"body": [_primitive(n, p, joint_index) for n, p in body.items()],
              "head": head_primitives}
    return write_figure("narrator", joints, meshes, {"head": TARGETS}, COLOURS, _animations())


def generate(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "narrator.glb").write_bytes(build())
