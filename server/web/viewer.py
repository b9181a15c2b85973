"""The browser viewer (``/exhibits/{id}/versions/{v}/view``): a scene of a package drawn by
three.js in any browser or standalone headset, and the npm files it runs on, served by
RedHall itself (intranets have no CDN).

three.js's add-ons import the bare name ``three``, which a browser resolves only through an
import map, and the CSP refuses an inline one (an external one is not supported); so each
module is served with that name rewritten to the module's own address here."""

from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import select

from server.credits.signing import public_text
from server.db.models import ExhibitVersion
from server.failures import NotFound
from server.keys import SESSIONS, TRUSTED
from server.web.catalogue import translate
from server.web.compression import KeptFile
from server.web.member_exhibits import EXHIBIT_ROLES
from server.web.member_words import localized
from server.web.rendering import language, page_principal, render
from server.web.security import CSP

ROOT = Path(__file__).resolve().parents[2]
THREE = ROOT / "node_modules" / "three"
THREE_FOLDERS = ("build", "examples/jsm")
THREE_MODULE = "/vendor/three/build/three.module.js"
PROFILES = ROOT / "node_modules" / "@webxr-input-profiles" / "assets" / "dist" / "profiles"
PROFILE_TYPES = {".json": "application/json", ".glb": "model/gltf-binary"}
_BARE_THREE = re.compile(rb"""(from\s*|import\s*)(['"])three\2""")
# the glTF loader hands a model's embedded textures to the image decoder as blob: URLs,
# which it fetches: the portal's policy with only that added
VIEWER_CSP = CSP.replace("connect-src 'self'", "connect-src 'self' blob:")
THREE_FILES = web.AppKey("viewer_three_files", dict[str, KeptFile])
# the page's strings its modules show, from the portal's catalogue
WORDS = ("loading", "verifying", "tampered", "failed", "hotspot", "close", "no_webgl",
         "enter_vr", "scene", "stops", "progress", "quiz", "answer", "right", "wrong",
         "play", "next_stop", "previous_stop", "turn_left", "turn_right", "forward",
         "backward", "offline", "delivered", "disputed", "sources", "leave", "raise_hand",
         "tour", "listen")


def _inside(root: Path, relative: str) -> Path | None:
    """``root``/``relative`` if it is a file inside ``root`` (no ``..``, no links out)."""
    if not relative or len(relative) > 200 or "\\" in relative or "\0" in relative:
        return None
    candidate = (root / relative).resolve()
    if not candidate.is_relative_to(root.resolve()) or not candidate.is_file():
        return None
    return candidate


def _kept(plain: bytes, content_type: str) -> KeptFile:
    digest = hashlib.sha256(plain).hexdigest()[:32]
    return KeptFile(plain, gzip.compress(plain, 9, mtime=0), f'"{digest}"', content_type)


async def three_file(request: web.Request) -> web.StreamResponse:
    """A three.js module (core or add-on), its bare ``three`` imports made addresses."""
    relative = request.match_info["path"]
    # one spelling per file (no `.`, empty or `..` segments): the files kept stay bounded
    if any(part in ("", ".", "..") for part in relative.split("/")):
        raise NotFound(f"no such file: {relative}")
    kept = request.app[THREE_FILES]
    if relative not in kept:
        path = _inside(THREE, relative) if relative.endswith(".js") and any(
            relative.startswith(folder + "/") for folder in THREE_FOLDERS) else None
        if path is None:
            raise NotFound(f"no such file: {relative}")
        source = _BARE_THREE.sub(rb"\1'" + THREE_MODULE.encode() + rb"'", path.read_bytes())
        kept[relative] = _kept(source, "text/javascript")
    return kept[relative].answer(request)


async def profile_file(request: web.Request) -> web.StreamResponse:
    """A WebXR input profile (JSON) or controller model (GLB), from the npm package."""
    relative = request.match_info["path"]
    suffix = Path(relative).suffix
    path = _inside(PROFILES, relative) if suffix in PROFILE_TYPES else None
    if path is None:
        raise NotFound(f"no such file: {relative}")
    return web.FileResponse(path, headers={"Content-Type": PROFILE_TYPES[suffix],
                                           "Cache-Control": "public, max-age=86400"})


async def view_page(request: web.Request) -> web.Response:
    """The viewer for one scene (``?scene=``, else the first) of an exhibit version the
    caller may see: published ones, and unpublished ones for editors and administrators."""
    principal = page_principal(request, *EXHIBIT_ROLES)
    lang = language(request)
    exhibit, version = request.match_info["exhibit"], request.match_info["version"]
    async with request.app[SESSIONS]() as db:
        row = await db.scalar(select(ExhibitVersion).where(
            ExhibitVersion.exhibit_id == exhibit, ExhibitVersion.version == version))
    if row is None or (not row.published and principal.role not in ("editor", "admin")):
        raise NotFound(translate(lang, "member.exhibits.no_such"))
    scenes: list[dict[str, Any]] = row.manifest["scenes"]
    wanted = request.query.get("scene")
    scene = next((s for s in scenes if s["id"] == wanted), None) if wanted else scenes[0]
    if scene is None:
        raise NotFound(translate(lang, "viewer.no_scene"))
    base = f"/api/exhibits/{exhibit}/{version}"
    tour = request.query.get("tour", "")
    if tour and not (tour.isdecimal() and len(tour) <= 10):
        raise NotFound(translate(lang, "viewer.no_tour"))
    config = {
        "exhibit": exhibit, "version": version, "scene": scene["id"], "language": lang,
        "manifest": f"{base}/manifest", "entries": f"{base}/entries/",
        "facts": "/api/participation", "user": principal.user_id,
        "tour": int(tour) if tour else None,
        "trusted": [public_text(key) for key in request.app[TRUSTED]],
        "three": THREE_MODULE, "profiles": "/vendor/webxr-profiles/",
        "words": {word: translate(lang, f"viewer.{word}") for word in WORDS},
    }
    others = [{"id": s["id"], "title": localized(s["title"], lang)} for s in scenes]
    response = await render(request, "viewer/view.html", config=config,
                        title=localized(row.manifest["title"], lang),
                        scene_title=localized(scene["title"], lang), scenes=others,
                        current=scene["id"], exhibit_id=exhibit, version=version)
    response.headers["Content-Security-Policy"] = VIEWER_CSP
    return response


def install(app: web.Application) -> None:
    """The viewer's page and the npm files it loads."""
    app[THREE_FILES] = {}
    app.router.add_get(r"/exhibits/{exhibit:[a-z0-9-]{1,64}}/versions/"
                       r"{version:[0-9A-Za-z.+-]{1,64}}/view", view_page)
    app.router.add_get(r"/vendor/three/{path:[A-Za-z0-9_./-]{1,200}}", three_file)
    app.router.add_get(r"/vendor/webxr-profiles/{path:[A-Za-z0-9_./-]{1,200}}", profile_file)
