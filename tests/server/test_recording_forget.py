"""A member who withdraws consent (or whose account goes) has their voice taken out of
every recording that kept it, parts before a restart included; the guide's stays."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from protocol import tour as wire
from server.db.models import Consent, Tour
from server.keys import SESSIONS, SETTINGS
from server.recording import VOICE_CONSENT, TourRecorders, VoicePolicy
from server.recording.forget import forget_in_tour, forget_member_voice
from server.recording.recorder import FileTourRecorder
from server.recording.store import Recordings
from tests.server.conftest import World
from tests.server.live_support import publish, schedule
from tests.server.recording_support import decode, joined, opus_packets, rms, tone
from tools.build import BuildResult


def _part(store: Recordings, tour: int, member: int, previous: str | None) -> str:
    start = time.time() - 10
    folder = store.live / f"{tour}-{int(start * 1000)}"
    recorder = FileTourRecorder(folder, tour, start, VoicePolicy(True, {member}))
    recorder.event(start, joined(0, 1, "guide"))
    recorder.event(start, joined(1, member, "member"))
    for seat in (0, 1):
        for i, packet in enumerate(opus_packets(tone(0.5, 440 + 220 * seat))):
            recorder.voice(seat, start + i * 0.02, packet)
    recorder.close()
    recorder.join(20)
    return store.store(folder, previous)[1]


async def test_a_members_voice_is_taken_out_of_every_recording(
        world: World, samples: dict[str, BuildResult]) -> None:
    app = world.client.server.app
    version = await publish(world.client, samples["founding"], world.users["editor"])
    tour = await schedule(world.client, version, world.users["guide"], [world.branch_a])
    store = Recordings(app[SETTINGS].data_dir)
    member = world.users["member"]
    first = _part(store, tour, member, None)  # before a restart
    second = _part(store, tour, member, first)
    async with app[SESSIONS].begin() as db:
        (await db.get(Tour, tour)).recording_sha256 = second  # type: ignore[union-attr]
    before = store.index(second)
    assert before is not None and {v["user"] for v in before["voices"]} == {1, member}
    theirs = [store.path(v["sha256"], ".opus") for sha in (first, second)
              for v in store.index(sha)["voices"] if v["user"] == member]  # type: ignore[index]

    assert await forget_member_voice(app[SESSIONS], store, member) == 1
    async with app[SESSIONS]() as db:
        now = await db.scalar(select(Tour.recording_sha256).where(Tour.id == tour))
    assert now is not None and now != second
    after = store.index(now)
    assert after is not None and [v["user"] for v in after["voices"]] == [1]
    earlier = store.index(after["previous"])
    assert earlier is not None and [v["user"] for v in earlier["voices"]] == [1]
    assert all(path is not None and not path.exists() for path in theirs) and len(theirs) == 2
    guide = store.path(after["voices"][0]["sha256"], ".opus")
    assert guide is not None and len(decode(Path(guide))) > 0.4 * 48_000  # the guide stays
    assert store.index(second) is None  # the index naming the voice is gone
    assert await forget_member_voice(app[SESSIONS], store, member) == 0  # nothing left


async def _recorded(world: World, version: int) -> tuple[int, str]:
    """A tour whose stored recording kept member-a's voice: (tour id, index sha256)."""
    app = world.client.server.app
    tour = await schedule(world.client, version, world.users["guide"], [world.branch_a])
    sha = _part(Recordings(app[SETTINGS].data_dir), tour, world.users["member"], None)
    async with app[SESSIONS].begin() as db:
        (await db.get(Tour, tour)).recording_sha256 = sha  # type: ignore[union-attr]
    return tour, sha


async def _kept_users(world: World, tour: int) -> list[int]:
    listing = await world.client.get(f"/api/tours/{tour}/recording",
                                     headers=world.auth("admin"))
    assert listing.status == 200, await listing.text()
    app = world.client.server.app
    async with app[SESSIONS]() as db:
        sha = await db.scalar(select(Tour.recording_sha256).where(Tour.id == tour))
    index = Recordings(app[SETTINGS].data_dir).index(sha or "")
    assert index is not None
    return sorted(v["user"] for v in index["voices"])


