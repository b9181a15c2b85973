"""A deterministic glTF 2.0 binary writer for pipeline parts (Khronos-validator clean)."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field

import numpy as np

from tools.meshdata import Part
from tools.textures import prepare

_ARRAY_BUFFER = 34962
_ELEMENT_ARRAY_BUFFER = 34963
_FLOAT, _UINT8, _UINT16, _UINT32 = 5126, 5121, 5123, 5125


@dataclass
class _Builder:
    max_texture: int
    blob: bytearray = field(default_factory=bytearray)
    views: list[dict[str, object]] = field(default_factory=list)
    accessors: list[dict[str, object]] = field(default_factory=list)
    images: list[dict[str, object]] = field(default_factory=list)
    textures: list[dict[str, object]] = field(default_factory=list)
    materials: list[dict[str, object]] = field(default_factory=list)
    _material_index: dict[str, int] = field(default_factory=dict)
    _image_index: dict[str, int] = field(default_factory=dict)

    def view(self, data: bytes, target: int | None) -> int:
        while len(self.blob) % 4:
            self.blob.append(0)
        entry: dict[str, object] = {"buffer": 0, "byteOffset": len(self.blob),
                                    "byteLength": len(data)}
        if target is not None:
            entry["target"] = target
        self.blob.extend(data)
        self.views.append(entry)
        return len(self.views) - 1

    def accessor(self, array: np.ndarray, kind: str, component: int, target: int,
                 with_bounds: bool = False, normalized: bool = False) -> int:
        entry: dict[str, object] = {
            "bufferView": self.view(array.tobytes(), target),
            "componentType": component,
            "count": len(array),
            "type": kind,
        }
        if normalized:
            entry["normalized"] = True
        if with_bounds:
            entry["min"] = [float(x) for x in array.min(axis=0)]
            entry["max"] = [float(x) for x in array.max(axis=0)]
        self.accessors.append(entry)
        return len(self.accessors) - 1

    def material(self, part: Part) -> int:
        key = part.material.key()
        if key in self._material_index:
            return self._material_index[key]
        mat = part.material
        pbr: dict[str, object] = {
            "baseColorFactor": [round(float(c), 6) for c in mat.color],
            "metallicFactor": round(float(mat.metallic), 6),
            "roughnessFactor": round(float(mat.roughness), 6),
        }
        entry: dict[str, object] = {"pbrMetallicRoughness": pbr}
        if mat.texture is not None and part.uv is not None:
            pbr["baseColorTexture"] = {"index": self.texture(mat.texture, mat.texture_key)}
            if mat.roughness_map is not None:
                pbr["metallicRoughnessTexture"] = {
                    "index": self.texture(mat.roughness_map, mat.maps_key + ":orm")}
            if mat.normal_map is not None:
                entry["normalTexture"] = {
                    "index": self.texture(mat.normal_map, mat.maps_key + ":normal")}
        if mat.name:
            entry["name"] = mat.name
        if mat.double_sided:
            entry["doubleSided"] = True
        if mat.color[3] < 1.0:
            entry["alphaMode"] = "BLEND"
        self.materials.append(entry)
        self._material_index[key] = len(self.materials) - 1
        return len(self.materials) - 1

    def texture(self, image: object, key: str) -> int:
        if key not in self._image_index:
            data, mime = prepare(image, self.max_texture)  # type: ignore[arg-type]
            self.images.append({"bufferView": self.view(data, None), "mimeType": mime})
            self.textures.append({"sampler": 0, "source": len(self.images) - 1})
            self._image_index[key] = len(self.textures) - 1
        return self._image_index[key]


def _to_y_up(array: np.ndarray) -> np.ndarray:
    """Scene frame (Z up) to glTF (Y up): (x, y, z) -> (x, z, -y)."""
    return np.stack([array[:, 0], array[:, 2], -array[:, 1]], axis=1)


def _unit(normals: np.ndarray) -> np.ndarray:
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    out = np.where(length > 1e-8, normals / np.maximum(length, 1e-12), [0.0, 0.0, 1.0])
    return out.astype(np.float32)


def tangents(positions: np.ndarray, normals: np.ndarray, uv: np.ndarray,
             faces: np.ndarray) -> np.ndarray:
    """Per-vertex tangents for normal maps, (n, 4) float32: xyz along +u, w the bitangent's
    handedness. Written into the GLB so no reader has to derive them (Panda3D's glTF
    loader would, in Python, on every cold load)."""
    p = positions.astype(np.float64)[faces]
    t = uv.astype(np.float64)[faces]
    e1, e2 = p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]
    d1, d2 = t[:, 1] - t[:, 0], t[:, 2] - t[:, 0]
    det = d1[:, 0] * d2[:, 1] - d2[:, 0] * d1[:, 1]
    inverse = np.where(np.abs(det) > 1e-12, 1.0 / np.where(det == 0, 1.0, det), 0.0)
    face_t = (e1 * d2[:, 1:2] - e2 * d1[:, 1:2]) * inverse[:, None]
    face_b = (e2 * d1[:, 0:1] - e1 * d2[:, 0:1]) * inverse[:, None]
    tangent = np.zeros_like(positions, dtype=np.float64)
    bitangent = np.zeros_like(tangent)
    for corner in range(3):
        np.add.at(tangent, faces[:, corner], face_t)
        np.add.at(bitangent, faces[:, corner], face_b)
    n = normals.astype(np.float64)
    tangent -= n * np.sum(n * tangent, axis=1, keepdims=True)
    length = np.linalg.norm(tangent, axis=1, keepdims=True)
    # No usable UV gradient (a degenerate triangle): any direction across the normal.
    helper = np.where(np.abs(n[:, :1]) < 0.9, [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])
    fallback = np.cross(n, helper)
    fallback /= np.maximum(np.linalg.norm(fallback, axis=1, keepdims=True), 1e-12)
    tangent = np.where(length > 1e-9, tangent / np.maximum(length, 1e-12), fallback)
    handed = np.where(np.sum(np.cross(n, tangent) * bitangent, axis=1) < 0, -1.0, 1.0)
    return np.concatenate([tangent, handed[:, None]], axis=1).astype(np.float32)


def write_glb(parts: list[Part], name: str, max_texture: int = 2048) -> bytes:
    """Encode parts as one mesh with one primitive per part.

    Args:
        parts: non-empty parts in the scene frame.
        name: node and mesh name.
        max_texture: the largest texture side allowed, in pixels.
    """
    builder = _Builder(max_texture)
    primitives: list[dict[str, object]] = []
    for part in parts:
        if part.triangles == 0:
            continue
        positions = _to_y_up(part.vertices).astype(np.float32)
        normals = _unit(_to_y_up(part.normals))
        attributes = {
            "POSITION": builder.accessor(positions, "VEC3", _FLOAT, _ARRAY_BUFFER,
                                         with_bounds=True),
            "NORMAL": builder.accessor(normals, "VEC3", _FLOAT, _ARRAY_BUFFER),
        }
        if part.uv is not None:
            uv = np.stack([part.uv[:, 0], 1.0 - part.uv[:, 1]], axis=1).astype(np.float32)
            attributes["TEXCOORD_0"] = builder.accessor(uv, "VEC2", _FLOAT, _ARRAY_BUFFER)
            if part.material.normal_map is not None:
                attributes["TANGENT"] = builder.accessor(
                    tangents(positions, normals, uv, part.faces.astype(np.int64)), "VEC4",
                    _FLOAT, _ARRAY_BUFFER)
        if part.colors is not None:  # baked occlusion: every renderer multiplies it in
            attributes["COLOR_0"] = builder.accessor(
                np.ascontiguousarray(part.colors, dtype=np.uint8), "VEC4", _UINT8,
                _ARRAY_BUFFER, normalized=True)
        wide = len(part.vertices) > 65535
        indices = part.faces.reshape(-1).astype(np.uint32 if wide else np.uint16)
        primitives.append({
            "attributes": attributes,
            "indices": builder.accessor(indices, "SCALAR", _UINT32 if wide else _UINT16,
                                        _ELEMENT_ARRAY_BUFFER),
            "material": builder.material(part),
            "mode": 4,
        })
    if not primitives:
        raise ValueError(f"{name}: nothing to write, every part is empty")
    while len(builder.blob) % 4:
        builder.blob.append(0)
    document: dict[str, object] = {
        "asset": {"version": "2.0", "generator": "RedHall content pipeline"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0, "name": name}],
        "meshes": [{"name": name, "primitives": primitives}],
        "materials": builder.materials,
        "accessors": builder.accessors,
        "bufferViews": builder.views,
        "buffers": [{"byteLength": len(builder.blob)}],
    }
    if builder.images:
        document["images"] = builder.images
        document["textures"] = builder.textures
        document["samplers"] = [{"magFilter": 9729, "minFilter": 9987,
                                 "wrapS": 10497, "wrapT": 10497}]
    text = json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
    text += b" " * (-len(text) % 4)
    body = bytes(builder.blob)
    total = 12 + 8 + len(text) + 8 + len(body)
    return b"".join([
        struct.pack("<4sII", b"glTF", 2, total),
        struct.pack("<I4s", len(text), b"JSON"), text,
        struct.pack("<I4s", len(body), b"BIN\x00"), body,
    ])
