"""Starts a recorder for each live tour this process opens, learns whose voices it may
keep, and enters each stored recording in its tour's row. At start it finishes the
recordings a crash cut off."""

from __future__ import annotations

import asyncio
import fcntl
import logging
import time
from pathlib import Path
from typing import IO

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.db.models import Consent, Tour
from server.live.plan import TourPlan
from server.recording.forget import forget_in_tour, no_longer_kept
from server.recording.recorder import FileTourRecorder
from server.recording.store import Recordings
from server.recording.voices import VOICE_CONSENT, VoicePolicy

log = logging.getLogger("redhall.recording")


class TourRecorders:
    """The ``RecorderFactory`` the hub calls as a live tour opens."""

    RECHECK_TRIES = 5  # a recording whose row keeps changing as a voice is taken out

    def __init__(self, sessions: async_sessionmaker[AsyncSession], store: Recordings) -> None:
        self.sessions = sessions
        self.store = store
        self.running: dict[int, FileTourRecorder] = {}
        self._tour_locks: dict[int, IO[bytes]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def __call__(self, plan: TourPlan) -> FileTourRecorder | None:
        """A recorder for the tour, or None when another process sharing this data
        directory already records it (a tour spread over processes is recorded once)."""
        lock = (self.store.live / f"tour-{plan.tour}.lock").open("ab")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            return None
        loop = asyncio.get_running_loop()
        start = time.time()
        policy = VoicePolicy()
        previous: list[str | None] = [None]
        checked: set[int] = set()

        def finished(folder: Path) -> None:  # the writer thread, the recording closed
            try:
                tour, sha = self.store.store(folder, previous[0])
                loop.call_soon_threadsafe(self._spawn, self._enter(tour, sha, folder))
            finally:  # a recording that cannot be stored now is finished at the next start
                loop.call_soon_threadsafe(self._release, plan.tour)

        def joined(user: int) -> None:  # the event loop
            if user not in checked:
                checked.add(user)
                self._spawn(self._consent(policy, [user]))

        folder = self.store.live / f"{plan.tour}-{int(start * 1000)}"
        try:
            recorder = FileTourRecorder(folder, plan.tour, start, policy, finished, joined,
                                        about={"exhibit": plan.exhibit,
                                               "exhibit_version": plan.exhibit_version,
                                               "scene": plan.first_scene})
        except BaseException:
            lock.close()  # the tour's lock goes with the recorder that never started
            raise
        self._tour_locks[plan.tour] = lock
        self.running[plan.tour] = recorder
        checked.update(plan.reserved)
        self._spawn(self._settings(plan, policy, previous))
        return recorder

    def _spawn(self, work: object) -> None:
        task = asyncio.ensure_future(work)  # type: ignore[call-overload]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _release(self, tour: int) -> None:
        self.running.pop(tour, None)
        lock = self._tour_locks.pop(tour, None)
        if lock is not None:
            fcntl.flock(lock, fcntl.LOCK_UN)
            lock.close()

    async def _settings(self, plan: TourPlan, policy: VoicePolicy,
                        previous: list[str | None]) -> None:
        async with self.sessions() as db:
            row = (await db.execute(select(Tour.keep_member_voices, Tour.recording_sha256)
                                    .where(Tour.id == plan.tour))).first()
        if row is None:
            return
        previous[0] = row.recording_sha256  # a part recorded before a restart
        policy.keep_members = bool(row.keep_member_voices)
        if policy.keep_members:
            await self._consent(policy, sorted(plan.reserved))

    async def _consent(self, policy: VoicePolicy, users: list[int]) -> None:
        if not users:
            return
        asked = {user: policy.withdrawals.get(user, 0) for user in users}
        latest = await self._latest_consent(users)
        for user, granted in latest.items():
            if granted and policy.withdrawals.get(user, 0) == asked[user]:
                policy.consented.add(user)
            else:  # no, or withdrawn while the answer was read: a stale yes is not kept
                policy.consented.discard(user)

    async def _latest_consent(self, users: list[int]) -> dict[int, bool]:
        """Each user's latest answer to the voice-recording consent (no answer: no)."""
        async with self.sessions() as db:
            rows = (await db.execute(
                select(Consent.user_id, Consent.granted)
                .where(Consent.user_id.in_(users), Consent.purpose == VOICE_CONSENT)
                .order_by(Consent.at, Consent.id))).all()
        latest = dict.fromkeys(users, False)
        for user, granted in rows:
            latest[user] = bool(granted)  # the last answer stands
        return latest

    async def _enter(self, tour: int, sha: str, folder: Path) -> None:
        async with self.sessions.begin() as db:
            await db.execute(update(Tour).where(Tour.id == tour)
                             .values(recording_sha256=sha))
        self.store.forget(folder)
        log.info("tour %s: recording stored as %s", tour, sha)
        try:
            await self._recheck(tour, sha)
        except Exception:  # stored all the same; the next withdrawal takes the voice out
            log.exception("tour %s: recording %s stored, but checking it against the "
                          "consents failed", tour, sha)

    async def _recheck(self, tour: int, sha: str) -> None:
        """Takes out the voices of members who withdrew (or whose account went) while
        the tour was recorded, should word of it not have reached this process (Redis
        away) or have come as the recording was being stored."""
        sha = await self._current(tour) or sha  # another voice taken out meanwhile
        for user in await no_longer_kept(self.sessions, self._members(sha)):
            for _ in range(self.RECHECK_TRIES):
                new = await forget_in_tour(self.sessions, self.store, tour, sha, user)
                if new is not None:
                    sha = new
                    log.info("tour %s: the voice of user %s, no longer to be kept, taken "
                             "out", tour, user)
                    break
                current = await self._current(tour)
                if current is None or current == sha:
                    break  # nothing of theirs in it
                sha = current  # the row changed meanwhile (another voice taken out): again
            else:
                log.warning("tour %s: its recording kept changing; the voice of user %s is "
                            "taken out at the next withdrawal", tour, user)

    def _members(self, sha: str) -> list[int]:
        """The members whose voice the recording keeps, in the parts before a restart
        too."""
        members: set[int] = set()
        index = self.store.index(sha)
        for _ in range(16):  # as deep as ``without_voice_of`` goes
            if index is None:
                break
            members.update(v["user"] for v in index.get("voices", [])
                           if v.get("role") == "member" and isinstance(v.get("user"), int))
            previous = index.get("previous")
            index = self.store.index(previous) if isinstance(previous, str) else None
        return sorted(members)

    async def _current(self, tour: int) -> str | None:
        async with self.sessions() as db:
            return await db.scalar(select(Tour.recording_sha256).where(Tour.id == tour))

    async def recover(self) -> int:
        """Stores every recording no process is writing (cut off by a crash); returns how
        many were entered in their tours' rows."""
        count = 0
        for folder in self.store.abandoned():
            try:
                done = self.store.stored(folder)
                if done is None:
                    done = await asyncio.to_thread(self.store.store, folder,
                                                   await self._previous(folder))
                await self._enter(done[0], done[1], folder)
                count += 1
            except Exception:  # one damaged folder must not keep the server from starting
                log.exception("a cut-off recording in %s could not be stored", folder)
        return count

    async def _previous(self, folder: Path) -> str | None:
        tour = int(folder.name.split("-", 1)[0]) if folder.name[:1].isdigit() else 0
        async with self.sessions() as db:
            return await db.scalar(select(Tour.recording_sha256).where(Tour.id == tour))

    async def close(self) -> None:
        """Closes every recording still open and waits until they are stored."""
        for recorder in list(self.running.values()):
            recorder.close()
        for recorder in list(self.running.values()):
            await asyncio.to_thread(recorder.join, 30)
        await asyncio.sleep(0)  # the writers' hand-overs to this loop run
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        for tour in list(self._tour_locks):  # a recording that failed to store keeps none
            self._release(tour)
