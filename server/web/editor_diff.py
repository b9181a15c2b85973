"""What changed between two versions of an exhibit, from their stored manifests and
packaged scenes: metadata and credit rules, scenes, entries (by sha256, with the size
change), and each common scene's route stops, hotspots and quiz items."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from server.web.editor_view import CREDIT_FIELDS, local, number, signed_size, size_text

# manifest fields compared as they are; the key names the message editor.field.<key>
METADATA = ("title", "summary", "publisher", "languages", "font")


@dataclass(frozen=True)
class Change:
    """One field's value before and after; ``field`` names message editor.field.<field>."""

    field: str
    before: str
    after: str


@dataclass(frozen=True)
class EntryChange:
    path: str
    before: str  # size, or "" when the entry is new
    after: str  # size, or "" when the entry is gone
    delta: str
    sha_before: str
    sha_after: str


@dataclass
class SceneDiff:
    id: str
    title: str
    changes: list[Change] = field(default_factory=list)
    stops_added: list[str] = field(default_factory=list)
    stops_removed: list[str] = field(default_factory=list)
    hotspots_added: list[str] = field(default_factory=list)
    hotspots_removed: list[str] = field(default_factory=list)
    hotspots_changed: list[str] = field(default_factory=list)
    quiz_added: list[str] = field(default_factory=list)
    quiz_removed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any((self.changes, self.stops_added, self.stops_removed, self.hotspots_added,
                    self.hotspots_removed, self.hotspots_changed, self.quiz_added,
                    self.quiz_removed))


@dataclass
class Diff:
    metadata: list[Change] = field(default_factory=list)
    scenes_added: list[str] = field(default_factory=list)
    scenes_removed: list[str] = field(default_factory=list)
    scenes: list[SceneDiff] = field(default_factory=list)
    entries_added: list[EntryChange] = field(default_factory=list)
    entries_removed: list[EntryChange] = field(default_factory=list)
    entries_changed: list[EntryChange] = field(default_factory=list)
    size_before: str = ""
    size_after: str = ""
    size_delta: str = ""

    @property
    def empty(self) -> bool:
        return not any((self.metadata, self.scenes_added, self.scenes_removed, self.scenes,
                        self.entries_added, self.entries_removed, self.entries_changed))


def _shown(value: Any, other: Any, lang: str) -> str:
    """``value`` for a reader of ``lang``; a localized text whose change is not in ``lang``
    shows the language it changed in."""
    if value is None:
        return "—"
    if isinstance(value, dict):
        if isinstance(other, dict) and value.get(lang) == other.get(lang):
            changed = sorted(k for k in set(value) | set(other) if value.get(k) != other.get(k))
            if changed:
                return f"{changed[0]}: {value.get(changed[0], '—')}"
        return local(value, lang)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return number(value)


def _changes(before: dict[str, Any], after: dict[str, Any], names: tuple[str, ...],
             prefix: str, lang: str) -> list[Change]:
    return [Change(prefix + name, _shown(before.get(name), after.get(name), lang),
                   _shown(after.get(name), before.get(name), lang))
            for name in names if before.get(name) != after.get(name)]


def _credit(before: dict[str, Any] | None, after: dict[str, Any] | None, lang: str
            ) -> list[Change]:
    return _changes(before or {}, after or {}, CREDIT_FIELDS, "credit.", lang)


def _ids(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in items if isinstance(item, dict) and "id" in item}


def _added_removed(before: dict[str, Any], after: dict[str, Any]
                   ) -> tuple[list[str], list[str]]:
    return ([k for k in after if k not in before], [k for k in before if k not in after])


def _scene(ref_before: dict[str, Any], ref_after: dict[str, Any], before: dict[str, Any],
           after: dict[str, Any], lang: str) -> SceneDiff:
    old, new = before.get("script", {}), after.get("script", {})
    out = SceneDiff(ref_after["id"], local(ref_after["title"], lang))
    out.changes = (_changes(ref_before, ref_after, ("title",), "scene.", lang)
                   + _changes(old, new, ("date", "place"), "scene.", lang)
                   + _credit(ref_before.get("credit"), ref_after.get("credit"), lang))
    stops_old, stops_new = _ids(old.get("route", [])), _ids(new.get("route", []))
    out.stops_added, out.stops_removed = _added_removed(stops_old, stops_new)
    spots_old, spots_new = _ids(old.get("hotspots", [])), _ids(new.get("hotspots", []))
    out.hotspots_added, out.hotspots_removed = _added_removed(spots_old, spots_new)
    out.hotspots_changed = [k for k in spots_new if k in spots_old
                            and spots_new[k] != spots_old[k]]
    quiz_old, quiz_new = _ids(old.get("quiz", [])), _ids(new.get("quiz", []))
    out.quiz_added, out.quiz_removed = _added_removed(quiz_old, quiz_new)
    return out


def _entries(before: dict[str, Any], after: dict[str, Any], diff: Diff) -> None:
    old = {e["path"]: e for e in before.get("entries", [])}
    new = {e["path"]: e for e in after.get("entries", [])}
    for path in sorted(set(old) | set(new)):
        a, b = old.get(path), new.get(path)
        if a is not None and b is not None and a["sha256"] == b["sha256"]:
            continue
        size_a, size_b = (int(a["size"]) if a else 0), (int(b["size"]) if b else 0)
        change = EntryChange(path, size_text(size_a) if a else "", size_text(size_b) if b else "",
                             signed_size(size_b - size_a), a["sha256"] if a else "",
                             b["sha256"] if b else "")
        (diff.entries_changed if a and b else diff.entries_added if b
         else diff.entries_removed).append(change)
    total_a = sum(int(e["size"]) for e in old.values())
    total_b = sum(int(e["size"]) for e in new.values())
    diff.size_before, diff.size_after = size_text(total_a), size_text(total_b)
    diff.size_delta = signed_size(total_b - total_a)


def diff(before: dict[str, Any], after: dict[str, Any], scenes_before: dict[str, dict[str, Any]],
         scenes_after: dict[str, dict[str, Any]], lang: str) -> Diff:
    """What changed from manifest ``before`` to ``after`` (with their packaged scenes)."""
    out = Diff()
    out.metadata = (_changes(before, after, METADATA, "", lang)
                    + _credit(before.get("credit"), after.get("credit"), lang))
    refs_old, refs_new = _ids(before.get("scenes", [])), _ids(after.get("scenes", []))
    added, removed = _added_removed(refs_old, refs_new)
    out.scenes_added = [local(refs_new[k]["title"], lang) + f" ({k})" for k in added]
    out.scenes_removed = [local(refs_old[k]["title"], lang) + f" ({k})" for k in removed]
    for scene_id, ref in refs_new.items():
        if scene_id in refs_old:
            changed = _scene(refs_old[scene_id], ref, scenes_before.get(scene_id, {}),
                             scenes_after.get(scene_id, {}), lang)
            if changed:
                out.scenes.append(changed)
    _entries(before, after, out)
    return out
