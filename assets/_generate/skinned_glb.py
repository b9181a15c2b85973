"""A glTF 2.0 binary writer for one skinned figure: a joint hierarchy, skinned meshes with
morph targets, and animations. Plain numpy and sorted JSON, so the bytes repeat exactly.

Coordinates are glTF's own (Y up, the figure facing +Z, metres).
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field

import numpy as np

_ARRAY_BUFFER, _ELEMENT_ARRAY_BUFFER = 34962, 34963
_FLOAT, _UBYTE, _USHORT = 5126, 5121, 5123


@dataclass
class Primitive:
    """Triangles of one material: positions/normals (n, 3), joints (n, 4) uint8, weights
    (n, 4) float, indices (m,), and per morph target a (n, 3) position delta."""

    material: str
    positions: np.ndarray
    normals: np.ndarray
    joints: np.ndarray
    weights: np.ndarray
    indices: np.ndarray
    targets: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class Joint:
    name: str
    parent: str | None
    position: tuple[float, float, float]  # rest position, figure space


@dataclass
class Channel:
    """One animated property: a joint's rotation (quaternions xyzw) or a mesh's morph weights
    (one row of weights per key time)."""

    target: str
    path: str  # "rotation" or "weights"
    times: list[float]
    values: np.ndarray


@dataclass
class _Buffer:
    blob: bytearray = field(default_factory=bytearray)
    views: list[dict[str, object]] = field(default_factory=list)
    accessors: list[dict[str, object]] = field(default_factory=list)

    def accessor(self, array: np.ndarray, kind: str, component: int,
                 target: int | None = None, bounds: bool = False) -> int:
        while len(self.blob) % 4:
            self.blob.append(0)
        view: dict[str, object] = {"buffer": 0, "byteOffset": len(self.blob),
                                   "byteLength": array.nbytes}
        if target is not None:
            view["target"] = target
        self.blob.extend(array.tobytes())
        self.views.append(view)
        entry: dict[str, object] = {"bufferView": len(self.views) - 1, "componentType": component,
                                    "count": len(array), "type": kind}
        if bounds:
            flat = array.reshape(len(array), -1)
            entry["min"] = [float(x) for x in flat.min(axis=0)]
            entry["max"] = [float(x) for x in flat.max(axis=0)]
        self.accessors.append(entry)
        return len(self.accessors) - 1


def _primitive(buffer: _Buffer, primitive: Primitive, materials: list[str],
               target_names: list[str]) -> dict[str, object]:
    f32 = np.float32
    attributes = {
        "POSITION": buffer.accessor(primitive.positions.astype(f32), "VEC3", _FLOAT,
                                    _ARRAY_BUFFER, bounds=True),
        "NORMAL": buffer.accessor(primitive.normals.astype(f32), "VEC3", _FLOAT, _ARRAY_BUFFER),
        "JOINTS_0": buffer.accessor(primitive.joints.astype(np.uint8), "VEC4", _UBYTE,
                                    _ARRAY_BUFFER),
        "WEIGHTS_0": buffer.accessor(primitive.weights.astype(f32), "VEC4", _FLOAT,
                                     _ARRAY_BUFFER),
    }
    entry: dict[str, object] = {
        "attributes": attributes,
        "indices": buffer.accessor(primitive.indices.astype(np.uint16), "SCALAR", _USHORT,
                                   _ELEMENT_ARRAY_BUFFER),
        "material": materials.index(primitive.material),
        "mode": 4,
    }
    if target_names:
        zero = np.zeros_like(primitive.positions)
        entry["targets"] = [
            {"POSITION": buffer.accessor(primitive.targets.get(name, zero).astype(f32), "VEC3",
                                         _FLOAT, _ARRAY_BUFFER, bounds=True)}
            for name in target_names]
    return entry


def write_figure(name: str, joints: list[Joint], meshes: dict[str, list[Primitive]],
                 target_names: dict[str, list[str]], colours: dict[str, str],
                 animations: dict[str, list[Channel]]) -> bytes:
    """The figure as GLB bytes: one skin over ``joints``, every mesh skinned by it."""
    buffer = _Buffer()
    materials = sorted(colours)
    index = {joint.name: i for i, joint in enumerate(joints)}
    nodes: list[dict[str, object]] = []
    for joint in joints:
        parent = next((j for j in joints if j.name == joint.parent), None)
        offset = np.subtract(joint.position, parent.position if parent else (0.0, 0.0, 0.0))
        node: dict[str, object] = {"name": joint.name,
                                   "translation": [round(float(v), 6) for v in offset]}
        children = [index[j.name] for j in joints if j.parent == joint.name]
        if children:
            node["children"] = children
        nodes.append(node)
    inverse_bind = np.zeros((len(joints), 16), dtype=np.float32)
    for i, joint in enumerate(joints):
        matrix = np.eye(4)
        matrix[:3, 3] = -np.asarray(joint.position)
        inverse_bind[i] = matrix.T.reshape(-1)  # glTF matrices are column-major
    root = len(joints) + len(meshes)  # holds the skeleton and the meshes it deforms
    skin = {"joints": list(range(len(joints))), "skeleton": root, "name": name,
            "inverseBindMatrices": buffer.accessor(inverse_bind, "MAT4", _FLOAT)}
    mesh_entries = []
    for mesh_name, primitives in meshes.items():
        names = target_names.get(mesh_name, [])
        entry: dict[str, object] = {
            "name": mesh_name,
            "primitives": [_primitive(buffer, p, materials, names) for p in primitives]}
        if names:
            entry["weights"] = [0.0] * len(names)
            entry["extras"] = {"targetNames": names}
        mesh_entries.append(entry)
        nodes.append({"name": mesh_name, "mesh": len(mesh_entries) - 1, "skin": 0})
    mesh_node = {m: len(joints) + i for i, m in enumerate(meshes)}
    animation_entries = []
    for animation_name, channels in animations.items():
        samplers, targets = [], []
        for channel in channels:
            times = np.asarray(channel.times, dtype=np.float32)
            kind = "VEC4" if channel.path == "rotation" else "SCALAR"
            values = channel.values.astype(np.float32).reshape(-1, 4 if kind == "VEC4" else 1)
            samplers.append({"input": buffer.accessor(times, "SCALAR", _FLOAT, bounds=True),
                             "output": buffer.accessor(values if kind == "VEC4"
                                                       else values.reshape(-1), kind, _FLOAT),
                             "interpolation": "LINEAR"})
            node = index[channel.target] if channel.path == "rotation" \
                else mesh_node[channel.target]
            targets.append({"sampler": len(samplers) - 1,
                            "target": {"node": node, "path": channel.path}})
        animation_entries.append({"name": animation_name, "channels": targets,
                                  "samplers": samplers})
    while len(buffer.blob) % 4:
        buffer.blob.append(0)
    document: dict[str, object] = {
        "asset": {"version": "2.0", "generator": "RedHall assets/_generate"},
        "scene": 0,
        "scenes": [{"name": name, "nodes": [root]}],
        "nodes": [*nodes, {"name": name, "children": [0, *mesh_node.values()]}],
        "skins": [skin],
        "meshes": mesh_entries,
        "materials": [{"name": m, "pbrMetallicRoughness": {
            "baseColorFactor": [round(int(colours[m][i:i + 2], 16) / 255, 4) for i in (1, 3, 5)]
            + [1.0], "metallicFactor": 0.0, "roughnessFactor": 0.8}} for m in materials],
        "animations": animation_entries,
        "accessors": buffer.accessors,
        "bufferViews": buffer.views,
        "buffers": [{"byteLength": len(buffer.blob)}],
    }
    text = json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
    text += b" " * (-len(text) % 4)
    body = bytes(buffer.blob)
    total = 12 + 8 + len(text) + 8 + len(body)
    return b"".join([struct.pack("<4sII", b"glTF", 2, total),
                     struct.pack("<I4s", len(text), b"JSON"), text,
                     struct.pack("<I4s", len(body), b"BIN\x00"), body])
