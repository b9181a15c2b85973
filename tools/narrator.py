"""The narrator figure of a scene: checked with the scene script, packaged once per package.

A narrator's model is a rigged GLB passed into the package as it is (no level-of-detail
chain: its skin, morph targets and animations must survive), named by its content, so a
figure several scenes share is stored once. Without ``model`` a scene gets RedHall's own
narrator, made by ``assets/_generate`` (``assets/narrator/narrator.glb``).
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

from protocol.glb_check import GlbRefused, check_glb
from protocol.scene import SceneScript
from tools.checks import is_file, usable_path
from tools.errors import AssetError

DEFAULT_FIGURE = Path(__file__).resolve().parents[1] / "assets/narrator/narrator.glb"
MAX_FIGURE_BYTES = 64 * 1024 * 1024
MORPH_TARGETS = ("viseme_A", "viseme_E", "viseme_O", "viseme_S", "blink")
CLEARANCE = 0.35  # metres between the narrator's body and a hotspot's marker

Report = Callable[[tuple[Any, ...], str, str], None]


def figure_path(model: str | None, root: Path) -> Path:
    """The narrator's model file: ``model`` under the content folder, else the default."""
    return DEFAULT_FIGURE if model is None else root / model


def figure_problem(data: bytes) -> str | None:
    """Why ``data`` cannot be a narrator (a sound GLB with a skin, the viseme and blink
    morph targets and a ``gesture`` animation), or None when it can."""
    try:
        check_glb(data)
    except GlbRefused as exc:
        return f"it is not a sound GLB: {exc}"
    (length,) = struct.unpack_from("<I", data, 12)
    document = json.loads(data[20:20 + length])
    if not document.get("skins"):
        return "it has no skin (a rig of joints the engine can turn)"
    names = {n for m in document.get("meshes", []) if isinstance(m.get("extras"), dict)
             for n in m["extras"].get("targetNames", []) if isinstance(n, str)}
    missing = [t for t in MORPH_TARGETS if t not in names]
    if missing:
        return f"it lacks the morph targets {', '.join(missing)}"
    if "gesture" not in {a.get("name") for a in document.get("animations", [])}:
        return "it has no animation named `gesture`"
    return None


def _raw_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _ids(data: dict[str, Any], section: str) -> set[str]:
    return {item["id"] for item in _raw_list(data.get(section))
            if isinstance(item, dict) and isinstance(item.get("id"), str)}


def _vector(value: Any) -> tuple[float, float, float] | None:
    if isinstance(value, list) and len(value) == 3 and all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            for v in value):
        return float(value[0]), float(value[1]), float(value[2])
    return None


def _check_model(report: Report, root: Path, value: Any) -> None:
    where = ("narrator", "model")
    hint = "use a rigged GLB relative to the content folder, or leave `model` out"
    if not isinstance(value, str) or not value:
        return  # the schema check reports it
    target = root / value
    if not usable_path(value) or Path(value).is_absolute() or ".." in Path(value).parts:
        report(where, f"narrator model path {value!r} leaves the content folder", hint)
    elif not is_file(target):
        report(where, f"narrator model `{value}` not found (looked in {root})", hint)
    elif target.suffix.lower() != ".glb":
        report(where, f"a narrator model must be a GLB, not `{target.suffix}`", hint)
    elif target.stat().st_size > MAX_FIGURE_BYTES:
        report(where, f"narrator model `{value}` is over {MAX_FIGURE_BYTES >> 20} MiB", hint)
    else:
        problem = figure_problem(target.read_bytes())
        if problem is not None:
            report(where, f"narrator model `{value}` cannot be a narrator: {problem}", hint)


def check_narrator(report: Report, data: dict[str, Any], root: Path) -> None:
    """References, model and footing of a raw scene's ``narrator``, valid or not."""
    narrator = data.get("narrator")
    if not isinstance(narrator, dict):
        return
    for section, key, kind in (("hotspots", "hotspots", "hotspot"), ("route", "stops", "stop")):
        known = _ids(data, section)
        for index, ref in enumerate(_raw_list(narrator.get(key))):
            if isinstance(ref, str) and ref not in known:
                report(("narrator", key, index), f"unknown {kind} `{ref}`",
                       f"name a {kind} id from `{section}`, or leave `{key}` out for all")
    if "model" in narrator:
        _check_model(report, root, narrator["model"])
    position = _vector(narrator.get("position"))
    if position is None:
        return
    for hotspot in _raw_list(data.get("hotspots")):
        at = _vector(hotspot.get("at")) if isinstance(hotspot, dict) else None
        radius = hotspot.get("radius", 0.6) if isinstance(hotspot, dict) else 0.6
        if at is None or not isinstance(radius, int | float) or not math.isfinite(radius):
            continue
        if math.dist(position[:2], at[:2]) < radius + CLEARANCE and at[2] < position[2] + 2.0:
            report(("narrator", "position"),
                   f"the narrator stands on hotspot `{hotspot.get('id')}`, hiding its marker",
                   f"move the narrator at least {radius + CLEARANCE:.2f} m from it")
    facing = _vector(narrator.get("facing"))
    if facing is not None and math.dist(position[:2], facing[:2]) < 0.01:
        report(("narrator", "facing"), "the narrator faces the point it stands on",
               "give a point away from `position`, such as where visitors stand")


def packaged_figure(scene: SceneScript, root: Path) -> tuple[str, bytes] | None:
    """The package path and bytes of ``scene``'s narrator figure, or None without one.

    Raises:
        AssetError: the default figure is missing or the model is no narrator.
    """
    if scene.narrator is None:
        return None
    path = figure_path(scene.narrator.model, root)
    if not is_file(path):
        raise AssetError(str(path), "the narrator figure is missing",
                         "run `python -m assets._generate`, or give `narrator.model`")
    data = path.read_bytes()
    problem = figure_problem(data) if len(data) <= MAX_FIGURE_BYTES else "it is too big"
    if problem is not None:
        raise AssetError(str(path), f"cannot be {scene.id}'s narrator: {problem}",
                         "give a rigged GLB with viseme and blink morph targets")
    return f"models/{hashlib.sha256(data).hexdigest()[:20]}.glb", data
