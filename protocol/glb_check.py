"""A structural check of binary glTF (GLB) models before any renderer reads them.

Panda3D's glTF loader trusts what a file says: an accessor that runs past its buffer, an
index that names a missing mesh, a node that is its own ancestor or a buffer stored
outside the file make it read out of bounds, recurse forever, or open files elsewhere on
the disk. :func:`check_glb` refuses all of those, with a message naming the first
problem, reading nothing but the bytes it is given.

A packaged model is self-contained: its only data are the GLB's BIN chunk and views of
it, so any ``uri`` (a path, a URL or a ``data:`` URI) is refused.
"""

from __future__ import annotations

import math
import struct
from typing import Any

import numpy as np

from protocol.safe_json import JsonRefused, loads

MAGIC = b"glTF"
JSON_CHUNK = 0x4E4F534A
BIN_CHUNK = 0x004E4942
MAX_JSON_BYTES = 8 * 1024**2
MAX_ITEMS = 100_000  # of each kind: nodes, meshes, accessors...
MAX_COUNT = 1 << 26  # elements in one accessor
MAX_INT = 1 << 32
MAX_COORDINATE = 1e6  # metres; positions and node transforms
COMPONENT_SIZE = {5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4}
COMPONENT_DTYPE = {5120: "<i1", 5121: "<u1", 5122: "<i2", 5123: "<u2", 5125: "<u4",
                   5126: "<f4"}
COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}
INDEX_TYPES = (5121, 5123, 5125)
IMAGE_TYPES = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}
# Extensions a package's models may require; the loader understands each of them.
KNOWN_EXTENSIONS = frozenset({
    "KHR_materials_unlit", "KHR_texture_transform", "KHR_materials_emissive_strength",
    "KHR_mesh_quantization", "KHR_materials_ior", "KHR_materials_specular",
    "KHR_materials_transmission", "KHR_lights_punctual",
})
COLLECTIONS = ("accessors", "animations", "bufferViews", "buffers", "cameras", "images",
               "materials", "meshes", "nodes", "samplers", "scenes", "skins", "textures")


class GlbRefused(ValueError):
    """The model is not a well-formed, self-contained GLB; the message says where."""


def _int(value: Any, where: str, low: int = 0, high: int = MAX_INT) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise GlbRefused(f"{where} is {value!r}, not a whole number from {low} to {high}")
    return value



def _numbers(value: Any, where: str, length: int, bound: float) -> None:
    if not isinstance(value, list) or len(value) != length or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            and abs(v) <= bound for v in value):
        raise GlbRefused(f"{where} must be {length} finite numbers within ±{bound:g}")


class _Document:
    def __init__(self, gltf: dict[str, Any], binary: bytes | None) -> None:
        self.gltf = gltf
        self.binary = binary
        for name in COLLECTIONS:
            items = gltf.get(name, [])
            if not isinstance(items, list) or len(items) > MAX_ITEMS or not all(
                    isinstance(item, dict) for item in items):
                raise GlbRefused(f"`{name}` must be a list of at most {MAX_ITEMS:,} objects")

    def items(self, name: str) -> list[dict[str, Any]]:
        return self.gltf.get(name, [])  # type: ignore[no-any-return]

    def ref(self, value: Any, collection: str, where: str) -> int:
        """``value`` as an index into ``collection``, refused when it names nothing."""
        count = len(self.items(collection))
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < count:
            raise GlbRefused(f"{where} refers to {collection}[{value!r}], but there "
                             f"{'is' if count == 1 else 'are'} {count}")
        return value


