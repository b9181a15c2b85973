"""YAML loading that remembers where each value came from (line and column, 1-based)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]


@dataclass
class LocatedDocument:
    """Plain data from a YAML file plus the position of every key and item."""

    data: Any
    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    duplicates: list[tuple[Path, tuple[int, int]]] = field(default_factory=list)

    def locate(self, path: Path) -> tuple[int, int]:
        """Position of the deepest part of ``path`` present in the document.

        Segments the document does not have (such as a union's tag) are skipped.
        """
        best = self.positions.get((), (1, 1))
        current: Path = ()
        for segment in path:
            candidate = (*current, segment)
            if candidate in self.positions:
                current = candidate
                best = self.positions[candidate]
        return best


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _walk(node: yaml.Node, path: Path, doc: LocatedDocument) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[object] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            child = (*path, key)
            if key in seen:
                doc.duplicates.append((child, _mark(key_node)))
            seen.add(key)
            doc.positions[child] = _mark(key_node)
            _walk(value_node, child, doc)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            doc.positions[child] = _mark(item)
            _walk(item, child, doc)


class _Loader(yaml.SafeLoader):
    """Safe YAML, except that dates stay text: `date: 1921-07-23` is a historic date string."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_located(text: str) -> LocatedDocument:
    """Parse YAML ``text``; raises ``yaml.YAMLError`` (with a mark) when malformed."""
    node = yaml.compose(text, Loader=_Loader)
    data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    doc = LocatedDocument(data=data)
    if node is not None:
        doc.positions[()] = _mark(node)
        _walk(node, (), doc)
    return doc


def format_path(path: Path) -> str:
    """``("props", 2, "model")`` -> ``props[2].model``."""
    out = ""
    for segment in path:
        out += f"[{segment}]" if isinstance(segment, int) else (f".{segment}" if out else segment)
    return out
