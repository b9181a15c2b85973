"""A member's voice taken out of every recording that kept it: when they withdraw their
voice-recording consent or their account is deleted. Each such recording gets a new index
without the member's voice (the tour's row then names it) and the voice file is deleted;
the guides' voices and the events stay."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.db.models import Consent, Tour, User
from server.recording.store import Recordings
from server.recording.voices import VOICE_CONSENT

log = logging.getLogger("redhall.recording")


def without_voice_of(store: Recordings, sha: str, user: int, doomed: list[Path],
                     depth: int = 0) -> str | None:
    """The sha256 of a new index like ``sha``'s without ``user``'s voice (in it or in the
    parts recorded before a restart that it names); None when the recording kept no voice
    of theirs. The files to delete once the tour's row names the new index (their voice,
    the old indexes) are added to ``doomed``, not deleted here."""
    index = store.index(sha)
    if index is None:
        return None
    previous = index.get("previous")
    earlier = without_voice_of(store, previous, user, doomed, depth + 1) \
        if isinstance(previous, str) and depth < 16 else None
    voices: list[dict[str, Any]] = index["voices"]
    theirs = [v for v in voices if v.get("user") == user and v.get("role") == "member"]
    if not theirs and earlier is None:
        return None
    kept = {**index, "voices": [v for v in voices if v not in theirs],
            "previous": earlier or previous}
    data = json.dumps(kept, sort_keys=True, separators=(",", ":")).encode()
    new = hashlib.sha256(data).hexdigest()
    target = store.blobs / f"{new}.json"
    temporary = target.with_suffix(".part")
    temporary.write_bytes(data)
    os.replace(temporary, target)
    for voice in theirs:
        path = store.path(str(voice["sha256"]), ".opus")
        if path is not None:
            doomed.append(path)
    old = store.path(sha, ".json")
    if old is not None:
        doomed.append(old)  # it names a voice that will be gone
    return new


async def forget_member_voice(sessions: async_sessionmaker[AsyncSession], store: Recordings,
                              user: int) -> int:
    """Takes ``user``'s voice out of every stored recording; returns how many changed."""
    async with sessions() as db:
        rows = (await db.execute(select(Tour.id, Tour.recording_sha256)
                                 .where(Tour.recording_sha256.is_not(None)))).all()
    changed = 0
    for tour, sha in rows:
        if sha is not None and await forget_in_tour(sessions, store, tour, sha, user):
            changed += 1
    return changed


async def forget_in_tour(sessions: async_sessionmaker[AsyncSession], store: Recordings,
                         tour: int, sha: str, user: int) -> str | None:
    """Takes ``user``'s voice out of the tour's recording ``sha``; returns the sha256 now
    in the tour's row, or None when nothing changed."""
    doomed: list[Path] = []
    new = await asyncio.to_thread(without_voice_of, store, sha, user, doomed)
    if new is None:
        return None
    async with sessions.begin() as db:
        moved = await db.execute(update(Tour).where(Tour.id == tour,
                                                    Tour.recording_sha256 == sha)
                                 .values(recording_sha256=new))
    if moved.rowcount != 1:  # type: ignore[attr-defined]  # changed meanwhile: keep all
        log.warning("tour %s: its recording changed while a voice was taken out; "
                    "asked again at the next withdrawal", tour)
        return None
    for path in doomed:
        path.unlink(missing_ok=True)
    return new


async def no_longer_kept(sessions: async_sessionmaker[AsyncSession],
                         users: list[int]) -> list[int]:
    """Those of ``users`` whose voice may no longer be kept: their latest answer to the
    voice-recording consent is not yes, or their account was deleted."""
    if not users:
        return []
    async with sessions() as db:
        answers = (await db.execute(
            select(Consent.user_id, Consent.granted)
            .where(Consent.user_id.in_(users), Consent.purpose == VOICE_CONSENT)
            .order_by(Consent.at, Consent.id))).all()
        gone = set((await db.scalars(select(User.id).where(
            User.id.in_(users), User.deleted_at.is_not(None)))).all())
    latest = dict.fromkeys(users, False)
    for user, granted in answers:
        latest[user] = bool(granted)  # the last answer stands
    return sorted(user for user, kept in latest.items() if not kept or user in gone)
