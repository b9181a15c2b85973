"""Checks a schema cannot express: references between parts, assets on disk, languages.

They read the document's raw data, so a scene with schema errors still has its
references and assets checked as far as its data allows.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError

from protocol.i18n import Language, LocalizedText
from protocol.scene import SceneScript
from tools.errors import Problem
from tools.yamlpos import LocatedDocument, format_path

MODEL_SUFFIXES = (".glb", ".gltf", ".obj", ".ply", ".stl", ".off", ".3mf", ".dae")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
AUDIO_SUFFIXES = (".wav", ".ogg", ".mp3", ".flac")

_LOCALIZED = TypeAdapter(LocalizedText)


def usable_path(value: str) -> bool:
    """Whether ``value`` can name a file at all (no NUL byte, no lone surrogate)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\0" not in value


def is_file(path: Path) -> bool:
    """Whether ``path`` is a readable file's path; False for one no file can have (a name
    too long, say) instead of an error."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def content_root(scene_folder: Path) -> Path:
    """The content folder: asset and font paths are relative to it.

    It is the folder above the one holding the scene scripts (an exhibit's `scene_dir`,
    or the folder a scene script is in), wherever the exhibit definition itself lies.
    Validation, the build and the build cache all take it from here.
    """
    return scene_folder.resolve().parent


class _Reporter:
    def __init__(self, file: Path, document: LocatedDocument) -> None:
        self.file = str(file)
        self.document = document
        self.problems: list[Problem] = []

    def add(self, path: tuple[Any, ...], message: str, hint: str = "") -> None:
        line, col = self.document.locate(path)
        self.problems.append(Problem(self.file, line, col, format_path(path), message, hint))


def _items(data: dict[str, Any], section: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """The mappings of a list section, with their indexes; anything else is skipped."""
    value = data.get(section)
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield index, item


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _unique(report: _Reporter, data: dict[str, Any], section: str) -> set[str]:
    seen: set[str] = set()
    for index, item in _items(data, section):
        ident = item.get("id")
        if not isinstance(ident, str):
            continue
        if ident in seen:
            report.add((section, index, "id"), f"duplicate id `{ident}` in {section}",
                       "give each one its own id")
        seen.add(ident)
    return seen


def _asset(report: _Reporter, root: Path, path: tuple[Any, ...], value: Any,
           suffixes: tuple[str, ...], kind: str) -> None:
    if not isinstance(value, str) or not value:
        return  # the schema check reports it
    target = root / value
    if not usable_path(value):
        report.add(path, f"{kind} path {value!r} is not a usable file path",
                   "use a path relative to the content folder, e.g. assets/boat/hull.glb")
    elif Path(value).is_absolute() or ".." in Path(value).parts:
        report.add(path, f"{kind} path `{value}` leaves the content folder",
                   "use a path relative to the content folder, e.g. assets/boat/hull.glb")
    elif not is_file(target):
        report.add(path, f"{kind} `{value}` not found (looked in {root})",
                   "check the path; asset paths are relative to the folder above scenes/")
    elif target.suffix.lower() not in suffixes:
        report.add(path, f"unsupported {kind} format `{target.suffix}`",
                   "use one of " + ", ".join(suffixes))
    else:
        try:
            with target.open("rb") as handle:
                handle.read(1)
        except OSError as exc:
            report.add(path, f"{kind} `{value}` cannot be read: {exc.strerror}",
                       "fix the file's permissions")


def localized_texts(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...],
                                                                             LocalizedText]]:
    """Every localized string inside a model, with its path."""
    if isinstance(value, LocalizedText):
        yield path, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from localized_texts(getattr(value, name), (*path, name))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from localized_texts(item, (*path, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from localized_texts(item, (*path, key))


def raw_localized_texts(kind: Any, raw: Any, path: tuple[Any, ...] = ()
                        ) -> Iterator[tuple[tuple[Any, ...], LocalizedText]]:
    """Every valid localized string in raw data typed ``kind``, however invalid the rest.

    Walks the type and the data side by side, so a broken prop or stop does not hide the
    texts of its neighbours (or its own other fields).
    """
    origin = get_origin(kind)
    if kind is LocalizedText:
        try:
            yield path, _LOCALIZED.validate_python(raw)
        except ValidationError:
            return
    elif origin is Annotated:
        yield from raw_localized_texts(get_args(kind)[0], raw, path)
    elif origin in (Union, types.UnionType):
        for member in get_args(kind):
            yield from raw_localized_texts(member, raw, path)
    elif origin is list and isinstance(raw, list):
        (item_kind,) = get_args(kind) or (Any,)
        for index, item in enumerate(raw):
            yield from raw_localized_texts(item_kind, item, (*path, index))
    elif isinstance(kind, type) and issubclass(kind, BaseModel) and isinstance(raw, dict):
        for name, info in kind.model_fields.items():
            key = info.alias or name
            if key in raw:
                yield from raw_localized_texts(info.annotation, raw[key], (*path, key))


def _audio_paths(audio: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(audio, str):
        yield path, audio
    elif isinstance(audio, dict):
        for language, value in audio.items():
            yield (*path, language), value


def _references(report: _Reporter, data: dict[str, Any]) -> None:
    hotspots = _unique(report, data, "hotspots")
    stops = _unique(report, data, "route")
    _unique(report, data, "props")
    _unique(report, data, "quiz")
    sources = data.get("sources")
    for index, hotspot in _items(data, "hotspots"):
        refs = hotspot.get("sources")
        for s_index, source in enumerate(refs if isinstance(refs, list) else []):
            if isinstance(sources, list) and isinstance(source, int) and \
                    not 0 <= source < len(sources):
                report.add(("hotspots", index, "sources", s_index),
                           f"source {source} does not exist",
                           f"the scene lists {len(sources)} sources, numbered from 0")
    for index, stop in _items(data, "route"):
        refs = stop.get("hotspots")
        for h_index, ref in enumerate(refs if isinstance(refs, list) else []):
            if isinstance(ref, str) and ref not in hotspots:
                report.add(("route", index, "hotspots", h_index), f"unknown hotspot `{ref}`",
                           "name a hotspot id from `hotspots`")
    for index, item in _items(data, "quiz"):
        ref = _text(item.get("hotspot"))
        if ref is not None and ref not in hotspots:
            report.add(("quiz", index, "hotspot"), f"unknown hotspot `{ref}`",
                       "name a hotspot id from `hotspots`, or leave it out for the route's end")
    for index, action in _items(data, "actions"):
        trigger_value, do_value = action.get("trigger"), action.get("do")
        trigger: dict[str, Any] = trigger_value if isinstance(trigger_value, dict) else {}
        do: dict[str, Any] = do_value if isinstance(do_value, dict) else {}
        if _text(trigger.get("on_stop")) and trigger["on_stop"] not in stops:
            report.add(("actions", index, "trigger", "on_stop"),
                       f"unknown stop `{trigger['on_stop']}`", "name a stop id from `route`")
        if _text(trigger.get("on_hotspot")) and trigger["on_hotspot"] not in hotspots:
            report.add(("actions", index, "trigger", "on_hotspot"),
                       f"unknown hotspot `{trigger['on_hotspot']}`", "name a hotspot id")
        if _text(do.get("highlight")) and do["highlight"] not in hotspots:
            report.add(("actions", index, "do", "highlight"),
                       f"unknown hotspot `{do['highlight']}`", "name a hotspot id")


def _assets(report: _Reporter, data: dict[str, Any], root: Path) -> None:
    for section in ("hotspots", "route"):
        for index, item in _items(data, section):
            for path, value in _audio_paths(item.get("audio"), (section, index, "audio")):
                _asset(report, root, path, value, AUDIO_SUFFIXES, "audio")
    for index, action in _items(data, "actions"):
        do = action.get("do")
        if isinstance(do, dict) and "play_audio" in do:
            _asset(report, root, ("actions", index, "do", "play_audio"), do["play_audio"],
                   AUDIO_SUFFIXES, "audio")
    for index, prop in _items(data, "props"):
        if "model" in prop:
            _asset(report, root, ("props", index, "model"), prop["model"], MODEL_SUFFIXES,
                   "model")
        material = prop.get("material")
        if isinstance(material, dict) and "texture" in material:
            _asset(report, root, ("props", index, "material", "texture"), material["texture"],
                   IMAGE_SUFFIXES, "texture")
        primitive = prop.get("primitive")
        terrain = primitive.get("terrain") if isinstance(primitive, dict) else None
        if isinstance(terrain, dict) and "heightmap" in terrain:
            _asset(report, root, ("props", index, "primitive", "terrain", "heightmap"),
                   terrain["heightmap"], (".png",), "heightmap")


def check_scene(file: Path, document: LocatedDocument,
                languages: list[Language], root: Path | None = None) -> list[Problem]:
    """Cross-references, assets and required languages of one scene script.

    Works on the raw document, valid or not: whatever the schema check rejected is
    left to its own report, and everything else is checked. Assets are looked up
    under ``root``, by default the content folder of the scene's own folder.
    """
    report = _Reporter(file, document)
    data = document.data if isinstance(document.data, dict) else {}
    _references(report, data)
    _assets(report, data, root if root is not None else content_root(file.parent))
    seen: set[tuple[Any, ...]] = set()
    for path, text in raw_localized_texts(SceneScript, data):
        if path in seen:
            continue
        seen.add(path)
        for language in languages:
            if language != "zh-CN" and getattr(text, language.replace("-", "_")) is None:
                report.add(path, f"missing the {language} text",
                           f"add `{language}: ...`; this exhibit is shown in "
                           f"{', '.join(languages)}")
    return report.problems
