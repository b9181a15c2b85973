"""Exhibits named as members know them: the title of each exhibit's newest version in the
reader's language, not its package id."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.db.models import ExhibitVersion


def _localized(texts: Any, lang: str) -> str | None:
    if isinstance(texts, str):
        return texts
    if isinstance(texts, dict):
        found = texts.get(lang) or texts.get("zh-CN") or next(iter(texts.values()), None)
        return str(found) if found else None
    return None


async def exhibit_titles(sessions: async_sessionmaker[AsyncSession],
                         lang: str) -> dict[str, str]:
    async with sessions() as db:
        rows = (await db.execute(select(ExhibitVersion.exhibit_id, ExhibitVersion.manifest)
                                 .order_by(ExhibitVersion.id))).all()
    titles: dict[str, str] = {}
    for exhibit_id, manifest in rows:  # the newest version's title wins
        title = _localized((manifest or {}).get("title"), lang)
        if title:
            titles[exhibit_id] = title
    return titles


async def name_exhibits(sessions: async_sessionmaker[AsyncSession], lang: str,
                        exhibits: list[dict[str, Any]]) -> None:
    """Adds each row's ``title`` (its id when the exhibit has none)."""
    titles = await exhibit_titles(sessions, lang)
    for row in exhibits:
        row["title"] = titles.get(row["exhibit"], row["exhibit"])
