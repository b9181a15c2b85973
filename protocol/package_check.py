"""What a package's entries may be called and hold, checked before anything uses them.

Names: printable, portable paths. Refused are control and format characters (bidi
overrides, zero-width marks), characters that look like ``/`` or ``.``, characters Windows
cannot store, Windows device names, trailing dots or spaces, and pairs of names that are
one file on a case-insensitive or normalizing file system.

Entries: regular files only (no directories, links or devices), not encrypted, stored or
deflated.

Contents: every scene the manifest names parses (UTF-8 JSON, bounded depth, finite
numbers) into the protocol models; every file a scene or the manifest refers to is in
the package, with the kind of content its name says; every model is a sound,
self-contained GLB (see :mod:`protocol.glb_check`); every lip-sync track follows
:mod:`protocol.lipsync`.
"""

from __future__ import annotations

import stat
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from pathlib import PurePosixPath

from pydantic import ValidationError

from protocol.errors import PackageError, UnsafePackage
from protocol.glb_check import GlbRefused, check_glb
from protocol.lipsync import LipSyncTrack
from protocol.manifest import Manifest, PackagedScene
from protocol.safe_json import JsonRefused, loads


class CorruptPackage(PackageError):
    """An entry cannot be read as the archive describes it (bad CRC, bad compressed data,
    encryption, an unknown compression method, headers that disagree)."""


class MalformedPackage(PackageError):
    """The package is intact (and may be signed) but what it holds is not a valid exhibit."""


MAX_NAME = 255
MAX_PART = 128
# Characters that render as, or are normalized to, a slash, backslash or full stop.
LOOKALIKES = frozenset("\u2215\u2044\u29f8\u29f9\uff0f\u2571\u27cb\u29f5\u2216\ufe68\uff3c"
                       "\u2024\u2025\u2026\uff0e\ufe52\u3002\uff61\u0701\u0702\u2e31\u00b7"
                       "\u2027\u02d9\ua4f8")
WINDOWS_RESERVED = frozenset('<>:"|?*\\')
DEVICE_NAMES = frozenset({"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$",
                          *(f"{p}{n}" for p in ("COM", "LPT") for n in "0123456789¹²³")})
BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
MAGIC = {".glb": (b"glTF",), ".png": (b"\x89PNG\r\n\x1a\n",), ".ogg": (b"OggS",),
         ".ttf": (b"\x00\x01\x00\x00", b"true", b"OTTO"), ".otf": (b"OTTO",),
         ".json": (b"{",)}


def _unsafe(name: str, why: str) -> UnsafePackage:
    shown = name.encode("unicode_escape").decode("ascii")
    return UnsafePackage(f"entry `{shown}` has an unsafe path: {why}; the package may be "
                         "malicious — do not use it")


def check_name(name: str) -> None:
    """Refuse (:class:`UnsafePackage`) an entry name that is not a safe, portable path."""
    if not name or len(name) > MAX_NAME:
        raise _unsafe(name[:80], f"it is empty or longer than {MAX_NAME} characters")
    for char in name:
        if char in BIDI:
            raise _unsafe(name, f"it holds the bidirectional control U+{ord(char):04X}, which "
                                "makes a name display as another")
        category = unicodedata.category(char)
        if category[0] == "C" or category in ("Zl", "Zp"):
            raise _unsafe(name, f"it holds the control or invisible character "
                                f"U+{ord(char):04X}")
        if char in LOOKALIKES or (char not in "/." and any(
                c in "/.\\" for c in unicodedata.normalize("NFKC", char))):
            raise _unsafe(name, f"it holds U+{ord(char):04X}, which looks like `/` or `.`")
        if char in WINDOWS_RESERVED:
            raise _unsafe(name, f"it holds `{char}`, which is a separator or not allowed in "
                                "file names on Windows (absolute, `..` or backslashes)")
    path = PurePosixPath(name)
    if name.startswith("/") or name != path.as_posix() or ".." in path.parts:
        raise _unsafe(name, "it is absolute or has `..`, `.` or empty parts (zip slip)")
    for part in name.split("/"):
        if part in ("", ".", ".."):
            raise _unsafe(name, "it has `..`, `.` or empty parts (zip slip)")
        if len(part) > MAX_PART:
            raise _unsafe(name, f"a part is longer than {MAX_PART} characters")
        if part != part.strip() or part.endswith("."):
            raise _unsafe(name, "a part starts or ends with a space, or ends with a dot")
        if part.split(".", 1)[0].upper().rstrip() in DEVICE_NAMES:
            raise _unsafe(name, f"`{part}` is a Windows device name")


def check_distinct(names: Iterable[str]) -> None:
    """Refuse names that are one file where names are normalized or case-folded."""
    seen: dict[str, str] = {}
    for name in names:
        key = unicodedata.normalize("NFKC", unicodedata.normalize("NFC", name).casefold())
        other = seen.get(key)
        if other is not None:
            raise UnsafePackage(f"entries `{_escaped(other)}` and `{_escaped(name)}` are the "
                                "same file on systems that ignore case or normalize "
                                "Unicode; the package may be malicious")
        seen[key] = name


def _escaped(name: str) -> str:
    return name.encode("unicode_escape").decode("ascii")


