"""`redhall build`: exhibit definitions and their scenes into signed `.exhibit` packages."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from protocol.errors import PackageError
from protocol.manifest import FORMAT_VERSION, Manifest, PackagedScene
from protocol.package import open_package
from protocol.ui_text import UI_TEXT
from tools.ao import DEFAULT_REACH, resolves_neighbours
from tools.cache import BuildCache, digest_of, file_digest
from tools.checks import localized_texts
from tools.errors import ValidationFailed
from tools.geometry_store import Geometry
from tools.lipsync import LIPSYNC_VERSION
from tools.narration import build_narration, speech_lines, unvoiced
from tools.narrator import figure_path, packaged_figure
from tools.package import entries_for, stable_json, write_package
from tools.placement import extent, neighbours
from tools.props import PIPELINE_VERSION, BuildOptions, build_prop, prop_inputs, prop_key
from tools.validate import ExhibitSources, load_exhibit

TOOL_VERSION = "0.1.0"
Progress = Callable[[str], None]


@dataclass
class BuildResult:
    """What one exhibit build produced, for people (table) and machines (--json)."""

    exhibit: str
    version: str
    path: Path
    status: str
    seconds: float
    size: int = 0
    entries: int = 0
    props: int = 0
    props_cached: int = 0
    duplicates_removed: int = 0
    triangles: int = 0
    audio_seconds: float = 0.0
    synthesized: int = 0
    glyphs: int = 0
    repairs: list[str] = field(default_factory=list)
    # Things the package lacks that its inputs ask for (narration with no voice here).
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["path"] = str(self.path)
        return data


def _public_pem(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def fingerprint(sources: ExhibitSources, options: BuildOptions, key: Ed25519PrivateKey) -> str:
    """sha256 over every input and option; equal fingerprints give identical packages."""
    root = sources.root
    parts: list[str | bytes] = [TOOL_VERSION, PIPELINE_VERSION, LIPSYNC_VERSION, repr(options),
                                _public_pem(key),
                                sources.exhibit_file.read_bytes(),
                                file_digest(root / sources.exhibit.font)]
    for scene, path in sources.scenes:
        parts.append(path.read_bytes())
        assets: list[Path] = [p for prop in scene.props for p in prop_inputs(prop, root)]
        audio = [h.audio for h in scene.hotspots] + [s.audio for s in scene.route]
        for value in audio:
            for relative in ([value] if isinstance(value, str) else
                             list(value.values()) if isinstance(value, dict) else []):
                assets.append(root / relative)
        assets += [root / a.do.play_audio for a in scene.actions
                   if getattr(a.do, "play_audio", None)]
        parts += [f"{p.relative_to(root)}:{file_digest(p)}" for p in assets]
        if scene.narrator is not None:
            figure = figure_path(scene.narrator.model, root)
            parts.append(f"narrator:{file_digest(figure) if figure.is_file() else 'missing'}")
        if options.speech and (spoken := speech_lines(scene, _languages(sources))):
            from tools.voices import speech_identity  # which voices speak, at what rate

            parts.append(speech_identity(spoken))
    return digest_of(*parts)


def _languages(sources: ExhibitSources) -> set[str]:
    """The languages the exhibit ships (zh-CN always)."""
    return {"zh-CN", *sources.exhibit.languages}


def _warnings(sources: ExhibitSources, options: BuildOptions) -> list[str]:
    if not options.speech:
        return []
    return [line for scene, _ in sources.scenes for line in unvoiced(scene, _languages(sources))]


def _up_to_date(out: Path, inputs: str, key: Ed25519PrivateKey) -> bool:
    if not out.exists():
        return False
    try:
        package = open_package(out, [key.public_key()])
    except PackageError:
        return False
    return package.manifest.build.inputs_sha256 == inputs


def _display_text(sources: ExhibitSources) -> str:
    texts = [t for _, lt in localized_texts(sources.exhibit) for t in lt.texts()]
    for scene, _ in sources.scenes:
        texts += [t for _, lt in localized_texts(scene) for t in lt.texts()]
        texts += [s.title + (s.publisher or "") + (s.date or "") for s in scene.sources]
    texts += [t for lt in UI_TEXT.values() for t in lt.texts()]
    return "".join(texts)


def _thumbnails(manifest: dict[str, Any], files: dict[str, bytes], key: Ed25519PrivateKey,
                inputs: str, cache: BuildCache, scenes: list[str]) -> dict[str, bytes]:
    """Render each scene from a provisional package; cached by the build's inputs."""
    names = {scene: f"thumbnails/{scene}.png" for scene in scenes}
    hit = cache.get("thumbnails", inputs)
    if hit is not None and set(hit[1]) == set(names.values()):
        return hit[1]
    from tools.thumbnails import render_thumbnails

    with tempfile.TemporaryDirectory() as folder:
        provisional = Path(folder) / "provisional.exhibit"
        write_package(provisional, manifest, files, key)
        shots = {names[s]: png for s, png in render_thumbnails(provisional, scenes).items()}
    cache.put("thumbnails", inputs, {}, shots)
    return shots


