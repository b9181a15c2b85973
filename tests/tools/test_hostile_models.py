"""Damaged and hostile model files: each is refused with the file's name and what to do.

No importer may raise anything but ``AssetError`` or allocate what a header claims
instead of what the file holds.
"""

import io
import json
import re
import struct
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import trimesh
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import MINIMAL_SCENE, run_cli
from tools import model_checks
from tools.errors import AssetError
from tools.mesh_import import import_model
from tools.textures import open_image

BOX = trimesh.creation.box(extents=(1.0, 2.0, 3.0))
TRIANGLE = [[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]]


def _glb(document: dict, binary: bytes = b"") -> bytes:
    text = json.dumps(document).encode()
    text += b" " * (-len(text) % 4)
    binary += b"\0" * (-len(binary) % 4)
    body = struct.pack("<I", len(text)) + b"JSON" + text
    if binary:
        body += struct.pack("<I", len(binary)) + b"BIN\0" + binary
    return b"glTF" + struct.pack("<II", 2, 12 + len(body)) + body


def _mesh_glb(positions: list, indices: list, count: int | None = None, uri: str | None = None,
              image: bytes | None = None) -> bytes:
    pos = np.asarray(positions, np.float32).tobytes()
    idx = np.asarray(indices, np.uint32).tobytes()
    blob = pos + idx + (image or b"")
    buffer: dict = {"byteLength": len(blob)}
    if uri is not None:
        buffer["uri"] = uri
    document: dict = {
        "asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "indices": 1}]}],
        "buffers": [buffer],
        "bufferViews": [{"buffer": 0, "byteOffset": 0, "byteLength": len(pos)},
                        {"buffer": 0, "byteOffset": len(pos), "byteLength": len(idx)}],
        "accessors": [
            {"bufferView": 0, "componentType": 5126, "count": count or len(pos) // 12,
             "type": "VEC3", "min": [0, 0, 0], "max": [1, 1, 1]},
            {"bufferView": 1, "componentType": 5125, "count": len(idx) // 4, "type": "SCALAR"}],
    }
    if image is not None:
        document["bufferViews"].append({"buffer": 0, "byteOffset": len(pos) + len(idx),
                                        "byteLength": len(image)})
        document["images"] = [{"bufferView": 2, "mimeType": "image/png"}]
        document["textures"] = [{"source": 0}]
        document["materials"] = [{"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}]
        document["meshes"][0]["primitives"][0]["material"] = 0
    return _glb(document, b"" if uri is not None else blob)


def _png_header(width: int, height: int) -> bytes:
    """A PNG that says it is ``width`` x ``height``; its pixels are never there."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + \
            struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                              0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


def _refused(path: Path, *fragments: str) -> str:
    with pytest.raises(AssetError) as failure:
        import_model(path)
    text = str(failure.value)
    assert text.startswith(f"{path}: ") and "hint: " in text, text
    for fragment in fragments:
        assert fragment in text, text
    return text


GLB_CASES: dict[str, tuple[bytes, tuple[str, ...]]] = {
    "index-past-the-vertices": (_mesh_glb(TRIANGLE, [0, 1, 2, 0, 2, 9]),
                                ("uses vertex 9", "only 4 vertices", "damaged")),
    "all-degenerate": (_mesh_glb(TRIANGLE, [0, 0, 1, 2, 2, 2]),
                       ("no usable triangles", "degenerate")),
    "non-finite": (_mesh_glb([[np.nan, 0, 0], [np.inf, 0, 0], [0, np.nan, 0]], [0, 1, 2]),
                   ("no usable triangles", "non-finite")),
    "empty": (b"", ("the file is empty (0 bytes)",)),
    "truncated-header": (b"glTF\x02\x00", ("too short for a GLB header", "truncated")),
    "truncated": (_mesh_glb(TRIANGLE, [0, 1, 2])[:-8], ("the header says", "truncated")),
    "count-past-the-data": (_mesh_glb(TRIANGLE, [0, 1, 2], count=1000),
                            ("accessor 0 claims 1,000 elements", "do not match")),
    "json-chunk-claims-2-GB": (
        b"glTF" + struct.pack("<II", 2, 100) + struct.pack("<I", 2**31) + b"JSON" + b"{}" * 40,
        ("chunk claims 2,147,483,648 bytes", "truncated or damaged")),
    "external-buffer": (_mesh_glb(TRIANGLE, [0, 1, 2], uri="data.bin"),
                        ("external files aren't allowed", "self-contained GLB")),
    "buffer-outside-the-folder": (_mesh_glb(TRIANGLE, [0, 1, 2], uri="../../etc/passwd"),
                                  ("external files aren't allowed",)),
    "absolute-buffer": (_mesh_glb(TRIANGLE, [0, 1, 2], uri="/etc/passwd"),
                        ("external files aren't allowed",)),
    "16000-pixel-texture": (_mesh_glb(TRIANGLE, [0, 1, 2], image=_png_header(16000, 16000)),
                            ("texture", "over the limit of 8192x8192")),
    "9000-pixel-edge": (_mesh_glb(TRIANGLE, [0, 1, 2], image=_png_header(9000, 16)),
                        ("9000x16", "over the limit of 8192x8192")),
}


@pytest.mark.parametrize("case", sorted(GLB_CASES))
def test_damaged_glb_files_are_refused_with_what_to_do(tmp_path: Path, case: str) -> None:
    data, fragments = GLB_CASES[case]
    path = tmp_path / f"{case}.glb"
    path.write_bytes(data)
    text = _refused(path, *fragments)
    assert "FilePathResolver" not in text and "reshape" not in text


def test_gltf_files_refer_only_to_files_in_their_folder(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (tmp_path / "secret.bin").write_bytes(b"\0" * 64)
    for uri in ("../secret.bin", "/etc/passwd", "file:///etc/passwd", "sub/../../secret.bin"):
        document = {"asset": {"version": "2.0"}, "buffers": [{"uri": uri, "byteLength": 64}]}
        path = folder / "m.gltf"
        path.write_text(json.dumps(document))
        _refused(path, "outside the model's folder", "external files aren't allowed")


def test_obj_materials_and_textures_stay_beside_the_model(tmp_path: Path) -> None:
    obj = BOX.export(file_type="obj")
    path = tmp_path / "box.obj"
    path.write_text("mtllib ../elsewhere.mtl\n" + obj)
    _refused(path, "material library `../elsewhere.mtl` outside the model's folder")
    (tmp_path / "box.mtl").write_text("newmtl m\nmap_Kd /etc/hostname\n")
    path.write_text("mtllib box.mtl\nusemtl m\n" + obj)
    _refused(path, "texture `/etc/hostname` outside the model's folder")
    (tmp_path / "huge.png").write_bytes(_png_header(16000, 16000))
    (tmp_path / "box.mtl").write_text("newmtl m\nmap_Kd huge.png\n")
    _refused(path, "texture `huge.png`", "over the limit of 8192x8192")


def test_a_scene_texture_over_the_limit_is_refused(tmp_path: Path) -> None:
    for size in ((16000, 16000), (8193, 4)):
        path = tmp_path / "wall.png"
        path.write_bytes(_png_header(*size))
        with pytest.raises(AssetError, match=r"wall.png: image is .*over the limit of "
                                             r"8192x8192"):
            open_image(path)


def _three_mf(model: bytes, name: str = "3D/3dmodel.model") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(name, model)
    return out.getvalue()


def test_a_3mf_compression_bomb_is_refused_before_it_expands(tmp_path: Path) -> None:
    path = tmp_path / "bomb.3mf"
    path.write_bytes(_three_mf(b" " * (64 * 1024 * 1024)))  # 64 MiB of spaces, ~64 KiB packed
    tracemalloc.start()
    try:
        _refused(path, "expands", "times, over the limit of 100", "compression bomb")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 * 1024


def test_3mf_sizes_are_bounded_in_total_and_while_reading(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = BOX.copy()
    good.apply_scale(1000.0)
    data = good.export(file_type="3mf")
    path = tmp_path / "box.3mf"
    path.write_bytes(data)
    assert import_model(path)[0]
    monkeypatch.setattr(model_checks, "MAX_ZIP_TOTAL_BYTES", 1000)
    _refused(path, "the 3MF archive expands to", "over the limit of 1,000")
    monkeypatch.undo()
    # An archive whose directory understates an entry's size is refused when read.
    archive = _three_mf(b"<model>" + b" " * 5000 + b"</model>")
    with zipfile.ZipFile(io.BytesIO(archive)) as listing:
        info = listing.getinfo("3D/3dmodel.model")
    lied = archive.replace(struct.pack("<I", info.file_size), struct.pack("<I", 100))
    path.write_bytes(lied)
    _refused(path, "3dmodel.model")


def test_header_counts_are_checked_against_the_file_before_allocating(tmp_path: Path) -> None:
    ply = BOX.export(file_type="ply")
    ascii_ply = BOX.export(file_type="ply", encoding="ascii")
    stl = bytearray(BOX.export(file_type="stl"))
    stl[80:84] = (10**9).to_bytes(4, "little")
    cases = {
        "binary.ply": ply.replace(b"element vertex 8", b"element vertex 1000000000"),
        "ascii.ply": ascii_ply.replace(b"element vertex 8", b"element vertex 1000000000"),
        "faces.ply": ply.replace(b"element face 12", b"element face 1000000000"),
        "huge.off": b"OFF\n1000000000 1000000000 0\n0 0 0\n",
        "huge.stl": bytes(stl),
    }
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        tracemalloc.start()
        try:
            _refused(path, "its header claims", "truncated or damaged")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 16 * 1024 * 1024, name


def _export(suffix: str) -> bytes:
    if suffix == "ascii.ply":
        return BOX.export(file_type="ply", encoding="ascii")
    if suffix == "ascii.stl":
        return trimesh.exchange.stl.export_stl_ascii(BOX).encode()
    data = BOX.export(file_type=suffix)
    return data.encode() if isinstance(data, str) else data


FORMATS = ["obj", "ply", "ascii.ply", "stl", "ascii.stl", "off", "dae", "glb", "3mf"]
EXPORTS = {suffix: _export(suffix) for suffix in FORMATS}


def _mutate(data: bytes, kind: str, at: float, text: bytes) -> bytes:
    cut = int(at * len(data))
    if kind == "truncate":
        return data[:cut]
    if kind == "overwrite":
        return data[:cut] + text + data[cut + len(text):]
    if kind == "nan":  # every third number becomes NaN (text formats)
        count = iter(range(10**9))
        return re.sub(rb"-?\d+\.\d+(e[-+]?\d+)?",
                      lambda m: b"nan" if next(count) % 3 == 0 else m.group(0), data)
    if kind == "floats":  # binary floats become NaN or infinity
        out = bytearray(data)
        for offset in range(cut - cut % 4, len(out) - 4, 97):
            out[offset:offset + 4] = struct.pack("<f", float("nan") if offset % 2 else
                                                 float("inf"))
        return bytes(out)
    return data[:cut] + text + data[cut:]  # insert


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(suffix=st.sampled_from(FORMATS),
       kind=st.sampled_from(["truncate", "overwrite", "nan", "floats", "insert"]),
       at=st.floats(0, 1),
       text=st.sampled_from([b"nan", b"-inf", b"1e309", b"1000000000", b"4294967295", b"-1",
                             b"\0\0\0\0", b"\xff\xff\xff\x7f", b"999999 999999 999999",
                             b"element vertex 1000000000\n", b"f 1 2 99999\n",
                             b"<!ENTITY a 'b'>", b"../../x", b"\n"]))
def test_hostile_files_in_every_format_are_refused_or_read(
        tmp_path_factory: pytest.TempPathFactory, suffix: str, kind: str, at: float,
        text: bytes) -> None:
    folder = tmp_path_factory.mktemp("hostile")
    path = folder / f"model.{suffix.rsplit('.', 1)[-1]}"
    path.write_bytes(_mutate(EXPORTS[suffix], kind, at, text))
    tracemalloc.start()
    try:
        parts, _ = import_model(path)
        assert parts and all(np.isfinite(p.vertices).all() for p in parts)
        assert all(p.faces.max() < len(p.vertices) for p in parts)
    except AssetError as exc:
        assert str(exc).startswith(f"{path}: ")
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024


def test_build_refuses_a_broken_model_with_its_message(content: Callable[..., Path],
                                                       tmp_path: Path) -> None:
    exhibit = content(scene=MINIMAL_SCENE.replace(
        "  - {id: table, primitive: {box: {size: [2, 1, 0.8]}}, position: [0, 0, 0.4]}",
        "  - {id: table, model: assets/table.glb, position: [0, 0, 0.4]}"))
    model = exhibit.parent.parent / "assets/table.glb"
    model.write_bytes(_mesh_glb(TRIANGLE, [0, 1, 2, 0, 2, 9]))
    key = tmp_path / "me.key"
    run_cli("keygen", "--out", str(key))
    code, _, err = run_cli("build", str(exhibit), "--out", str(tmp_path / "dist"), "--key",
                           str(key), "--no-cache", "--no-speech", "--no-thumbnails")
    assert code == 1, err
    assert "table.glb" in err and "uses vertex 9" in err and "hint:" in err
    assert "Traceback" not in err and not (tmp_path / "dist").exists()
