"""`redhall validate`: check scene scripts and exhibit definitions, reporting everything.

Schema errors do not hide the rest: references, assets and languages are checked in the
same run, on whatever of the raw document can be read. Each problem is reported once,
however the files were named on the command line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

import yaml

from protocol.exhibit import ExhibitDefinition
from protocol.i18n import Language
from protocol.scene import SceneScript
from tools.checks import check_scene, content_root, is_file, usable_path
from tools.documents import read_document
from tools.errors import Problem
from tools.narrator import check_narrator
from tools.yamlpos import LocatedDocument, format_path

_LANGUAGE_ORDER: list[Language] = ["zh-CN", "zh-TW", "en"]
_SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")  # protocol.scene.Slug: only these name files
_SLUG_LENGTH = 64


@dataclass
class ExhibitSources:
    """A valid exhibit with its valid scenes and the files they came from."""

    exhibit: ExhibitDefinition
    exhibit_file: Path
    root: Path  # the content folder (tools.checks.content_root): assets and the font
    scenes: list[tuple[SceneScript, Path]] = field(default_factory=list)


def shown_path(path: Path) -> Path:
    """``path`` as problems name it: relative to the working folder when inside it.

    One file reached two ways (``scenes/a.yaml`` and ``exhibits/../scenes/a.yaml``)
    gets one name, so its problems are not reported twice.
    """
    resolved = path.resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve())
    except ValueError:
        return resolved


def scene_file(exhibit: ExhibitDefinition, exhibit_file: Path, scene_id: str) -> Path:
    return _scene_file(exhibit.scene_dir, exhibit_file, scene_id)


def _scene_folder(scene_dir: str, exhibit_file: Path) -> Path:
    return (exhibit_file.parent / scene_dir).resolve()


def _scene_file(scene_dir: str, exhibit_file: Path, scene_id: str) -> Path:
    return _scene_folder(scene_dir, exhibit_file) / f"{scene_id}.yaml"


def exhibit_root(exhibit: ExhibitDefinition, exhibit_file: Path) -> Path:
    """The content folder of an exhibit: the folder above its `scene_dir`."""
    return content_root(_scene_folder(exhibit.scene_dir, exhibit_file))


def _is_slug(value: str) -> bool:
    return len(value) <= _SLUG_LENGTH and _SLUG.fullmatch(value) is not None


def load_scene(path: Path, languages: list[Language], root: Path | None = None
               ) -> tuple[SceneScript | None, list[Problem]]:
    """Validate one scene script: schema, references, assets (under ``root``, by default
    the content folder of the scene's folder) and ``languages``."""
    path = shown_path(path)
    loaded = read_document(path, SceneScript)
    if loaded.document is None:
        return None, loaded.problems
    problems = loaded.problems + check_scene(path, loaded.document, languages, root)
    problems += _narrator_problems(path, loaded.document, root)
    data = loaded.document.data
    scene_id = data.get("id") if isinstance(data, dict) else None
    if isinstance(scene_id, str) and scene_id != path.stem:
        line, col = loaded.document.locate(("id",))
        problems.append(Problem(str(path), line, col, "id",
                                f"scene id `{scene_id}` differs from the file name",
                                f"rename the file to {scene_id}.yaml or change the id"))
    return (None if problems else loaded.model), problems


def _narrator_problems(path: Path, document: LocatedDocument, root: Path | None
                       ) -> list[Problem]:
    problems: list[Problem] = []

    def report(where: tuple[Any, ...], message: str, hint: str) -> None:
        line, col = document.locate(where)
        problems.append(Problem(str(path), line, col, format_path(where), message, hint))

    data = document.data if isinstance(document.data, dict) else {}
    check_narrator(report, data, root if root is not None else content_root(path.parent))
    return problems


@dataclass
class _ExhibitOutline:
    """What an exhibit definition's raw data says about its scenes, valid or not."""

    scenes: list[tuple[int, str]]  # (index, id): ids that may name a file
    bad_ids: list[tuple[int, str]]  # (index, id): strings no scene file can be named by
    scene_dir: str
    font: str | None  # None: not a string (the schema check reports it)
    languages: list[Language]


def _outline(document: LocatedDocument) -> _ExhibitOutline:
    data: Any = document.data if isinstance(document.data, dict) else {}
    scenes = data.get("scenes")
    scene_dir = data.get("scene_dir")
    font = data.get("font", ExhibitDefinition.model_fields["font"].default)
    wanted = data.get("languages", ["zh-CN", "en"])
    known = get_args(Language)
    languages = {"zh-CN", *(w for w in wanted if w in known)} if isinstance(wanted, list) \
        else {"zh-CN"}
    named = [(i, s) for i, s in enumerate(scenes) if isinstance(s, str) and s.strip()] \
        if isinstance(scenes, list) else []
    return _ExhibitOutline(
        [(i, s) for i, s in named if _is_slug(s)], [(i, s) for i, s in named if not _is_slug(s)],
        scene_dir if isinstance(scene_dir, str) else "../scenes",
        font if isinstance(font, str) and font else None,
        [language for language in _LANGUAGE_ORDER if language in languages])


def _check_font(document: LocatedDocument, path: Path, root: Path, font: str,
                problems: list[Problem]) -> None:
    where = ("font",) if isinstance(document.data, dict) and "font" in document.data else ()
    line, col = document.locate(where)
    hint = ("the font path is relative to the content folder (the folder above "
            "`scene_dir`), e.g. assets/fonts/wqy-microhei.ttc")
    if not usable_path(font) or Path(font).is_absolute() or ".." in Path(font).parts:
        problems.append(Problem(str(path), line, col, "font",
                                f"font path {font!r} leaves the content folder", hint))
    elif not is_file(root / font):
        problems.append(Problem(str(path), line, col, "font",
                                f"font `{font}` not found (looked in {root})", hint))


def _check_exhibit(path: Path) -> tuple[ExhibitSources | None, list[Problem], set[Path]]:
    path = shown_path(path)
    loaded = read_document(path, ExhibitDefinition)
    if loaded.document is None:
        return None, loaded.problems, set()
    problems = list(loaded.problems)
    outline = _outline(loaded.document)
    checked: set[Path] = set()
    reported = {(p.line, p.column, p.path) for p in problems}
    for index, scene_id in outline.bad_ids:  # the schema says so too, in its own words
        line, col = loaded.document.locate(("scenes", index))
        where = format_path(("scenes", index))
        if (line, col, where) not in reported:
            problems.append(Problem(str(path), line, col, where,
                                    f"scene id {scene_id!r} is not a valid id",
                                    "ids use lowercase letters, digits and single hyphens, "
                                    "e.g. red-boat"))
    if not usable_path(outline.scene_dir):
        line, col = loaded.document.locate(("scene_dir",))
        problems.append(Problem(str(path), line, col, "scene_dir",
                                f"`scene_dir` {outline.scene_dir!r} is not a usable folder path",
                                "name the scenes folder relative to this file, e.g. ../scenes"))
        return None, problems, checked
    root = content_root(_scene_folder(outline.scene_dir, path))
    sources = ExhibitSources(loaded.model, path, root) if loaded.model is not None else None
    if outline.font is not None:
        _check_font(loaded.document, path, root, outline.font, problems)
    for index, scene_id in outline.scenes:
        target = _scene_file(outline.scene_dir, path, scene_id)
        if not is_file(target):
            line, col = loaded.document.locate(("scenes", index))
            problems.append(Problem(str(path), line, col, f"scenes[{index}]",
                                    f"scene `{scene_id}` not found at {target}",
                                    "create the scene script or fix `scene_dir`"))
            continue
        checked.add(target)
        scene, scene_problems = load_scene(target, outline.languages, root)
        problems.extend(scene_problems)
        if scene is not None and sources is not None:
            sources.scenes.append((scene, target))
    return (None if problems else sources), problems, checked


def load_exhibit(path: Path) -> tuple[ExhibitSources | None, list[Problem]]:
    """Validate an exhibit definition and every scene it names."""
    sources, problems, _ = _check_exhibit(path)
    return sources, problems


def _is_exhibit(path: Path) -> bool:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return path.parent.name == "exhibits"
    if isinstance(data, dict):
        return "scenes" in data and "version" in data
    return path.parent.name == "exhibits"


def expand(paths: list[Path]) -> list[Path]:
    """Files as given, folders as their YAML files in name order."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted([*path.glob("*.yaml"), *path.glob("*.yml")]))
        else:
            out.append(path)
    return out


def validate_paths(paths: list[Path]) -> list[Problem]:
    """Every problem in the given files and folders, once each, in file and line order.

    Exhibits are checked first, with their scenes in the exhibit's languages; a scene
    no given exhibit names is checked on its own (zh-CN only).
    """
    files = list(dict.fromkeys(path.resolve() for path in expand(paths)))
    exhibits = [path for path in files if path.is_file() and _is_exhibit(path)]
    found: list[Problem] = []
    checked: set[Path] = set(exhibits)
    for path in exhibits:
        _, problems, scenes = _check_exhibit(path)
        found.extend(problems)
        checked |= scenes
    for path in files:
        if path not in checked:
            checked.add(path)
            found.extend(load_scene(path, ["zh-CN"])[1])
    unique = list(dict.fromkeys(found))
    return sorted(unique, key=lambda p: (p.file, p.line, p.column))
