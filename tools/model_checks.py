"""Checks on a model file before any importer reads it: structure, sizes, references.

Every importer allocates what a file's header or JSON claims; a damaged or hostile file
could claim gigabytes. Here each claim is compared with the bytes the file really has,
references to other files are kept inside the model's folder, textures are measured
from their headers before they are decoded, and 3MF archives are expanded within fixed
bounds. Whatever is wrong becomes an ``AssetError`` that names the file and says what
to do.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
import struct
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

from tools.errors import AssetError
from tools.textures import check_image_header

MAX_MODEL_BYTES = 256 * 1024 * 1024  # a model file as an editor brings it
MAX_GLTF_JSON_BYTES = 32 * 1024 * 1024
# 3MF is a zip: bounded before anything is expanded, and again while it is read.
MAX_ZIP_ENTRIES = 4096
MAX_ZIP_ENTRY_BYTES = 256 * 1024 * 1024
MAX_ZIP_TOTAL_BYTES = 256 * 1024 * 1024
MAX_ZIP_RATIO = 100  # uncompressed / compressed, for entries over ZIP_RATIO_FLOOR
ZIP_RATIO_FLOOR = 1024 * 1024

SELF_CONTAINED = ("external files aren't allowed: a model must be one self-contained GLB, "
                  "or an OBJ with its MTL and textures in the same folder")
REEXPORT = "re-export it from the modelling tool; if it was copied, copy it again"

_COMPONENT_SIZE = {5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4}
_TYPE_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}


def _refuse(path: Path, message: str, hint: str = REEXPORT) -> AssetError:
    return AssetError(str(path), message, hint)


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def check_reference(path: Path, reference: str, kind: str = "file") -> Path:
    """The file a model refers to, which must lie in the model's own folder (or below)."""
    text = unquote(reference).replace("\\", "/")
    pure = PurePosixPath(text)
    if (not text or "\0" in text or pure.is_absolute() or re.match(r"^[A-Za-z]:", text)
            or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text) or ".." in pure.parts):
        raise _refuse(path, f"refers to the {kind} `{reference}` outside the model's folder; "
                      f"{SELF_CONTAINED}",
                      "put the file beside the model and refer to it by its bare name, or "
                      "export a GLB with everything embedded")
    folder = path.resolve().parent
    target = (folder / text).resolve()
    if not target.is_relative_to(folder):
        raise _refuse(path, f"refers to the {kind} `{reference}`, which leads outside the "
                      f"model's folder; {SELF_CONTAINED}", "put the file beside the model")
    return target


# glTF -------------------------------------------------------------------------------------

