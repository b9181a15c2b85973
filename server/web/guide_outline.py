"""What the live console shows of a tour's exhibit: each scene with its thumbnail, route
stops (where a gathering goes), hotspots and quiz items, in the reader's language."""

from __future__ import annotations

import asyncio
import json
from typing import Any, cast

from protocol.i18n import Language
from protocol.manifest import PackagedScene
from protocol.package import open_package
from server.catalog_store import PackageStore
from server.db.models import ExhibitVersion


def _scenes(store: PackageStore, version: ExhibitVersion, lang: Language) -> list[dict[str, Any]]:
    package = open_package(store.path(version.sha256), None)  # verified on upload
    manifest = package.manifest
    base = f"/api/exhibits/{version.exhibit_id}/{version.version}/thumbnails"
    scenes = []
    for ref in manifest.scenes:
        script = PackagedScene.model_validate(json.loads(package.read(ref.script))).script
        thumbnail = f"thumbnails/{ref.id}.png"
        scenes.append({
            "id": ref.id, "title": ref.title.get(lang),
            "thumbnail": f"{base}/{ref.id}.png" if thumbnail in manifest.thumbnails else None,
            # a browser guide has no position: a gathering goes to the stop's viewpoint
            "stops": [{"id": s.id, "say": s.say.get(lang), "at": list(s.camera.pos)}
                      for s in script.route],
            "spawn": list(script.spawn.pos),
            "hotspots": [{"id": h.id, "title": h.title.get(lang)} for h in script.hotspots],
            "quiz": [{"id": q.id, "prompt": q.prompt.get(lang),
                      "choices": [c.get(lang) for c in q.choices]} for q in script.quiz],
        })
    return scenes


async def console_scenes(store: PackageStore, version: ExhibitVersion,
                         lang: str) -> list[dict[str, Any]]:
    """The scenes of ``version`` as the console steers them (read off the event loop)."""
    return await asyncio.to_thread(_scenes, store, version, cast(Language, lang))
