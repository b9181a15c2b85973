"""How the member's pages put things into words: an exhibit's own texts in the reader's
language, a moment in a tour's zone, a credit rule, a learning fact."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from server.web.catalogue import translate


def localized(texts: Any, lang: str) -> str:
    """An exhibit's localized text (``{"zh-CN": ..., "en": ...}``) in ``lang``, else in
    zh-CN, which every exhibit has."""
    if not isinstance(texts, dict):
        return str(texts or "")
    return str(texts.get(lang) or texts.get("zh-CN") or next(iter(texts.values()), ""))


def moment(iso: str) -> str:
    """An ISO 8601 time with its offset as a reader sees it: ``2026-07-01 14:00 (UTC+08:00)``
    (the offset is the tour's zone, where the guide scheduled it)."""
    at = datetime.fromisoformat(iso)
    offset = iso[-6:] if iso[-6] in "+-" else "+00:00"
    return f"{at:%Y-%m-%d %H:%M} (UTC{offset})"


def hours_text(value: float) -> str:
    """Hours without trailing zeros: 0.5, 2, 31.25."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def rule_words(rule: Any, lang: str) -> str:
    """A scene's credit rule in a sentence: the hours and each condition it sets."""
    if not isinstance(rule, dict):
        return translate(lang, "member.rule.none")
    parts = [translate(lang, "member.rule.minutes", minutes=hours_text(rule.get("min_minutes", 0)),
                       hours=hours_text(rule.get("hours", 0)))]
    if rule.get("hotspot_share", 0) > 0:
        parts.append(translate(lang, "member.rule.hotspots",
                               share=f"{rule['hotspot_share']:.0%}"))
    if rule.get("quiz_pass", 0) > 0:
        parts.append(translate(lang, "member.rule.quiz", share=f"{rule['quiz_pass']:.0%}"))
    if rule.get("tour_presence_share", 0) > 0:
        parts.append(translate(lang, "member.rule.tour",
                               share=f"{rule['tour_presence_share']:.0%}"))
    return translate(lang, "member.rule.join").join(parts)


def award_subject(subject: Any, lang: str, titles: Mapping[str, str]) -> str:
    """What an award was for: a scene, a whole exhibit, a tour taken or a tour led."""
    if not isinstance(subject, dict):
        return ""
    exhibit = titles.get(str(subject.get("exhibit", "")), str(subject.get("exhibit", "")))
    kind = str(subject.get("kind", ""))
    if kind == "scene":
        scene = str(subject.get("scene", ""))
        return translate(lang, "member.award.scene", exhibit=exhibit,
                         scene=titles.get(f"{subject.get('exhibit')}/{scene}", scene))
    if kind in ("tour", "lead"):
        tour = str(subject.get("tour", ""))
        return translate(lang, f"member.award.{kind}", exhibit=exhibit,
                         tour=titles.get(f"tour/{tour}", f"#{tour}"))
    return translate(lang, "member.award.exhibit", exhibit=exhibit)
