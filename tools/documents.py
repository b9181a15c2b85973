"""Read a scene script or exhibit definition and report every problem with its position."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from protocol.exhibit import ExhibitDefinition
from protocol.scene import SceneScript
from tools.errors import Problem
from tools.yamlpos import LocatedDocument, format_path, load_located

M = TypeVar("M", bound=BaseModel)

_PATTERN_HINTS = {
    "^[a-z0-9]+(-[a-z0-9]+)*$":
        "ids use lowercase letters, digits and single hyphens, e.g. red-boat",
    "^#[0-9a-fA-F]{6}$": "write colours as #rrggbb, e.g. #8b3a2b",
    "^https?://": "a source url starts with http:// or https://",
}


def _vocabulary(model: type[BaseModel]) -> set[str]:
    words: set[str] = set()

    def collect(schema: Any) -> None:
        if isinstance(schema, dict):
            for key, value in schema.get("properties", {}).items():
                words.add(key)
                collect(value)
            for value in schema.values():
                collect(value)
        elif isinstance(schema, list):
            for item in schema:
                collect(item)

    collect(model.model_json_schema(by_alias=True))
    return words


_VOCABULARY = _vocabulary(SceneScript) | _vocabulary(ExhibitDefinition)


def _hint(error: Any) -> str:
    kind = error["type"]
    loc = error["loc"]
    if kind == "missing":
        return f"add `{loc[-1]}`" if loc and isinstance(loc[-1], str) else "add the missing value"
    if kind == "extra_forbidden":
        key = str(loc[-1])
        close = difflib.get_close_matches(key, _VOCABULARY, n=1, cutoff=0.7)
        return f"did you mean `{close[0]}`?" if close else f"remove `{key}`; it is not a known key"
    if kind == "string_pattern_mismatch":
        pattern = error.get("ctx", {}).get("pattern", "")
        return _PATTERN_HINTS.get(pattern, "the date format is YYYY, YYYY-MM or YYYY-MM-DD, or A/B")
    if kind in ("tuple_type", "too_short", "too_long") and loc and loc[-1] in (
        "at", "position", "rotation", "pos", "look_at", "size"
    ):
        return "write a list of numbers, e.g. [0, 0, 1.5]"
    if kind == "one_of":
        return "write one key naming the kind, e.g. `primitive: {box: {size: [1, 1, 1]}}`"
    if kind in ("float_parsing", "float_type", "int_parsing", "int_type"):
        return "write a plain number"
    return ""


@dataclass
class Loaded(Generic[M]):
    """A document's model (None when invalid), its positions and its problems."""

    model: M | None
    document: LocatedDocument | None
    problems: list[Problem]


def read_document(path: Path, model: type[M]) -> Loaded[M]:
    """Parse and validate ``path`` against ``model``, collecting every problem."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Loaded(None, None, [Problem(name, 1, 1, "", "file not found", "check the path")])
    except (OSError, UnicodeDecodeError) as exc:
        return Loaded(None, None, [Problem(name, 1, 1, "", f"cannot read: {exc}",
                                           "save the file as UTF-8 text")])
    try:
        document = load_located(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = getattr(exc, "problem", None) or str(exc)
        return Loaded(None, None, [Problem(name, line, col, "", f"malformed YAML: {reason}",
                                           "check indentation, colons and quotes here")])
    problems = [
        Problem(name, line, col, format_path(dup), "duplicate key", "keep one of the two")
        for dup, (line, col) in document.duplicates
    ]
    if not isinstance(document.data, dict):
        problems.append(Problem(name, 1, 1, "", "the document must be a mapping of keys",
                                "start with `id: ...`"))
        return Loaded(None, document, problems)
    try:
        instance = model.model_validate(document.data)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            loc = tuple(error["loc"])
            line, col = document.locate(loc)
            problems.append(Problem(name, line, col, format_path(_visible(loc, document)),
                                    error["msg"], _hint(error)))
        return Loaded(None, document, problems)
    return Loaded(instance, document, problems)


def _visible(loc: tuple[Any, ...], document: LocatedDocument) -> tuple[Any, ...]:
    """Drop union tags pydantic adds that do not appear in the document."""
    out: tuple[Any, ...] = ()
    for index, segment in enumerate(loc):
        if (*out, segment) in document.positions or index == len(loc) - 1:
            out = (*out, segment)
    return out