def _items(doc: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise TypeError(f"`{key}` is not a list of objects")
    return value


def _count(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TypeError(f"{what} is {value!r}, not a count")
    return value


def _data_uri(uri: str) -> bytes:
    head, _, payload = uri.partition(",")
    if ";base64" not in head:
        return unquote(payload).encode("latin-1", "replace")
    try:
        return base64.b64decode(payload, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"an embedded data URI is not valid base64 ({exc})") from exc


def _check_gltf_document(path: Path, doc: Any, glb_binary: bytes | None) -> None:
    """Buffers, views, accessors and images of a parsed glTF, against real byte counts."""
    if not isinstance(doc, dict):
        raise _refuse(path, "its glTF JSON is not an object")
    try:
        buffers: list[int] = []
        for index, buffer in enumerate(_items(doc, "buffers")):
            declared = _count(buffer.get("byteLength"), f"buffer {index}'s byteLength")
            uri = buffer.get("uri")
            if uri is None:
                if glb_binary is None or index != 0:
                    raise _refuse(path, f"buffer {index} has no data")
                have = len(glb_binary)
            elif not isinstance(uri, str):
                raise TypeError(f"buffer {index}'s uri is not a string")
            elif uri.startswith("data:"):
                have = len(_data_uri(uri))
            elif path.suffix.lower() == ".glb":
                raise _refuse(path, f"buffer {index} is the external file `{uri}`; "
                              f"{SELF_CONTAINED}", "export a binary glTF (GLB) with "
                              "everything embedded")
            else:
                target = check_reference(path, uri, "buffer")
                if not target.is_file():
                    raise _refuse(path, f"buffer {index}'s file `{uri}` is missing",
                                  "put it beside the model, or export a GLB")
                have = target.stat().st_size
            if declared > have:
                raise _refuse(path, f"buffer {index} claims {_plural(declared, 'byte')} but "
                              f"holds {_plural(have, 'byte')}: the file is truncated or damaged")
            buffers.append(declared)
        views: list[int] = []
        for index, spec in enumerate(_items(doc, "bufferViews")):
            owner = _count(spec.get("buffer"), f"bufferView {index}'s buffer")
            if owner >= len(buffers):
                raise _refuse(path, f"bufferView {index} names buffer {owner}, which does "
                              "not exist")
            start = _count(spec.get("byteOffset", 0), f"bufferView {index}'s byteOffset")
            length = _count(spec.get("byteLength"), f"bufferView {index}'s byteLength")
            if start + length > buffers[owner]:
                raise _refuse(path, f"bufferView {index} reaches byte {start + length:,} of "
                              f"buffer {owner}, which has {_plural(buffers[owner], 'byte')}")
            views.append(length)
        for index, accessor in enumerate(_items(doc, "accessors")):
            count = _count(accessor.get("count"), f"accessor {index}'s count")
            size = _COMPONENT_SIZE.get(accessor.get("componentType"))  # type: ignore[arg-type]
            width = _TYPE_WIDTH.get(accessor.get("type"))  # type: ignore[arg-type]
            if size is None or width is None:
                raise _refuse(path, f"accessor {index} has an unknown component type or type")
            element = size * width
            if "sparse" in accessor:
                raise _refuse(path, f"accessor {index} is sparse, which is not supported",
                              "export without sparse accessors")
            if "bufferView" not in accessor:
                if count * element > MAX_MODEL_BYTES:
                    raise _refuse(path, f"accessor {index} claims {_plural(count, 'element')} "
                                  "with no data")
                continue
            used = _count(accessor["bufferView"], f"accessor {index}'s bufferView")
            if used >= len(views):
                raise _refuse(path, f"accessor {index} names bufferView {used}, which does "
                              "not exist")
            stride = _count(doc["bufferViews"][used].get("byteStride") or element,
                            f"bufferView {used}'s byteStride")
            start = _count(accessor.get("byteOffset", 0), f"accessor {index}'s byteOffset")
            need = start + (stride * (count - 1) + element if count else 0)
            if need > views[used]:
                raise _refuse(path, f"accessor {index} claims {_plural(count, 'element')} "
                              f"({_plural(need, 'byte')}) but its bufferView {used} holds "
                              f"{_plural(views[used], 'byte')}: the counts do not match the "
                              "data")
        for index, image in enumerate(_items(doc, "images")):
            name = f"{path.name} image {index}"
            if "bufferView" in image:
                used = _count(image["bufferView"], f"image {index}'s bufferView")
                if used >= len(views):
                    raise _refuse(path, f"image {index} names bufferView {used}, which does "
                                  "not exist")
                spec = doc["bufferViews"][used]
                if spec.get("buffer") == 0 and "uri" not in doc["buffers"][0] \
                        and glb_binary is not None:
                    start = spec.get("byteOffset", 0)
                    check_image_header(name, glb_binary[start:start + spec["byteLength"]],
                                       path)
            elif isinstance(image.get("uri"), str):
                uri = image["uri"]
                if uri.startswith("data:"):
                    check_image_header(name, _data_uri(uri), path)
                elif path.suffix.lower() == ".glb":
                    raise _refuse(path, f"image {index} is the external file `{uri}`; "
                                  f"{SELF_CONTAINED}", "export a GLB with its textures "
                                  "embedded")
                else:
                    target = check_reference(path, uri, "texture")
                    if target.is_file():
                        check_image_header(target.name, target.read_bytes(), path)
    except (TypeError, KeyError, IndexError, ValueError, AttributeError) as exc:
        raise _refuse(path, f"its glTF structure is damaged ({exc})") from exc


def check_glb(path: Path, data: bytes) -> None:
    if not data:
        raise _refuse(path, "the file is empty (0 bytes)",
                      "export the model again; the copy or upload was cut short")
    if len(data) < 12:
        raise _refuse(path, f"the file is only {_plural(len(data), 'byte')}, too short for "
                      "a GLB header: it is truncated")
    magic, version, length = struct.unpack_from("<4sII", data)
    if magic != b"glTF":
        hint = ("it looks like glTF JSON: name it .gltf" if data.lstrip()[:1] == b"{"
                else REEXPORT)
        raise _refuse(path, "not a GLB file (it does not begin with `glTF`)", hint)
    if version != 2:
        raise _refuse(path, f"GLB version {version}; only glTF 2.0 is supported",
                      "export it as glTF 2.0 (GLB)")
    if length != len(data):
        state = "truncated" if length > len(data) else "followed by stray bytes"
        raise _refuse(path, f"the header says {_plural(length, 'byte')} but the file has "
                      f"{len(data):,}: it is {state}")
    chunks: list[tuple[bytes, bytes]] = []
    offset = 12
    while offset < len(data):
        if offset + 8 > len(data):
            raise _refuse(path, f"a chunk header at byte {offset:,} is cut short: the file "
                          "is truncated")
        size, kind = struct.unpack_from("<I4s", data, offset)
        if offset + 8 + size > len(data):
            raise _refuse(path, f"its {kind.decode('latin-1')!r} chunk claims "
                          f"{_plural(size, 'byte')} but only {len(data) - offset - 8:,} "
                          "follow: the file is truncated or damaged")
        chunks.append((kind, data[offset + 8:offset + 8 + size]))
        offset += 8 + size
    if not chunks or chunks[0][0] != b"JSON":
        raise _refuse(path, "its first chunk is not the glTF JSON")
    if len(chunks[0][1]) > MAX_GLTF_JSON_BYTES:
        raise _refuse(path, f"its JSON is {_plural(len(chunks[0][1]), 'byte')}, over the "
                      f"limit of {MAX_GLTF_JSON_BYTES:,}")
    binary = next((body for kind, body in chunks[1:] if kind == b"BIN\0"), None)
    _check_gltf_document(path, _parse_json(path, chunks[0][1]), binary)


def _parse_json(path: Path, raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8").rstrip(" \0"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _refuse(path, f"its glTF JSON cannot be read ({exc})") from exc


def check_gltf(path: Path, data: bytes) -> None:
    if not data.strip():
        raise _refuse(path, "the file is empty", "export the model again")
    if len(data) > MAX_GLTF_JSON_BYTES:
        raise _refuse(path, f"the glTF JSON is {_plural(len(data), 'byte')}, over the limit "
                      f"of {MAX_GLTF_JSON_BYTES:,}", "export a GLB instead")
    _check_gltf_document(path, _parse_json(path, data), None)


# Text and binary formats with counts in their headers --------------------------------------

_PLY_SIZES = {"char": 1, "int8": 1, "uchar": 1, "uint8": 1, "short": 2, "int16": 2,
              "ushort": 2, "uint16": 2, "int": 4, "int32": 4, "uint": 4, "uint32": 4,
              "float": 4, "float32": 4, "double": 8, "float64": 8}


def check_ply(path: Path, data: bytes) -> None:
    end = data.find(b"end_header", 0, 65536)
    if not data.startswith(b"ply") or end < 0:
        raise _refuse(path, "not a PLY file (no `ply` ... `end_header` header)"
                      if data else "the file is empty (0 bytes)")
    body = len(data) - data.index(b"\n", end) - 1 if b"\n" in data[end:] else 0
    binary = False
    elements: list[tuple[str, int, int]] = []  # name, count, least bytes per row
    for raw in data[:end].decode("latin-1").splitlines():
        words = raw.split()
        if not words:
            continue
        if words[0] == "format":
            binary = len(words) > 1 and words[1].startswith("binary")
        elif words[0] == "element":
            if len(words) != 3 or not words[2].isdigit():
                raise _refuse(path, f"its header line `{raw.strip()[:80]}` is not valid PLY")
            elements.append((words[1], int(words[2]), 0))
        elif words[0] == "property" and elements:
            name, count, least = elements[-1]
            if words[1:2] == ["list"]:
                size = _PLY_SIZES.get(words[2] if len(words) > 2 else "", 0)
            else:
                size = _PLY_SIZES.get(words[1] if len(words) > 1 else "", 0)
            if size == 0:
                raise _refuse(path, f"its header line `{raw.strip()[:80]}` is not valid PLY")
            elements[-1] = (name, count, least + (size if binary else 2))
    need = sum(count * max(least, 1) for _, count, least in elements)
    if need > body:
        name, count, _ = max(elements, key=lambda e: e[1] * max(e[2], 1))
        raise _refuse(path, f"its header claims {count:,} `{name}` elements, which need at least "
                      f"{_plural(need, 'byte')}, but the file has {_plural(body, 'byte')} of "
                      "data: it is truncated or damaged")


def check_stl(path: Path, data: bytes) -> None:
    if not data:
        raise _refuse(path, "the file is empty (0 bytes)", "export the model again")
    if len(data) >= 84:
        (count,) = struct.unpack_from("<I", data, 80)
        if 84 + 50 * count == len(data):
            return
    if data.lstrip()[:5].lower() == b"solid" and b"facet" in data[:4096].lower():
        return  # ASCII: read as text, no counts to trust
    if len(data) >= 84:
        raise _refuse(path, f"its header claims {_plural(count, 'triangle')} "
                      f"({_plural(84 + 50 * count, 'byte')}) but the file has "
                      f"{_plural(len(data), 'byte')}: it is truncated or damaged")
    raise _refuse(path, "not an STL file: too short for a binary STL and not ASCII STL")


def check_off(path: Path, data: bytes) -> None:
    words = re.sub(rb"#[^\n]*", b"", data[:4096]).split()
    if not words or not words[0].endswith(b"OFF"):
        raise _refuse(path, "not an OFF file (it does not begin with `OFF`)"
                      if data else "the file is empty (0 bytes)")
    counts = words[1:3]
    try:
        vertices, faces = (int(c) for c in counts)
    except ValueError as exc:
        raise _refuse(path, "its header has no vertex and face counts") from exc
    if vertices < 0 or faces < 0:
        raise _refuse(path, "its header has negative counts")
    need = vertices * 6 + faces * 8  # "x y z" at two bytes a number, "3 a b c" likewise
    if need > len(data):
        raise _refuse(path, f"its header claims {vertices:,} vertices and "
                      f"{faces:,} faces, which need at least "
                      f"{_plural(need, 'byte')}, but the file has {len(data):,}: it is "
                      "truncated or damaged")
    # Each vertex is at least three numbers, each face at least four ("3 a b c").
    need_words = 3 * vertices + 4 * faces
    words_seen = -1 - (len(counts) if counts else 0)  # "OFF" and the counts line
    for _ in re.finditer(rb"\S+", re.sub(rb"#[^\n]*", b"", data)):
        words_seen += 1
        if words_seen >= need_words:
            return
    raise _refuse(path, f"its header claims {vertices:,} vertices and {faces:,} faces, but "
                  "the file ends before them: it is truncated or damaged")


def _text_references(path: Path, data: bytes, keywords: tuple[str, ...]) -> list[str]:
    found = []
    for raw in data.decode("utf-8", "replace").splitlines():
        words = raw.strip().split(None, 1)
        if len(words) == 2 and words[0].lower() in keywords:
            # Options such as `-s 1 1 1` come before the name; the name is the last word.
            found.append(words[1].split()[-1] if words[0].lower() != "mtllib"
                         else words[1].strip())
    return found


def check_obj(path: Path, data: bytes) -> None:
    if not data.strip():
        raise _refuse(path, "the file is empty", "export the model again")
    for library in _text_references(path, data, ("mtllib",)):
        target = check_reference(path, library, "material library")
        if not target.is_file():
            continue  # the loader goes on with default materials
        mtl = target.read_bytes()
        keys = ("map_kd", "map_ka", "map_ks", "map_d", "map_bump", "bump", "norm", "map_ns",
                "disp", "map_pr", "map_pm", "map_ke")
        for texture in _text_references(target, mtl, keys):
            image = check_reference(path, texture, "texture")
            if image.is_file():
                check_image_header(image.name, image.read_bytes(), path)


def check_dae(path: Path, data: bytes) -> None:
    if not data.strip():
        raise _refuse(path, "the file is empty", "export the model again")
    if b"<!ENTITY" in data[:65536] or b"<!DOCTYPE" in data[:65536]:
        raise _refuse(path, "the COLLADA file declares a DOCTYPE or entities, which are not "
                      "allowed", "export it again without a DOCTYPE")
    for match in re.finditer(rb"<init_from>\s*([^<]*?)\s*</init_from>", data):
        reference = match.group(1).decode("utf-8", "replace")
        reference = reference.removeprefix("file://")
        image = check_reference(path, reference, "texture")
        if image.is_file():
            check_image_header(image.name, image.read_bytes(), path)


# 3MF --------------------------------------------------------------------------------------

def read_3mf(path: Path, data: bytes) -> bytes:
    """The archive again, every entry expanded within bounds; stored uncompressed.

    The central directory's sizes are checked before anything is expanded, and each
    entry is read no further than it claims, so an archive that lies is refused too.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise _refuse(path, f"not a readable 3MF archive ({exc})") from exc
    if len(infos) > MAX_ZIP_ENTRIES:
        raise _refuse(path, f"the 3MF archive has {len(infos):,} entries, over the limit of "
                      f"{MAX_ZIP_ENTRIES:,}")
    total = 0
    for info in infos:
        if info.file_size > MAX_ZIP_ENTRY_BYTES:
            raise _refuse(path, f"3MF entry `{info.filename}` expands to "
                          f"{_plural(info.file_size, 'byte')}, over the limit of "
                          f"{MAX_ZIP_ENTRY_BYTES:,}", "split or simplify the model")
        if info.file_size > ZIP_RATIO_FLOOR and \
                info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
            raise _refuse(path, f"3MF entry `{info.filename}` expands "
                          f"{info.file_size // max(info.compress_size, 1):,} times, over the "
                          f"limit of {MAX_ZIP_RATIO}: it looks like a compression bomb",
                          "export the model again from the modelling tool")
        total += info.file_size
    if total > MAX_ZIP_TOTAL_BYTES:
        raise _refuse(path, f"the 3MF archive expands to {_plural(total, 'byte')}, over the "
                      f"limit of {MAX_ZIP_TOTAL_BYTES:,}", "split or simplify the model")
    out = io.BytesIO()
    read = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as copy:
        for info in infos:
            if info.is_dir():
                continue
            chunks: list[bytes] = []
            size = 0
            try:
                with archive.open(info) as entry:
                    while chunk := entry.read(1 << 20):
                        read += len(chunk)
                        size += len(chunk)
                        if read > MAX_ZIP_TOTAL_BYTES or size > info.file_size:
                            raise _refuse(path, f"3MF entry `{info.filename}` expands beyond "
                                          "the size its archive states: it is damaged or a "
                                          "compression bomb")
                        chunks.append(chunk)
            except AssetError:
                raise
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError,
                    NotImplementedError) as exc:
                raise _refuse(path, f"3MF entry `{info.filename}` cannot be read ({exc})") \
                    from exc
            copy.writestr(info.filename, b"".join(chunks))
    return out.getvalue()


CHECKS = {".glb": check_glb, ".gltf": check_gltf, ".ply": check_ply, ".stl": check_stl,
          ".off": check_off, ".obj": check_obj, ".dae": check_dae}


def read_model_bytes(path: Path) -> bytes:
    """The model file's bytes, within the size limit, or a refusal naming it."""
    try:
        size = path.stat().st_size
        if size > MAX_MODEL_BYTES:
            raise _refuse(path, f"the file is {_plural(size, 'byte')}, over the limit of "
                          f"{MAX_MODEL_BYTES:,}", "decimate the model or split it into props")
        return path.read_bytes()
    except OSError as exc:
        raise _refuse(path, f"cannot be read: {exc.strerror or exc}",
                      "check that the file exists and can be read") from exc