def _chunks(data: bytes) -> tuple[bytes, bytes | None]:
    if len(data) < 12 or data[:4] != MAGIC:
        raise GlbRefused("not a binary glTF file (no `glTF` header)")
    version, length = struct.unpack_from("<II", data, 4)
    if version != 2:
        raise GlbRefused(f"glTF version {version}; only version 2 is supported")
    if length != len(data):
        raise GlbRefused(f"the header says {length:,} bytes but the file has {len(data):,}; "
                         "it is truncated or padded")
    offset, chunks = 12, []
    while offset < len(data):
        if offset + 8 > len(data):
            raise GlbRefused(f"a chunk header at byte {offset} runs past the end of the file")
        size, kind = struct.unpack_from("<II", data, offset)
        if offset + 8 + size > len(data):
            raise GlbRefused(f"a chunk at byte {offset} says it holds {size:,} bytes, past the "
                             "end of the file")
        chunks.append((kind, data[offset + 8:offset + 8 + size]))
        offset += 8 + size
        if len(chunks) > 16:
            raise GlbRefused("more than 16 chunks")
    if not chunks or chunks[0][0] != JSON_CHUNK:
        raise GlbRefused("the first chunk is not the JSON chunk")
    if len(chunks[0][1]) > MAX_JSON_BYTES:
        raise GlbRefused(f"the JSON chunk is {len(chunks[0][1]):,} bytes, over the "
                         f"{MAX_JSON_BYTES:,}-byte limit")
    binary = None
    if len(chunks) > 1 and chunks[1][0] == BIN_CHUNK:
        binary = chunks[1][1]
    if any(kind in (JSON_CHUNK, BIN_CHUNK) for kind, _ in chunks[2:]):
        raise GlbRefused("more than one JSON or BIN chunk")
    return chunks[0][1], binary