async def test_withdrawing_consent_or_deleting_the_account_takes_the_voice_out(
        world: World, samples: dict[str, BuildResult]) -> None:
    version = await publish(world.client, samples["founding"], world.users["editor"])
    tour, _ = await _recorded(world, version)
    member = world.users["member"]
    assert await _kept_users(world, tour) == [1, member]
    granted = await world.client.post("/api/me/consent", headers=world.auth("member"), json={
        "purpose": "voice-recording", "text_version": "1", "granted": True})
    assert granted.status == 201
    assert await _kept_users(world, tour) == [1, member]  # a consent given changes nothing
    withdrawn = await world.client.post("/api/me/consent", headers=world.auth("member"), json={
        "purpose": "voice-recording", "text_version": "1", "granted": False})
    assert withdrawn.status == 201
    assert await _kept_users(world, tour) == [1]

    tour, _ = await _recorded(world, version)
    assert await _kept_users(world, tour) == [1, member]
    deleted = await world.client.delete(f"/api/users/{member}", headers=world.auth("admin"))
    assert deleted.status == 200, await deleted.text()
    assert await _kept_users(world, tour) == [1]


def test_a_running_recording_drops_the_voice_of_a_member_who_withdraws(
        tmp_path: Path) -> None:
    """What was written of their voice goes, nothing more of it is written, and the rest
    of the recording is stored and plays."""
    store = Recordings(tmp_path)
    start = time.time() - 10
    folder = store.live / "5-1"
    recorder = FileTourRecorder(folder, 5, start, VoicePolicy(True, {7, 8}))
    for seat, user, role in ((0, 7, "guide"), (1, 7, "member"), (2, 8, "member")):
        recorder.event(start, joined(seat, user, role))  # type: ignore[arg-type]
    packets = opus_packets(tone(1.0, 440))
    for i, packet in enumerate(packets):
        if i == 20:
            recorder.withdraw(7)  # a guide too elsewhere: that voice stays
        for seat in (0, 1, 2):
            recorder.voice(seat, start + i * 0.02, packet)
    recorder.close()
    recorder.join(20)
    assert sorted(p.name for p in folder.glob("*.opus")) == ["seat-0.opus", "seat-2.opus"]
    index = store.index(store.store(folder)[1])
    assert index is not None and [v["seat"] for v in index["voices"]] == [0, 2]
    guide = store.path(index["voices"][0]["sha256"], ".opus")
    assert guide is not None and len(decode(guide)) > 0.9 * 48_000


def test_a_withdrawal_goes_by_the_role_each_voice_file_was_opened_with(
        tmp_path: Path) -> None:
    """A member later made co-guide loses the voice spoken as a member; a co-guide made
    member keeps what was spoken as a guide; each index entry names the file's role."""
    store = Recordings(tmp_path)
    start = time.time() - 10
    folder = store.live / "5-2"
    recorder = FileTourRecorder(folder, 5, start, VoicePolicy(True, {7, 8}))
    recorder.event(start, joined(1, 7, "member"))
    recorder.event(start, joined(2, 8, "co_guide"))
    packets = opus_packets(tone(0.6, 440))
    for i, packet in enumerate(packets):
        if i == 10:
            recorder.event(start, wire.RoleChanged(seat=1, role="co_guide"))
            recorder.event(start, wire.RoleChanged(seat=2, role="member"))
        if i == 20:
            recorder.withdraw(7)
            recorder.withdraw(8)
        for seat in (1, 2):
            recorder.voice(seat, start + i * 0.02, packet)
    recorder.close()
    recorder.join(20)
    index = store.index(store.store(folder)[1])
    assert index is not None
    assert [(v["seat"], v["user"], v["role"]) for v in index["voices"]] == \
        [(1, 7, "co_guide"), (2, 8, "co_guide")]
    heard = {v["seat"]: decode(store.path(v["sha256"], ".opus"))  # type: ignore[arg-type]
             for v in index["voices"]}
    assert rms(heard[1], 0.05, 0.35) < 10  # seat 1: silent until after the withdrawal
    assert rms(heard[1], 0.45, 0.55) > 1000
    assert rms(heard[2], 0.05, 0.35) > 1000  # seat 2's guide-time voice stays