def check_info(info: zipfile.ZipInfo) -> None:
    """Refuse an entry that is not a plain, readable file: links, directories, devices,
    encrypted entries and compression methods other than stored and deflated."""
    check_name(info.filename)
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise UnsafePackage(f"entry `{info.filename}` is a symbolic link; packages may not "
                            "contain links")
    kind = stat.S_IFMT(mode)  # 0: no Unix type recorded (zip tools on other systems)
    if (kind and kind != stat.S_IFREG) or info.external_attr & 0x10 or info.is_dir():
        raise UnsafePackage(f"entry `{info.filename}` is not a regular file (a directory, "
                            "link or device); packages hold only files")
    if info.flag_bits & 0x1:
        raise CorruptPackage(f"entry `{info.filename}` is encrypted; packages are not")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise CorruptPackage(f"entry `{info.filename}` uses compression method "
                             f"{info.compress_type}; packages are stored or deflated")


def _refs(manifest: Manifest, scenes: dict[str, PackagedScene]
          ) -> Iterable[tuple[str, str, tuple[str, ...]]]:
    """(path, what refers to it, the suffixes it may have) for every file the manifest and
    the scenes name."""
    yield manifest.font, "the manifest's font", (".ttf", ".otf")
    for thumbnail in manifest.thumbnails:
        yield thumbnail, "the manifest's thumbnails", (".png",)
    for scene_id, scene in scenes.items():
        for prop in scene.props:
            for level in prop.levels:
                yield level.path, f"prop `{prop.id}` of scene `{scene_id}`", (".glb",)
            if prop.collision is not None:
                yield prop.collision, f"prop `{prop.id}` of scene `{scene_id}`", (".glb",)
        for owner, tracks in scene.audio.items():
            for path in tracks.values():
                yield path, f"the narration of `{owner}` in scene `{scene_id}`", (".ogg",)
        narrator = scene.script.narrator
        if narrator is not None and narrator.model is not None:
            yield narrator.model, f"the narrator of scene `{scene_id}`", (".glb",)
        for audio, track in scene.lipsync.items():
            yield audio, f"the lip-sync map of scene `{scene_id}`", (".ogg",)
            yield track, f"the lip-sync track of `{audio}` in scene `{scene_id}`", (".json",)


def _check_lipsync(data: bytes, name: str) -> None:
    try:
        LipSyncTrack.model_validate(loads(data))
    except JsonRefused as exc:
        raise MalformedPackage(f"`{name}` is not a readable lip-sync track: {exc}") from None
    except ValidationError as exc:
        raise MalformedPackage(f"`{name}` does not follow the lip-sync format: "
                               f"{exc.errors()[0]['msg']}") from None


def parse_scene(data: bytes, name: str) -> PackagedScene:
    """``data`` (the entry ``name``) as a packaged scene, or :class:`MalformedPackage`."""
    try:
        return PackagedScene.model_validate(loads(data))
    except JsonRefused as exc:
        raise MalformedPackage(f"`{name}` is not a readable scene: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise MalformedPackage(f"`{name}` does not follow the scene format ({exc.error_count()} "
                               f"problem(s); first at `{where}`: {first['msg']})") from None


def check_contents(manifest: Manifest, read: Callable[[str], bytes]) -> dict[str, PackagedScene]:
    """Validate everything the manifest describes; returns the scenes by id.

    ``read`` gives an entry's (already verified) bytes. Raises :class:`MalformedPackage`.
    """
    if not manifest.scenes:
        raise MalformedPackage("the manifest lists no scenes; an exhibit has at least one")
    ids = [ref.id for ref in manifest.scenes]
    if len(set(ids)) != len(ids):
        raise MalformedPackage("the manifest lists a scene id twice")
    listed = {entry.path for entry in manifest.entries}
    for ref in manifest.scenes:
        if not ref.script.endswith(".json") or ref.script not in listed:
            raise MalformedPackage(f"scene `{ref.id}` points at `{_escaped(ref.script)}`, which "
                                   "is not a scene file in the package")
    scenes = {}
    for ref in manifest.scenes:
        scene = parse_scene(read(ref.script), ref.script)
        if scene.script.id != ref.id:
            raise MalformedPackage(f"`{ref.script}` holds scene `{scene.script.id}`, but the "
                                   f"manifest says `{ref.id}`")
        for prop in scene.props:
            if not prop.levels:
                raise MalformedPackage(f"prop `{prop.id}` of scene `{ref.id}` has no model "
                                       "levels")
        scenes[ref.id] = scene
    checked: set[str] = set()
    for path, owner, allowed in _refs(manifest, scenes):
        if path not in listed:
            raise MalformedPackage(f"{owner} refers to `{_escaped(path)}`, which is not in the "
                                   "package")
        suffix = PurePosixPath(path).suffix.lower()
        if suffix not in allowed:
            raise MalformedPackage(f"{owner} refers to `{path}`, which should be "
                                   f"{' or '.join(allowed)}")
        if path in checked:
            continue
        checked.add(path)
        data = read(path)
        if not data.startswith(MAGIC[suffix]):
            raise MalformedPackage(f"`{path}` does not hold {suffix[1:].upper()} data")
        if suffix == ".glb":
            try:
                check_glb(data)
            except GlbRefused as exc:
                raise MalformedPackage(f"model `{path}` is refused: {exc}") from None
        if suffix == ".json":
            _check_lipsync(data, path)
    return scenes