def build_exhibit(exhibit_file: Path, out_dir: Path, key: Ed25519PrivateKey,
                  options: BuildOptions = BuildOptions(), cache: BuildCache | None = None,
                  progress: Progress = lambda _: None) -> BuildResult:
    """Build one exhibit package; nothing is written unless the whole build succeeds."""
    started = time.perf_counter()
    sources, problems = load_exhibit(exhibit_file)
    if sources is None:
        raise ValidationFailed(problems)
    exhibit = sources.exhibit
    out = out_dir / f"{exhibit.id}-{exhibit.version}.exhibit"
    inputs = fingerprint(sources, options, key)
    warnings = _warnings(sources, options)
    if _up_to_date(out, inputs, key):
        return BuildResult(exhibit.id, exhibit.version, out, "up to date",
                           time.perf_counter() - started, size=out.stat().st_size,
                           warnings=warnings)
    cache = cache or BuildCache(None)
    root = sources.root
    result = BuildResult(exhibit.id, exhibit.version, out, "built", 0.0, warnings=warnings)
    for line in warnings:
        progress(f"warning: {line}")
    files: dict[str, bytes] = {}
    scene_refs = []
    geometry = Geometry(root, options.max_triangles, cache)
    for scene, _ in sources.scenes:
        props = []
        keys = [prop_key(prop, root, options) for prop in scene.props]
        boxes = [geometry.bounds(p, k) for p, k in zip(scene.props, keys)]
        near = [around if resolves_neighbours(extent(prop, box)) else []
                for prop, box, around in zip(scene.props, boxes,
                                             neighbours(scene.props, keys, boxes, DEFAULT_REACH))]
        for prop, around in zip(scene.props, near):
            progress(f"{scene.id}: {prop.id}")
            built = build_prop(prop, root, options, cache, geometry, around)
            result.duplicates_removed += sum(1 for name in built.files if name in files)
            files.update(built.files)
            props.append(built.prop)
            result.props += 1
            result.props_cached += built.cached
            result.triangles += built.prop.levels[0].triangles
            result.repairs += built.repairs
        progress(f"{scene.id}: narration")
        narration = build_narration(scene, root, cache, options.speech,
                                    languages=_languages(sources))
        files.update(narration.files)
        result.audio_seconds += narration.seconds
        result.synthesized += narration.synthesized
        figure = packaged_figure(scene, root)
        if figure is not None and scene.narrator is not None:
            # The packaged script names the figure by its path inside the package.
            files[figure[0]] = figure[1]
            scene = scene.model_copy(update={
                "narrator": scene.narrator.model_copy(update={"model": figure[0]})})
        packaged = PackagedScene(script=scene, props=props, audio=narration.audio,
                                 lipsync=narration.lipsync)
        script_path = f"scenes/{scene.id}.json"
        files[script_path] = stable_json(packaged.model_dump(mode="json", by_alias=True,
                                                              exclude_none=True))
        scene_refs.append({"id": scene.id, "script": script_path,
                           "title": scene.title.model_dump(by_alias=True, exclude_none=True),
                           "credit": scene.credit.model_dump()})
    progress("font subset")
    from tools.fonts import subset_font  # fontTools loads only when a package is written

    font, result.glyphs = subset_font(root / exhibit.font, _display_text(sources))
    files["fonts/subset.ttf"] = font
    manifest = {
        "format": FORMAT_VERSION,
        "id": exhibit.id,
        "version": exhibit.version,
        "title": exhibit.title.model_dump(by_alias=True, exclude_none=True),
        "summary": exhibit.summary.model_dump(by_alias=True, exclude_none=True),
        "publisher": exhibit.publisher,
        "languages": sorted({"zh-CN", *exhibit.languages}),
        "scenes": scene_refs,
        "font": "fonts/subset.ttf",
        "entries": [e.model_dump() for e in entries_for(files)],
        "build": {"tool": "redhall", "tool_version": TOOL_VERSION, "inputs_sha256": inputs},
    }
    if exhibit.credit is not None:
        manifest["credit"] = exhibit.credit.model_dump()
    if options.thumbnails:
        progress("thumbnails")
        shots = _thumbnails(manifest, files, key, inputs, cache,
                            [scene.id for scene, _ in sources.scenes])
        files.update(shots)
        manifest["thumbnails"] = sorted(shots)
        manifest["entries"] = [e.model_dump() for e in entries_for(files)]
    Manifest.model_validate(manifest)  # the reader's contract, checked before signing
    progress("writing package")
    write_package(out, manifest, files, key)
    result.size = out.stat().st_size
    result.entries = len(files)
    result.seconds = time.perf_counter() - started
    return result
