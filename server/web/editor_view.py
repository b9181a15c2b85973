"""A stored exhibit version as the editor's pages show it: sizes in words, texts in the
reader's language, and each scene's stops, hotspots and narration from its packaged JSON."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

# the credit rule's fields, in the order a page lists them
CREDIT_FIELDS = ("hours", "min_minutes", "hotspot_share", "quiz_pass", "tour_presence_share")


def local(text: Any, lang: str) -> str:
    """A localized text (``{language: text}``) in ``lang``, else zh-CN, else any language."""
    if not isinstance(text, dict):
        return "" if text is None else str(text)
    return str(text.get(lang) or text.get("zh-CN") or next(iter(text.values()), ""))


def size_text(size: int) -> str:
    """``size`` bytes for people: 812 B, 41.3 KiB, 2.4 MiB."""
    amount, units = float(abs(size)), ("B", "KiB", "MiB", "GiB")
    unit = 0
    while amount >= 1024 and unit < len(units) - 1:
        amount, unit = amount / 1024, unit + 1
    shown = f"{amount:.0f}" if unit == 0 else f"{amount:.1f}"
    return f"{'-' if size < 0 else ''}{shown} {units[unit]}"


def signed_size(delta: int) -> str:
    """A size change with its sign: +1.2 KiB, -300 B, 0 B."""
    return ("+" if delta > 0 else "") + size_text(delta)


def when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def number(value: Any) -> str:
    """A rule's number without a needless ``.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def entry_kind(path: str) -> str:
    """An entry's kind: its folder (models, audio, scenes, thumbnails, fonts)."""
    return path.split("/", 1)[0] if "/" in path else "other"


@dataclass(frozen=True)
class KindSize:
    kind: str
    count: int
    size: str
    share: int  # percent of the package's entries' bytes


def kind_sizes(manifest: dict[str, Any]) -> list[KindSize]:
    """Bytes per entry kind, largest first."""
    totals: dict[str, tuple[int, int]] = {}
    for entry in manifest.get("entries", []):
        count, size = totals.get(entry_kind(entry["path"]), (0, 0))
        totals[entry_kind(entry["path"])] = (count + 1, size + int(entry["size"]))
    everything = sum(size for _, size in totals.values()) or 1
    return [KindSize(kind, count, size_text(size), round(100 * size / everything))
            for kind, (count, size) in sorted(totals.items(), key=lambda kv: -kv[1][1])]


@dataclass(frozen=True)
class Stop:
    id: str
    say: str
    hotspots: list[str]


@dataclass(frozen=True)
class Hotspot:
    id: str
    title: str
    text: str
    disputed: bool


@dataclass(frozen=True)
class Narration:
    owner: str  # the hotspot or stop it is spoken at
    language: str
    path: str
    size: str


@dataclass(frozen=True)
class SceneView:
    id: str
    title: str
    thumbnail: str | None
    date: str
    place: str
    credit: list[tuple[str, str]]
    stops: list[Stop]
    hotspots: list[Hotspot]
    quiz: int
    narration: list[Narration]
    readable: bool  # False: the packaged scene could not be read, only the manifest shows


def credit_rule(rule: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(field, value) of a credit rule, in :data:`CREDIT_FIELDS` order."""
    if not rule:
        return []
    return [(name, number(rule[name])) for name in CREDIT_FIELDS if name in rule]


def scene_views(manifest: dict[str, Any], packaged: dict[str, dict[str, Any]], base: str,
                lang: str) -> list[SceneView]:
    """Every scene of ``manifest``; ``packaged`` holds the scenes' packaged JSON by id and
    ``base`` is the version's API path (for thumbnails)."""
    sizes = {e["path"]: int(e["size"]) for e in manifest.get("entries", [])}
    thumbnails = set(manifest.get("thumbnails", []))
    views = []
    for ref in manifest.get("scenes", []):
        scene = packaged.get(ref["id"], {})
        script: dict[str, Any] = scene.get("script", {})
        thumb = f"thumbnails/{ref['id']}.png"
        views.append(SceneView(
            id=ref["id"], title=local(ref["title"], lang),
            thumbnail=f"{base}/{thumb}" if thumb in thumbnails else None,
            date=str(script.get("date", "")), place=local(script.get("place"), lang),
            credit=credit_rule(ref.get("credit")),
            stops=[Stop(s["id"], local(s.get("say"), lang), list(s.get("hotspots", [])))
                   for s in script.get("route", [])],
            hotspots=[Hotspot(h["id"], local(h.get("title"), lang), local(h.get("text"), lang),
                              bool(h.get("disputed"))) for h in script.get("hotspots", [])],
            quiz=len(script.get("quiz", [])),
            narration=[Narration(owner, language, path, size_text(sizes.get(path, 0)))
                       for owner, by_language in sorted(scene.get("audio", {}).items())
                       for language, path in sorted(by_language.items())],
            readable=bool(scene)))
    return views
