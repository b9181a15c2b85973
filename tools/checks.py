"""Checks a schema cannot express: references between parts, assets on disk, languages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from protocol.i18n import Language, LocalizedText
from protocol.scene import SceneScript
from tools.errors import Problem
from tools.yamlpos import LocatedDocument, format_path

MODEL_SUFFIXES = (".glb", ".gltf", ".obj", ".ply", ".stl", ".off", ".3mf", ".dae")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
AUDIO_SUFFIXES = (".wav", ".ogg", ".mp3", ".flac")


def content_root(scene_file: Path) -> Path:
    """Asset paths in a scene script are relative to the folder above ``scenes/``."""
    return scene_file.resolve().parent.parent


class _Reporter:
    def __init__(self, file: Path, document: LocatedDocument) -> None:
        self.file = str(file)
        self.document = document
        self.problems: list[Problem] = []

    def add(self, path: tuple[Any, ...], message: str, hint: str = "") -> None:
        line, col = self.document.locate(path)
        self.problems.append(Problem(self.file, line, col, format_path(path), message, hint))


def _unique(report: _Reporter, items: list[Any], section: str) -> set[str]:
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item.id in seen:
            report.add((section, index, "id"), f"duplicate id `{item.id}` in {section}",
                       "give each one its own id")
        seen.add(item.id)
    return seen


def _asset(report: _Reporter, root: Path, path: tuple[Any, ...], value: str,
           suffixes: tuple[str, ...], kind: str) -> None:
    target = root / value
    if Path(value).is_absolute() or ".." in Path(value).parts:
        report.add(path, f"{kind} path `{value}` leaves the content folder",
                   "use a path relative to the content folder, e.g. assets/boat/hull.glb")
    elif not target.is_file():
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


def _audio_paths(audio: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(audio, str):
        yield path, audio
    elif isinstance(audio, dict):
        for language, value in audio.items():
            yield (*path, language), value


def check_scene(scene: SceneScript, file: Path, document: LocatedDocument,
                languages: list[Language]) -> list[Problem]:
    """Cross-references, assets and required languages of one scene script."""
    report = _Reporter(file, document)
    root = content_root(file)
    _unique(report, scene.props, "props")
    hotspots = _unique(report, scene.hotspots, "hotspots")
    stops = _unique(report, scene.route, "route")
    _unique(report, scene.quiz, "quiz")
    for index, hotspot in enumerate(scene.hotspots):
        for s_index, source in enumerate(hotspot.sources):
            if not 0 <= source < len(scene.sources):
                report.add(("hotspots", index, "sources", s_index),
                           f"source {source} does not exist",
                           f"the scene lists {len(scene.sources)} sources, numbered from 0")
        for path, value in _audio_paths(hotspot.audio, ("hotspots", index, "audio")):
            _asset(report, root, path, value, AUDIO_SUFFIXES, "audio")
    for index, stop in enumerate(scene.route):
        for h_index, ref in enumerate(stop.hotspots):
            if ref not in hotspots:
                report.add(("route", index, "hotspots", h_index), f"unknown hotspot `{ref}`",
                           "name a hotspot id from `hotspots`")
        for path, value in _audio_paths(stop.audio, ("route", index, "audio")):
            _asset(report, root, path, value, AUDIO_SUFFIXES, "audio")
    for index, item in enumerate(scene.quiz):
        if item.hotspot is not None and item.hotspot not in hotspots:
            report.add(("quiz", index, "hotspot"), f"unknown hotspot `{item.hotspot}`",
                       "name a hotspot id from `hotspots`, or leave it out for the route's end")
    for index, action in enumerate(scene.actions):
        trigger, do = action.trigger, action.do
        if getattr(trigger, "on_stop", None) and trigger.on_stop not in stops:
            report.add(("actions", index, "trigger", "on_stop"), f"unknown stop `{trigger.on_stop}`",
                       "name a stop id from `route`")
        if getattr(trigger, "on_hotspot", None) and trigger.on_hotspot not in hotspots:
            report.add(("actions", index, "trigger", "on_hotspot"),
                       f"unknown hotspot `{trigger.on_hotspot}`", "name a hotspot id")
        if getattr(do, "highlight", None) and do.highlight not in hotspots:
            report.add(("actions", index, "do", "highlight"), f"unknown hotspot `{do.highlight}`",
                       "name a hotspot id")
        if getattr(do, "play_audio", None):
            _asset(report, root, ("actions", index, "do", "play_audio"), do.play_audio,
                   AUDIO_SUFFIXES, "audio")
    for index, prop in enumerate(scene.props):
        if prop.model is not None:
            _asset(report, root, ("props", index, "model"), prop.model, MODEL_SUFFIXES, "model")
        if prop.material is not None and prop.material.texture is not None:
            _asset(report, root, ("props", index, "material", "texture"), prop.material.texture,
                   IMAGE_SUFFIXES, "texture")
        terrain = getattr(prop.primitive, "terrain", None)
        if terrain is not None:
            _asset(report, root, ("props", index, "primitive", "terrain", "heightmap"),
                   terrain.heightmap, (".png",), "heightmap")
    for path, text in localized_texts(scene):
        for language in languages:
            if language != "zh-CN" and getattr(text, language.replace("-", "_")) is None:
                report.add(path, f"missing the {language} text",
                           f"add `{language}: ...`; this exhibit is shown in {', '.join(languages)}")
    return report.problems