async def test_a_recording_stored_after_a_withdrawal_it_missed_keeps_no_voice_of_it(
        world: World, samples: dict[str, BuildResult]) -> None:
    """Word of the withdrawal never reached the recording process (Redis away): the
    recording is checked against the consents as it is stored."""
    app = world.client.server.app
    version = await publish(world.client, samples["founding"], world.users["editor"])
    tour = await schedule(world.client, version, world.users["guide"], [world.branch_a])
    member = world.users["member"]
    async with app[SESSIONS].begin() as db:
        db.add(Consent(user_id=member, purpose=VOICE_CONSENT, text_version="1", granted=True))
        db.add(Consent(user_id=member, purpose=VOICE_CONSENT, text_version="1",
                       granted=False))
    store = Recordings(app[SETTINGS].data_dir)
    start = time.time() - 10
    recorder = FileTourRecorder(store.live / f"{tour}-1", tour, start,
                                VoicePolicy(True, {member}))  # it still thinks yes
    recorder.event(start, joined(0, 1, "guide"))
    recorder.event(start, joined(1, member, "member"))
    for seat in (0, 1):
        for i, packet in enumerate(opus_packets(tone(0.3, 440))):
            recorder.voice(seat, start + i * 0.02, packet)
    recorder.close()
    recorder.join(20)
    assert await TourRecorders(app[SESSIONS], store).recover() == 1
    assert await _kept_users(world, tour) == [1]


async def test_a_withdrawal_racing_a_consent_lookup_or_another_withdrawal_still_counts(
        world: World, samples: dict[str, BuildResult], monkeypatch: pytest.MonkeyPatch
        ) -> None:
    app = world.client.server.app
    sessions = app[SESSIONS]
    store = Recordings(app[SETTINGS].data_dir)
    recorders = TourRecorders(sessions, store)
    member = world.users["member"]
    async with sessions.begin() as db:
        db.add(Consent(user_id=member, purpose=VOICE_CONSENT, text_version="1", granted=True))

    # a member joins (their consent is read, a yes) and withdraws while it is being read
    policy = VoicePolicy(True)
    looking, release = asyncio.Event(), asyncio.Event()
    lookup = recorders._latest_consent

    async def held(users: list[int]) -> dict[int, bool]:
        answer = await lookup(users)
        looking.set()
        await release.wait()
        return answer

    monkeypatch.setattr(recorders, "_latest_consent", held)
    joining = asyncio.ensure_future(recorders._consent(policy, [member]))
    await asyncio.wait_for(looking.wait(), 10)
    policy.withdraw(member)  # what the recorder's withdraw does
    release.set()
    await joining
    assert member not in policy.consented  # the yes read before the withdrawal is stale
    await recorders._consent(policy, [member])
    assert member in policy.consented  # a later lookup stands (consent given again)

    # two members' voices; one is taken out (the row changes) as the recording is checked
    version = await publish(world.client, samples["founding"], world.users["editor"])
    tour = await schedule(world.client, version, world.users["guide"], [world.branch_a])
    other = member + 1000  # no consent ever given
    start = time.time() - 10
    folder = store.live / f"{tour}-3"
    recorder = FileTourRecorder(folder, tour, start, VoicePolicy(True, {member, other}))
    for seat, user, role in ((0, 1, "guide"), (1, member, "member"), (2, other, "member")):
        recorder.event(start, joined(seat, user, role))  # type: ignore[arg-type]
        for i, packet in enumerate(opus_packets(tone(0.2, 440))):
            recorder.voice(seat, start + i * 0.02, packet)
    recorder.close()
    recorder.join(20)
    sha = store.store(folder)[1]
    async with sessions.begin() as db:
        (await db.get(Tour, tour)).recording_sha256 = sha  # type: ignore[union-attr]
        db.add(Consent(user_id=member, purpose=VOICE_CONSENT, text_version="1",
                       granted=False))
    assert await forget_in_tour(sessions, store, tour, sha, other) is not None
    await recorders._recheck(tour, sha)  # with the sha it stored, now out of date
    assert await _kept_users(world, tour) == [1]
