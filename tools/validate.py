"""`redhall validate`: check scene scripts and exhibit definitions, reporting everything."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from protocol.exhibit import ExhibitDefinition
from protocol.i18n import Language
from protocol.scene import SceneScript
from tools.checks import check_scene
from tools.documents import read_document
from tools.errors import Problem


@dataclass
class ExhibitSources:
    """A valid exhibit with its valid scenes and the files they came from."""

    exhibit: ExhibitDefinition
    exhibit_file: Path
    scenes: list[tuple[SceneScript, Path]] = field(default_factory=list)


def scene_file(exhibit: ExhibitDefinition, exhibit_file: Path, scene_id: str) -> Path:
    return (exhibit_file.parent / exhibit.scene_dir / f"{scene_id}.yaml").resolve()


def load_scene(path: Path, languages: list[Language]) -> tuple[SceneScript | None, list[Problem]]:
    loaded = read_document(path, SceneScript)
    if loaded.model is None or loaded.document is None:
        return None, loaded.problems
    problems = loaded.problems + check_scene(loaded.model, path, loaded.document, languages)
    if loaded.model.id != path.stem:
        line, col = loaded.document.locate(("id",))
        problems.append(Problem(str(path), line, col, "id",
                                f"scene id `{loaded.model.id}` differs from the file name",
                                f"rename the file to {loaded.model.id}.yaml or change the id"))
    return (None if problems else loaded.model), problems


def load_exhibit(path: Path) -> tuple[ExhibitSources | None, list[Problem]]:
    """Validate an exhibit definition and every scene it names."""
    loaded = read_document(path, ExhibitDefinition)
    if loaded.model is None or loaded.document is None:
        return None, loaded.problems
    exhibit = loaded.model
    problems = list(loaded.problems)
    languages: list[Language] = sorted({"zh-CN", *exhibit.languages}, key=["zh-CN", "zh-TW",
                                                                          "en"].index)
    sources = ExhibitSources(exhibit, path)
    for index, scene_id in enumerate(exhibit.scenes):
        target = scene_file(exhibit, path, scene_id)
        if not target.is_file():
            line, col = loaded.document.locate(("scenes", index))
            problems.append(Problem(str(path), line, col, f"scenes[{index}]",
                                    f"scene `{scene_id}` not found at {target}",
                                    "create the scene script or fix `scene_dir`"))
            continue
        scene, scene_problems = load_scene(target, languages)
        problems.extend(scene_problems)
        if scene is not None:
            sources.scenes.append((scene, target))
    return (None if problems else sources), problems


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
    """Every problem in the given files and folders (exhibits include their scenes)."""
    problems: list[Problem] = []
    checked: set[Path] = set()
    for path in expand(paths):
        if path.resolve() in checked:
            continue
        checked.add(path.resolve())
        if path.is_file() and _is_exhibit(path):
            _, found = load_exhibit(path)
            for problem in found:
                checked.add(Path(problem.file).resolve())
        else:
            _, found = load_scene(path, ["zh-CN"])
        problems.extend(p for p in found if p not in problems)
    return problems