def _element_size(accessor: dict[str, Any], where: str) -> tuple[int, int]:
    """(bytes of one element, components in it), column padding of small matrices included."""
    component = accessor.get("componentType")
    if component not in COMPONENT_SIZE:
        raise GlbRefused(f"{where} has componentType {component!r}, not a glTF component type")
    kind = accessor.get("type")
    if kind not in COMPONENTS:
        raise GlbRefused(f"{where} has type {kind!r}, not a glTF accessor type")
    size = COMPONENT_SIZE[component]
    if kind.startswith("MAT"):
        rows = int(kind[3])
        column = -(-rows * size // 4) * 4  # each column starts on a 4-byte boundary
        return column * rows, COMPONENTS[kind]
    return size * COMPONENTS[kind], COMPONENTS[kind]


def _check_buffers(doc: _Document) -> list[int]:
    lengths = []
    for index, buffer in enumerate(doc.items("buffers")):
        where = f"buffers[{index}]"
        if "uri" in buffer:
            raise GlbRefused(f"{where} has a `uri` ({str(buffer['uri'])[:60]!r}); a packaged "
                             "model must keep all its data in its own BIN chunk")
        length = _int(buffer.get("byteLength"), f"{where}.byteLength", 1)
        if index != 0 or doc.binary is None:
            raise GlbRefused(f"{where} has no data: only buffers[0] may use the BIN chunk, "
                             "and the file must have one")
        if length > len(doc.binary):
            raise GlbRefused(f"{where} is {length:,} bytes but the BIN chunk holds "
                             f"{len(doc.binary):,}")
        lengths.append(length)
    return lengths


def _check_views(doc: _Document, buffers: list[int]) -> None:
    for index, view in enumerate(doc.items("bufferViews")):
        where = f"bufferViews[{index}]"
        buffer = doc.ref(view.get("buffer"), "buffers", where)
        offset = _int(view.get("byteOffset", 0), f"{where}.byteOffset")
        length = _int(view.get("byteLength"), f"{where}.byteLength", 1)
        if offset + length > buffers[buffer]:
            raise GlbRefused(f"{where} ends at byte {offset + length:,}, past the end of "
                             f"buffers[{buffer}] ({buffers[buffer]:,} bytes)")
        if "byteStride" in view:
            _int(view["byteStride"], f"{where}.byteStride", 4, 252)


def _accessor_data(doc: _Document, index: int) -> np.ndarray:
    """Accessor ``index`` as an array of shape (count, components); checked in bounds."""
    accessor = doc.items("accessors")[index]
    view = doc.items("bufferViews")[accessor["bufferView"]]
    size, components = _element_size(accessor, f"accessors[{index}]")
    stride = view.get("byteStride", size)
    start = view.get("byteOffset", 0) + accessor.get("byteOffset", 0)
    dtype = np.dtype(COMPONENT_DTYPE[accessor["componentType"]])
    if accessor["type"].startswith("MAT") and size != dtype.itemsize * components:
        return np.zeros((0, components), dtype)  # padded small matrices: not read here
    assert doc.binary is not None
    return np.ndarray((accessor["count"], components), dtype, doc.binary, start,
                      (stride, dtype.itemsize))


def _check_accessors(doc: _Document) -> None:
    views = doc.items("bufferViews")
    for index, accessor in enumerate(doc.items("accessors")):
        where = f"accessors[{index}]"
        if "sparse" in accessor:
            raise GlbRefused(f"{where} is sparse; packaged models store accessors densely")
        if "bufferView" not in accessor:
            raise GlbRefused(f"{where} has no bufferView; packaged models store every "
                             "accessor's data")
        view_index = doc.ref(accessor["bufferView"], "bufferViews", where)
        view = views[view_index]
        size, components = _element_size(accessor, where)
        count = _int(accessor.get("count"), f"{where}.count", 1, MAX_COUNT)
        offset = _int(accessor.get("byteOffset", 0), f"{where}.byteOffset")
        stride = view.get("byteStride", size)
        if stride < size:
            raise GlbRefused(f"{where}: elements of {size} bytes do not fit the bufferView's "
                             f"{stride}-byte stride")
        if offset % COMPONENT_SIZE[accessor["componentType"]] or \
                (view.get("byteOffset", 0) + offset) % COMPONENT_SIZE[accessor["componentType"]]:
            raise GlbRefused(f"{where} is not aligned to its component size")
        end = offset + stride * (count - 1) + size
        if end > view["byteLength"]:
            raise GlbRefused(f"{where} needs {end:,} bytes of bufferViews[{view_index}], which "
                             f"holds {view['byteLength']:,}")
        for bound in ("min", "max"):
            if bound in accessor:
                _numbers(accessor[bound], f"{where}.{bound}", components, math.inf)


def _check_meshes(doc: _Document) -> None:
    accessors = doc.items("accessors")
    for index, mesh in enumerate(doc.items("meshes")):
        primitives = mesh.get("primitives")
        if not isinstance(primitives, list) or not primitives or len(primitives) > MAX_ITEMS:
            raise GlbRefused(f"meshes[{index}] has no primitives")
        for number, primitive in enumerate(primitives):
            where = f"meshes[{index}].primitives[{number}]"
            if not isinstance(primitive, dict):
                raise GlbRefused(f"{where} is not an object")
            attributes = primitive.get("attributes")
            if not isinstance(attributes, dict) or "POSITION" not in attributes:
                raise GlbRefused(f"{where} has no POSITION attribute")
            counts = set()
            for name, value in attributes.items():
                counts.add(accessors[doc.ref(value, "accessors", f"{where}.{name}")]["count"])
            targets = primitive.get("targets", [])
            if not isinstance(targets, list) or not all(isinstance(t, dict) for t in targets):
                raise GlbRefused(f"{where}.targets must be a list of objects")
            for target in targets:
                for name, value in target.items():
                    counts.add(accessors[doc.ref(value, "accessors",
                                                 f"{where}.targets.{name}")]["count"])
            if len(counts) != 1:
                raise GlbRefused(f"{where}: its attributes have different counts "
                                 f"{sorted(counts)}")
            (vertices,) = counts
            mode = primitive.get("mode", 4)
            _int(mode, f"{where}.mode", 0, 6)
            if "material" in primitive:
                doc.ref(primitive["material"], "materials", f"{where}.material")
            position = doc.ref(attributes["POSITION"], "accessors", f"{where}.POSITION")
            _check_positions(doc, position, f"{where}.POSITION")
            if "indices" in primitive:
                _check_indices(doc, doc.ref(primitive["indices"], "accessors",
                                            f"{where}.indices"), vertices, where)


def _check_positions(doc: _Document, index: int, where: str) -> None:
    accessor = doc.items("accessors")[index]
    if accessor["type"] != "VEC3":
        raise GlbRefused(f"{where} is {accessor['type']}, not VEC3")
    if accessor["componentType"] == 5126:
        values = _accessor_data(doc, index)
        if not np.isfinite(values).all() or (np.abs(values) > MAX_COORDINATE).any():
            raise GlbRefused(f"{where} holds coordinates that are not finite or beyond "
                             f"±{MAX_COORDINATE:g} m")


def _check_indices(doc: _Document, index: int, vertices: int, where: str) -> None:
    accessor = doc.items("accessors")[index]
    if accessor["type"] != "SCALAR" or accessor["componentType"] not in INDEX_TYPES:
        raise GlbRefused(f"{where}.indices must be unsigned SCALARs")
    if "byteStride" in doc.items("bufferViews")[accessor["bufferView"]]:
        raise GlbRefused(f"{where}.indices: an index bufferView may not have a byteStride")
    values = _accessor_data(doc, index)
    if values.size and int(values.max()) >= vertices:
        raise GlbRefused(f"{where}.indices name vertex {int(values.max())}, but the primitive "
                         f"has {vertices}")


def _check_textures(doc: _Document) -> None:
    for index, image in enumerate(doc.items("images")):
        where = f"images[{index}]"
        if "uri" in image:
            raise GlbRefused(f"{where} has a `uri` ({str(image['uri'])[:60]!r}); a packaged "
                             "model must hold its textures inside itself")
        view = doc.items("bufferViews")[doc.ref(image.get("bufferView"), "bufferViews", where)]
        mime = image.get("mimeType")
        if mime not in IMAGE_TYPES:
            raise GlbRefused(f"{where} has mimeType {mime!r}; PNG or JPEG only")
        assert doc.binary is not None
        start = view.get("byteOffset", 0)
        if not doc.binary[start:start + view["byteLength"]].startswith(IMAGE_TYPES[mime]):
            raise GlbRefused(f"{where} does not hold {mime} data")
    for index, texture in enumerate(doc.items("textures")):
        where = f"textures[{index}]"
        if "source" in texture:
            doc.ref(texture["source"], "images", f"{where}.source")
        if "sampler" in texture:
            doc.ref(texture["sampler"], "samplers", f"{where}.sampler")
        for name, extension in (texture.get("extensions") or {}).items():
            if isinstance(extension, dict) and "source" in extension:
                doc.ref(extension["source"], "images", f"{where}.extensions.{name}.source")
    for index, material in enumerate(doc.items("materials")):
        _check_texture_refs(doc, material, f"materials[{index}]", 0)


def _check_texture_refs(doc: _Document, value: Any, where: str, depth: int) -> None:
    """Every ``{index: n}`` under a key ending in ``Texture`` names an existing texture."""
    if depth > 8 or not isinstance(value, dict):
        return
    for key, item in value.items():
        if not isinstance(item, dict):
            continue
        if key.endswith(("Texture", "texture")):
            doc.ref(item.get("index"), "textures", f"{where}.{key}.index")
            if "texCoord" in item:
                _int(item["texCoord"], f"{where}.{key}.texCoord", 0, 7)
        _check_texture_refs(doc, item, f"{where}.{key}", depth + 1)


def _check_nodes(doc: _Document) -> None:
    nodes = doc.items("nodes")
    parent: dict[int, int] = {}
    for index, node in enumerate(nodes):
        where = f"nodes[{index}]"
        for key, collection in (("mesh", "meshes"), ("camera", "cameras"), ("skin", "skins")):
            if key in node:
                doc.ref(node[key], collection, f"{where}.{key}")
        children = node.get("children", [])
        if not isinstance(children, list):
            raise GlbRefused(f"{where}.children must be a list")
        for child in children:
            doc.ref(child, "nodes", f"{where}.children")
            if child in parent or child == index:
                raise GlbRefused(f"nodes[{child}] has more than one parent or is its own child")
            parent[child] = index
        for key, length, bound in (("translation", 3, MAX_COORDINATE), ("rotation", 4, 1.0),
                                   ("scale", 3, MAX_COORDINATE), ("matrix", 16, MAX_COORDINATE)):
            if key in node:
                _numbers(node[key], f"{where}.{key}", length, bound)
        if "weights" in node and not isinstance(node["weights"], list):
            raise GlbRefused(f"{where}.weights must be a list")
    for start in range(len(nodes)):  # with one parent each, a cycle is a loop up the parents
        seen, at = {start}, start
        while at in parent:
            at = parent[at]
            if at in seen:
                raise GlbRefused(f"nodes[{start}] is its own ancestor (the node graph has a "
                                 "cycle)")
            seen.add(at)
    scenes = doc.items("scenes")
    for index, scene in enumerate(scenes):
        roots = scene.get("nodes", [])
        if not isinstance(roots, list):
            raise GlbRefused(f"scenes[{index}].nodes must be a list")
        for root in roots:
            doc.ref(root, "nodes", f"scenes[{index}].nodes")
            if root in parent:
                raise GlbRefused(f"scenes[{index}] lists nodes[{root}], which is another "
                                 "node's child")
    if "scene" in doc.gltf:
        doc.ref(doc.gltf["scene"], "scenes", "scene")


def _check_skins_and_animations(doc: _Document) -> None:
    for index, skin in enumerate(doc.items("skins")):
        where = f"skins[{index}]"
        joints = skin.get("joints")
        if not isinstance(joints, list) or not joints:
            raise GlbRefused(f"{where} has no joints")
        for joint in joints:
            doc.ref(joint, "nodes", f"{where}.joints")
        if "skeleton" in skin:
            doc.ref(skin["skeleton"], "nodes", f"{where}.skeleton")
        if "inverseBindMatrices" in skin:
            doc.ref(skin["inverseBindMatrices"], "accessors", f"{where}.inverseBindMatrices")
    for index, animation in enumerate(doc.items("animations")):
        where = f"animations[{index}]"
        samplers, channels = animation.get("samplers"), animation.get("channels")
        if not isinstance(samplers, list) or not isinstance(channels, list) or not all(
                isinstance(s, dict) for s in samplers + channels):
            raise GlbRefused(f"{where} needs lists of samplers and channels")
        for sampler in samplers:
            doc.ref(sampler.get("input"), "accessors", f"{where}.samplers.input")
            doc.ref(sampler.get("output"), "accessors", f"{where}.samplers.output")
        for channel in channels:
            sampler = channel.get("sampler")
            if isinstance(sampler, bool) or not isinstance(sampler, int) or \
                    not 0 <= sampler < len(samplers):
                raise GlbRefused(f"{where}: a channel names sampler {sampler!r}")
            target = channel.get("target")
            if not isinstance(target, dict):
                raise GlbRefused(f"{where}: a channel has no target")
            if "node" in target:
                doc.ref(target["node"], "nodes", f"{where}.channels.target.node")


def check_glb(data: bytes) -> None:
    """Refuse (:class:`GlbRefused`) a GLB that is malformed, inconsistent or not
    self-contained; return quietly when it is sound."""
    text, binary = _chunks(data)
    try:
        gltf = loads(text)
    except JsonRefused as exc:
        raise GlbRefused(f"the JSON chunk is refused: {exc}") from None
    if not isinstance(gltf, dict):
        raise GlbRefused("the JSON chunk is not an object")
    asset = gltf.get("asset")
    if not isinstance(asset, dict) or asset.get("version") != "2.0":
        raise GlbRefused("asset.version is not \"2.0\"")
    required = gltf.get("extensionsRequired", [])
    if not isinstance(required, list) or not all(isinstance(e, str) for e in required):
        raise GlbRefused("extensionsRequired must be a list of names")
    unknown = sorted(set(required) - KNOWN_EXTENSIONS)
    if unknown:
        raise GlbRefused(f"requires extensions this reader does not support: {unknown}")
    doc = _Document(gltf, binary)
    _check_views(doc, _check_buffers(doc))
    _check_accessors(doc)
    _check_textures(doc)
    _check_meshes(doc)
    _check_nodes(doc)
    _check_skins_and_animations(doc)
    for index, sampler in enumerate(doc.items("samplers")):
        for key in ("magFilter", "minFilter", "wrapS", "wrapT"):
            if key in sampler:
                _int(sampler[key], f"samplers[{index}].{key}", 0, 65535)
