"""Hostile exhibition packages, made deterministically from a good package at test time.

Each :class:`Case` is one way a package can lie: a manifest too large or too deep to
parse, damaged zip entries, signed but malformed scenes and models, unsafe entry names,
archives that expand too far. Where the lie needs a valid signature to get past the
signature check, the package is re-signed with the test publisher key, as a publisher
who went wrong (or a stolen key) would.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
import textwrap
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

MANIFEST, SIGNATURE = "manifest.json", "manifest.sig"
HUGE = 123456.789  # stands for a number text that json.dumps cannot write (1e400)


@dataclass(frozen=True)
class Case:
    name: str
    path: Path
    expect: str  # a fragment of the refusal's message (a regular expression)
    signed: bool = True  # re-signed with the test key, so only the content check refuses


@dataclass
class Raw:
    """One zip entry as its bytes are written, so each header field can lie."""

    name: str
    data: bytes
    method: int = 8
    flags: int = 0
    external_attr: int = 0o100644 << 16
    local_name: str | None = None
    crc: int | None = None
    size: int | None = None
    stored: bytes = field(default=b"", repr=False)

    def __post_init__(self) -> None:
        if not self.stored:
            if self.method == 8:
                packer = zlib.compressobj(6, zlib.DEFLATED, -15)
                self.stored = packer.compress(self.data) + packer.flush()
            else:
                self.stored = self.data


def write_zip(path: Path, entries: list[Raw]) -> Path:
    """A zip with exactly the given headers (nothing checked, nothing fixed up)."""
    body, directory = bytearray(), bytearray()
    for entry in entries:
        name = entry.name.encode("utf-8")
        local = (entry.local_name if entry.local_name is not None else entry.name).encode()
        flags = entry.flags | (0x800 if not entry.name.isascii() else 0)
        crc = zlib.crc32(entry.data) if entry.crc is None else entry.crc
        size = len(entry.data) if entry.size is None else entry.size
        offset = len(body)
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, entry.method, 0, 0x21, crc,
                            len(entry.stored), size, len(local), 0) + local + entry.stored
        directory += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x0314, 20, flags,
                                 entry.method, 0, 0x21, crc, len(entry.stored), size,
                                 len(name), 0, 0, 0, 0, entry.external_attr, offset) + name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries),
                      len(directory), len(body), 0)
    path.write_bytes(bytes(body + directory + end))
    return path


def read_files(package: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(package) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def sign(files: dict[str, bytes], key: Ed25519PrivateKey,
         edit: Callable[[dict[str, Any]], None] = lambda m: None,
         text: Callable[[str], str] = lambda t: t) -> dict[str, bytes]:
    """``files`` with a manifest listing each of them (hash, size), edited, then signed."""
    manifest = json.loads(files[MANIFEST])
    manifest["entries"] = [{"path": name, "sha256": hashlib.sha256(data).hexdigest(),
                            "size": len(data)}
                           for name, data in sorted(files.items())
                           if name not in (MANIFEST, SIGNATURE)]
    edit(manifest)
    body = text(json.dumps(manifest, ensure_ascii=False, sort_keys=True)).encode()
    return {**files, MANIFEST: body, SIGNATURE: key.sign(body)}


def package(path: Path, files: dict[str, bytes], **change: Any) -> Path:
    order = [MANIFEST, SIGNATURE, *sorted(n for n in files if n not in (MANIFEST, SIGNATURE))]
    return write_zip(path, [Raw(name, files[name], **change.get(name, {})) for name in order])


def split_glb(data: bytes) -> tuple[dict[str, Any], bytes]:
    length = struct.unpack_from("<I", data, 12)[0]
    gltf = json.loads(data[20:20 + length])
    rest = data[20 + length:]
    return gltf, rest[8:8 + struct.unpack_from("<I", rest, 0)[0]] if rest else b""


def join_glb(gltf: dict[str, Any], binary: bytes) -> bytes:
    text = json.dumps(gltf).encode()
    text += b" " * (-len(text) % 4)
    binary += b"\0" * (-len(binary) % 4)
    chunks = struct.pack("<II", len(text), 0x4E4F534A) + text
    if binary:
        chunks += struct.pack("<II", len(binary), 0x004E4942) + binary
    return struct.pack("<4sII", b"glTF", 2, 12 + len(chunks)) + chunks


def good_package(folder: Path, key: Ed25519PrivateKey) -> Path:
    """A small exhibit built the way `redhall build` builds it."""
    from tests.conftest import MINIMAL_EXHIBIT, MINIMAL_SCENE, QUICK, ROOT
    from tools.build import build_exhibit
    from tools.cache import BuildCache

    content = folder / "content"
    for part in ("scenes", "exhibits", "assets/fonts"):
        (content / part).mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "assets/fonts/wqy-microhei.ttc", content / "assets/fonts")
    (content / "scenes/tiny.yaml").write_text(textwrap.dedent(MINIMAL_SCENE), encoding="utf-8")
    exhibit = content / "exhibits/tiny-exhibit.yaml"
    exhibit.write_text(textwrap.dedent(MINIMAL_EXHIBIT), encoding="utf-8")
    return build_exhibit(exhibit, folder / "dist", key, QUICK, BuildCache(None)).path


class _Maker:
    def __init__(self, good: Path, key: Ed25519PrivateKey, out: Path) -> None:
        self.good, self.key, self.out = good, key, out
        self.files = read_files(good)
        self.manifest = json.loads(self.files[MANIFEST])
        self.scene_path = self.manifest["scenes"][0]["script"]
        self.scene = json.loads(self.files[self.scene_path])
        self.model = self.scene["props"][0]["levels"][0]["path"]
        self.cases: list[Case] = []

    def add(self, name: str, path: Path, expect: str, signed: bool = True) -> None:
        self.cases.append(Case(name, path, expect, signed))

    def target(self, name: str) -> Path:
        return self.out / f"{name}.exhibit"

    def signed(self, name: str, expect: str, files: dict[str, bytes] | None = None,
               edit: Callable[[dict[str, Any]], None] = lambda m: None,
               text: Callable[[str], str] = lambda t: t, **change: Any) -> None:
        self.add(name, package(self.target(name), sign(files or self.files, self.key, edit,
                                                       text), **change), expect)

    def scene_case(self, name: str, expect: str, edit: Callable[[dict[str, Any]], None],
                   text: Callable[[str], str] = lambda t: t, raw: bytes | None = None) -> None:
        scene = json.loads(json.dumps(self.scene))
        edit(scene)
        body = raw if raw is not None else text(json.dumps(scene, ensure_ascii=False)).encode()
        self.signed(name, expect, {**self.files, self.scene_path: body})

    def glb_case(self, name: str, expect: str, edit: Callable[[dict[str, Any]], None] | None,
                 raw: Callable[[bytes], bytes] | None = None) -> None:
        data = self.files[self.model]
        if edit is not None:
            gltf, binary = split_glb(data)
            edit(gltf)
            data = join_glb(gltf, binary)
        if raw is not None:
            data = raw(data)
        self.signed(name, expect, {**self.files, self.model: data})

    def corrupt(self, name: str, expect: str, entry: str,
                patch: Callable[[Raw], Raw]) -> None:
        files = sign(self.files, self.key)
        order = [MANIFEST, SIGNATURE, *sorted(n for n in files if n not in (MANIFEST, SIGNATURE))]
        raws = [patch(Raw(n, files[n])) if n == entry else Raw(n, files[n]) for n in order]
        self.add(name, write_zip(self.target(name), raws), expect)


def make_hostile(good: Path, key: Ed25519PrivateKey, out: Path) -> list[Case]:
    """Every hostile package, written under ``out``; the same bytes on every run."""
    out.mkdir(parents=True, exist_ok=True)
    m = _Maker(good, key, out)

    # The manifest: parsed only once its signature holds, and then only within bounds.
    blob = hashlib.shake_256(b"redhall").hexdigest(3 * 1024**2)  # 6 MiB, incompressible-ish
    big = {**m.files, MANIFEST: json.dumps({"format": 1, "pad": blob}).encode()}
    m.add("manifest-too-large", package(m.target("manifest-too-large"), big),
          "manifest.json is .* over the", signed=False)
    deep = ("[" * 100_000 + "]" * 100_000).encode()
    m.add("manifest-deep", package(m.target("manifest-deep"),
                                   {**m.files, MANIFEST: deep, SIGNATURE: key.sign(deep)}),
          "nested deeper than")
    m.add("manifest-deep-unsigned", package(m.target("manifest-deep-unsigned"),
                                            {**m.files, MANIFEST: deep}),
          "signature does not match|nested deeper than", signed=False)

    def credit(value: float) -> Callable[[dict[str, Any]], None]:
        def edit(manifest: dict[str, Any]) -> None:
            manifest["scenes"][0]["credit"]["min_minutes"] = value
        return edit

    m.signed("credit-infinity", "Infinity", edit=credit(float("inf")))
    m.signed("credit-nan", "NaN", edit=credit(float("nan")))
    m.signed("credit-1e400", "too large", edit=credit(HUGE),
             text=lambda t: t.replace(str(HUGE), "1e400"))

    # Damaged archives: every read error is a refusal naming the entry.
    font = "fonts/subset.ttf"
    m.corrupt("crc-mismatch", "subset.ttf.*cannot be read|subset.ttf.*sha256", font,
              lambda r: replace(r, crc=(zlib.crc32(r.data) ^ 1)))
    m.corrupt("compression-unknown", "subset.ttf.*compression method 99", font,
              lambda r: replace(r, method=99))
    m.corrupt("compression-bzip2-lie", "subset.ttf.*compression method 12", font,
              lambda r: replace(r, method=12))
    m.corrupt("compression-stored-lie", "subset.ttf", font,
              lambda r: replace(r, method=0))
    m.corrupt("encrypted-flag", "subset.ttf.*encrypted", font,
              lambda r: replace(r, flags=1))
    m.corrupt("deflate-broken", "subset.ttf.*cannot be read", font,
              lambda r: replace(r, stored=r.stored[:40] + bytes(b ^ 0x55 for b in r.stored[40:80])
                                + r.stored[80:]))
    m.corrupt("names-differ", "cannot be read", font,
              lambda r: replace(r, local_name="fonts/subset.ttx"))
    whole = m.good.read_bytes()
    m.add("truncated-archive", _write(m.target("truncated-archive"), whole[:len(whole) // 2]),
          "not a readable zip", signed=False)

    # Signed, intact, and not a valid exhibit.
    m.scene_case("scene-not-utf8", "not UTF-8", lambda s: None,
                 raw=json.dumps(m.scene).encode()[:-1] + b', "x": "\xff\xfe"}')
    m.scene_case("scene-schema", "does not follow the scene format",
                 lambda s: s.__setitem__("props", "none"))
    m.scene_case("scene-missing-file", "not in the package",
                 lambda s: s["props"][0]["levels"][0].__setitem__("path", "models/absent.glb"))
    m.scene_case("scene-outside-file", "not in the package|unsafe",
                 lambda s: s["props"][0]["levels"][0].__setitem__("path", "/etc/passwd"))
    m.scene_case("prop-no-levels", "levels", lambda s: s["props"][0].__setitem__("levels", []))
    m.signed("no-scenes", "no scenes", edit=lambda man: man.__setitem__("scenes", []))
    for name, value in (("nan", float("nan")), ("inf", float("inf")), ("huge", 1e308)):
        m.scene_case(f"position-{name}", "position|NaN|Infinity|less than or equal",
                     lambda s, v=value: s["props"][0].__setitem__("position", [v, 0.0, 0.0]))
        m.scene_case(f"scale-{name}", "scale|NaN|Infinity|less than or equal",
                     lambda s, v=value: s["props"][0].__setitem__("scale", [1.0, v, 1.0]))
    m.scene_case("camera-huge", "less than or equal|spawn",
                 lambda s: s["script"]["spawn"].__setitem__("pos", [0.0, -1e308, 1.6]))
    m.scene_case("hotspot-1e400", "too large", lambda s: s["script"]["hotspots"][0].__setitem__(
        "at", [HUGE, 0.0, 1.0]), text=lambda t: t.replace(str(HUGE), "1e400"))

    # Models: self-contained and structurally sound, or refused.
    def external_buffer(g: dict[str, Any]) -> None:
        g["buffers"][0]["uri"] = "/etc/passwd"

    def external_image(g: dict[str, Any]) -> None:
        g["images"] = [{"uri": "../../../../etc/passwd"}]
        g["textures"] = [{"source": 0}]
        g["materials"][0]["pbrMetallicRoughness"]["baseColorTexture"] = {"index": 0}

    def second_buffer(g: dict[str, Any]) -> None:
        g["buffers"].append({"byteLength": 4, "uri": "file:///etc/shadow"})

    def cycle(g: dict[str, Any]) -> None:
        g["nodes"].append({"children": [0]})
        g["nodes"][0]["children"] = [len(g["nodes"]) - 1]

    def few_vertices(g: dict[str, Any]) -> None:
        # every attribute (position, normal, baked occlusion colour ...) one vertex long,
        # so only the indices point past the vertices
        for index in g["meshes"][0]["primitives"][0]["attributes"].values():
            g["accessors"][index]["count"] = 1

    def field_set(*path: Any) -> Callable[[dict[str, Any]], None]:
        def edit(g: dict[str, Any]) -> None:
            target: Any = g
            for step in path[:-2]:
                target = target[step]
            target[path[-2]] = path[-1]
        return edit

    m.glb_case("glb-external-buffer", "uri", external_buffer)
    m.glb_case("glb-external-image", "uri", external_image)
    m.glb_case("glb-second-buffer-uri", "uri", second_buffer)
    m.glb_case("glb-truncated", "truncated|past the end", None, raw=lambda d: d[:len(d) - 40])
    m.glb_case("glb-truncated-header-fixed", "past the end|BIN chunk|ends at",
               None, raw=lambda d: d[:8] + struct.pack("<I", len(d) - 40) + d[12:len(d) - 40])
    m.glb_case("glb-json-chunk-huge", "past the end", None,
               raw=lambda d: d[:12] + struct.pack("<I", 0x7FFFFFF0) + d[16:])
    m.glb_case("glb-count-huge", "count", field_set("accessors", 0, "count", 2**31))
    m.glb_case("glb-count-negative", "count", field_set("accessors", 0, "count", -5))
    m.glb_case("glb-count-past-view", "needs .* bytes", field_set("accessors", 0, "count", 10_000))
    m.glb_case("glb-offset-past-end", "past the end|needs",
               field_set("bufferViews", 0, "byteOffset", 10**9))
    m.glb_case("glb-accessor-offset", "needs", field_set("accessors", 0, "byteOffset", 4096))
    m.glb_case("glb-node-cycle", "cycle|more than one parent", cycle)
    m.glb_case("glb-node-self", "own child|cycle", field_set("nodes", 0, "children", [0]))
    m.glb_case("glb-dangling-mesh", r"meshes\[99\]", field_set("nodes", 0, "mesh", 99))
    m.glb_case("glb-dangling-accessor", r"accessors\[77\]",
               field_set("meshes", 0, "primitives", 0, "indices", 77))
    m.glb_case("glb-dangling-bufferview", r"bufferViews\[42\]",
               field_set("accessors", 0, "bufferView", 42))
    m.glb_case("glb-dangling-buffer", r"buffers\[3\]", field_set("bufferViews", 0, "buffer", 3))
    m.glb_case("glb-dangling-material", r"materials\[9\]",
               field_set("meshes", 0, "primitives", 0, "material", 9))
    m.glb_case("glb-dangling-texture", r"textures\[5\]",
               field_set("materials", 0, "normalTexture", {"index": 5}))
    m.glb_case("glb-dangling-scene-node", r"nodes\[50\]", field_set("scenes", 0, "nodes", [50]))
    m.glb_case("glb-indices-past-vertices", "vertex", few_vertices)
    m.glb_case("glb-nan-translation", "translation|NaN", field_set("nodes", 0, "translation",
                                                                  [0.0, float("nan"), 0.0]))
    m.glb_case("glb-not-glb", "glTF|GLB data", None, raw=lambda d: b"PK\x03\x04" + d[4:])
    m.glb_case("glb-json-deep", "nested deeper|past the end|JSON", None,
               raw=lambda d: join_glb_raw(b"[" * 50_000 + b"]" * 50_000))

    # Names and entry kinds.
    extra_names = {
        "name-control": "models/a\x01b.glb", "name-escape": "models/a\x1b[31m.glb",
        "name-bidi": "models/evil\u202egnp.glb", "name-isolate": "models/x\u2066y.glb",
        "name-zero-width": "models/a\u200bb.glb",
        "name-division-slash": "models\u2215x.glb", "name-fullwidth-slash": "models\uff0fx.glb",
        "name-one-dot-leader": "models/x\u2024glb", "name-fullwidth-dot": "models/x\uff0eglb",
        "name-device-con": "models/CON.glb", "name-device-nul": "audio/nul.ogg",
        "name-device-com1": "COM1", "name-device-lpt9": "models/LPT9.txt",
        "name-trailing-dot": "models/x.glb.", "name-trailing-space": "models/x.glb ",
        "name-colon": "models/a:b.glb", "name-backslash": "models\\..\\x.glb",
    }
    for case, name in extra_names.items():
        m.signed(case, "unsafe path", {**m.files, name: b"glTF"})
    m.signed("collision-case", "same file", {**m.files, "models/Case.glb": b"1",
                                             "models/case.glb": b"2"})
    m.signed("collision-nfc", "same file", {**m.files, "models/caf\u00e9.glb": b"1",
                                            "models/cafe\u0301.glb": b"2"})
    for case, kind in (("entry-directory", 0o040755), ("entry-symlink", 0o120777),
                       ("entry-fifo", 0o010644), ("entry-device", 0o020644)):
        m.signed(case, "not a regular file|symbolic link", {**m.files, "models/odd": b""},
                 **{"models/odd": {"external_attr": kind << 16}})
    m.signed("entry-dos-directory", "not a regular file", {**m.files, "models/odd": b""},
             **{"models/odd": {"external_attr": 0x10}})

    # Size: the expanded total and the entry count are bounded.
    mib = bytes(1024**2)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    squeezed = packer.compress(mib) + packer.flush()
    crc = zlib.crc32(mib)
    pads = [Raw(f"models/pad{i:04}.glb", mib, crc=crc, stored=squeezed) for i in range(600)]
    m.add("expands-too-far", write_zip(m.target("expands-too-far"), [
        Raw(n, d) for n, d in m.files.items()] + pads), "expand to", signed=False)
    m.add("too-many-entries", write_zip(m.target("too-many-entries"), [
        Raw(n, d) for n, d in m.files.items()] + [Raw(f"p/{i}", b"", method=0)
                                                  for i in range(5000)]),
          "entries, over the limit", signed=False)
    return m.cases


def join_glb_raw(text: bytes) -> bytes:
    text += b" " * (-len(text) % 4)
    chunks = struct.pack("<II", len(text), 0x4E4F534A) + text
    return struct.pack("<4sII", b"glTF", 2, 12 + len(chunks)) + chunks


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
