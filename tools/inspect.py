"""`redhall inspect` and `redhall verify`: what a package holds, and whether to trust it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from protocol.lipsync import LipSyncTrack
from protocol.manifest import PackagedScene
from protocol.package import VerifiedPackage, open_package
from tools.keys import load_public


def _owner_kind(owner: str) -> str:
    """What narration ``owner`` belongs to: ``hotspot``, ``stop`` (``stop:<id>``) or
    ``action`` (``action:<n>``)."""
    prefix = owner.split(":", 1)[0] if ":" in owner else ""
    return prefix if prefix in ("stop", "action") else "hotspot"


def _narration(package: VerifiedPackage, scene: PackagedScene) -> list[dict[str, Any]]:
    """Each narration's Ogg with the lip-sync track beside it (None for older packages)."""
    sizes = {entry.path: entry.size for entry in package.manifest.entries}
    listed = []
    for owner, tracks in sorted(scene.audio.items()):
        for language, path in sorted(tracks.items()):
            track_path = scene.lipsync.get(path)
            lipsync = None
            if track_path is not None:
                track = LipSyncTrack.model_validate(json.loads(package.read(track_path)))
                lipsync = {"path": track_path, "bytes": sizes.get(track_path, 0),
                           "rate": track.rate, "frames": len(track.openness),
                           "seconds": round(track.seconds, 2)}
            listed.append({"owner": owner, "kind": _owner_kind(owner), "language": language,
                           "path": path,
                           "bytes": sizes.get(path, 0), "lipsync": lipsync})
    return listed


def _narrator(package: VerifiedPackage, scene: PackagedScene) -> dict[str, Any] | None:
    """Where the scene's narrator stands, its figure and what it speaks (None: no narrator)."""
    narrator = scene.script.narrator
    if narrator is None:
        return None
    sizes = {entry.path: entry.size for entry in package.manifest.entries}
    script = scene.script
    return {"model": narrator.model, "bytes": sizes.get(narrator.model or "", 0),
            "position": list(narrator.position),
            "facing": narrator.facing if isinstance(narrator.facing, float)
            else list(narrator.facing),
            "hotspots": narrator.hotspots if narrator.hotspots is not None
            else [h.id for h in script.hotspots],
            "stops": narrator.stops if narrator.stops is not None
            else [s.id for s in script.route]}


def describe(package: VerifiedPackage) -> dict[str, Any]:
    """A summary of a verified package for people and machines."""
    manifest = package.manifest
    scenes = []
    for ref in manifest.scenes:
        scene = PackagedScene.model_validate(json.loads(package.read(ref.script)))
        scenes.append({
            "id": ref.id,
            "title": ref.title.model_dump(by_alias=True, exclude_none=True),
            "props": len(scene.props),
            "triangles": sum(p.levels[0].triangles for p in scene.props),
            "hotspots": len(scene.script.hotspots),
            "route_stops": len(scene.script.route),
            "quiz_items": len(scene.script.quiz),
            "narrated": len(scene.audio),
            "audio": _narration(package, scene),
            "narrator": _narrator(package, scene),
            "credit": ref.credit.model_dump(),
        })
    kinds: dict[str, int] = {}
    for entry in manifest.entries:
        folder = entry.path.split("/", 1)[0]
        kinds[folder] = kinds.get(folder, 0) + entry.size
    return {
        "path": str(package.path),
        "id": manifest.id,
        "version": manifest.version,
        "format": manifest.format,
        "title": manifest.title.model_dump(by_alias=True, exclude_none=True),
        "publisher": manifest.publisher,
        "languages": manifest.languages,
        "signature_checked": package.signed_by_trusted,
        "entries": len(manifest.entries),
        "bytes_by_folder": kinds,
        "size": package.path.stat().st_size,
        "scenes": scenes,
        "credit": manifest.credit.model_dump() if manifest.credit else None,
        "build": manifest.build.model_dump(),
    }


def inspect_package(path: Path, trust: Path | None = None) -> dict[str, Any]:
    trusted = [load_public(trust)] if trust is not None else None
    return describe(open_package(path, trusted))


def verify_package(path: Path, trust: list[Path]) -> VerifiedPackage:
    """Open ``path`` checking its signature against ``trust`` and every entry's hash."""
    return open_package(path, [load_public(p) for p in trust])
