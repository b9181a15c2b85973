"""Live tours over real websockets: guide controls, quizzes, capacity, resume, facts, poses."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from engine.tour_client import TourClient, TourClosed
from protocol import tour as wire
from protocol.participation import HotspotViewed, stored_id
from protocol.tour_poses import Pose, Transform
from server.bootstrap import ensure_user
from server.keys import HUB, SESSIONS
from server.participation_store import facts_of
from tests.server.conftest import PASSWORD, World
from tests.server.live_support import participant, publish, schedule
from tools.build import BuildResult


async def _token(world: World, username: str) -> str:
    login = await world.client.post("/api/auth/login", json={"username": username,
                                                             "password": PASSWORD})
    response = await world.client.post("/api/auth/tokens", json={"label": "t"},
                                       cookies=login.cookies)
    world.client.session.cookie_jar.clear()
    return (await response.json())["token"]


@pytest.fixture
async def tour(world: World, samples: dict[str, BuildResult]) -> int:
    version = await publish(world.client, samples["founding"], world.users["editor"])
    return await schedule(world.client, version, world.users["guide"], [world.branch_a],
                          capacity=3)


async def _join(world: World, tour: int, who: str) -> TourClient:
    client = participant(world.client, tour, world.tokens[who])
    await client.connect()
    return client


def _outline(world: World, tour: int):  # type: ignore[no-untyped-def]
    plan = world.client.server.app[HUB].rooms[tour].state.plan
    return plan.first_scene, plan.scenes[plan.first_scene]


async def test_guide_steers_and_members_follow(world: World, tour: int) -> None:
    guide = await _join(world, tour, "guide")
    member = await _join(world, tour, "member")
    assert guide.welcome.role == "guide" and member.welcome.role == "member"
    assert [p.seat for p in member.welcome.snapshot.participants] == [0, 1]
    await member.send(wire.Start())
    refused = await member.expect("error")
    assert refused.code == "not_allowed" and refused.about == "start"
    await guide.send(wire.GoToStop(scene="first-congress-site", stop="x"))
    assert (await guide.expect("error")).code == "illegal_state"  # still in the lobby
    await guide.send(wire.Start())
    await member.expect("phase", phase="live")
    scene, outline = _outline(world, tour)
    await guide.send(wire.GoToStop(scene=scene, stop=outline.stops[1]))
    await member.expect("stop", stop=outline.stops[1])
    await guide.send(wire.Gather(countdown=3, at=(1.0, 2.0, 0.0)))
    gathering = await member.expect("gathering")
    assert gathering.at == (1.0, 2.0, 0.0) and gathering.deadline > member.welcome.server_time
    for message in (wire.Follow(on=True), wire.Lock(locked=True), wire.MuteAll(muted=True)):
        await guide.send(message)
    for name in ("follow", "locked", "muted"):
        await member.expect("setting", name=name, on=True)
    hotspot = sorted(outline.hotspots)[0]
    await guide.send(wire.HighlightHotspot(hotspot=hotspot))
    await member.expect("highlighted", hotspot=hotspot)
    await guide.send(wire.Laser(origin=(0, 0, 1.5), target=(1, 2, 1)))
    await member.expect("laser", target=(1.0, 2.0, 1.0))
    await member.send(wire.RaiseHand(raised=True))
    assert (await guide.expect("hand")).queue == [member.seat]
    await member.send(wire.Ask(text="会议为什么转移到南湖？"))
    assert (await guide.expect("question")).text == "会议为什么转移到南湖？"
    await guide.send(wire.LowerHand(seat=member.seat))
    assert (await member.expect("hand", raised=False)).queue == []
    # a late joiner sees the tour as it is now
    late = await _join(world, tour, "admin")
    snapshot = late.welcome.snapshot
    assert (snapshot.phase, snapshot.stop, snapshot.follow, snapshot.locked, snapshot.muted,
            snapshot.highlight) == ("live", outline.stops[1], True, True, True, hotspot)
    for client in (guide, member, late):
        await client.close()


async def test_quiz_round_scores_first_answers(world: World, tour: int) -> None:
    guide = await _join(world, tour, "guide")
    member = await _join(world, tour, "member")
    await guide.send(wire.Start())
    _scene, outline = _outline(world, tour)
    item, (choices, answer) = sorted(outline.quiz.items())[0]
    await guide.send(wire.StartQuiz(item="no-such-item"))
    assert (await guide.expect("error")).code == "bad_message"
    await guide.send(wire.StartQuiz(item=item))
    started = await member.expect("quiz")
    await guide.expect("quiz")  # the guide sees the same start
    assert started.quiz.item == item and started.quiz.choices == choices
    assert started.quiz.answer is None  # not revealed while open
    await member.send(wire.Answer(item=item, choice=answer))
    live = await guide.expect("quiz")
    assert live.quiz.counts[answer] == 1 and live.quiz.answered == 1 and live.quiz.eligible == 1
    await member.send(wire.Answer(item=item, choice=(answer + 1) % choices))
    assert (await member.expect("error")).message == "your first answer counts"
    await guide.send(wire.Answer(item=item, choice=0))
    assert (await guide.expect("error")).code == "not_allowed"
    await guide.send(wire.CloseQuiz())
    closed = await member.expect("quiz")
    assert closed.quiz.closed and closed.quiz.answer == answer
    sessions = world.client.server.app[SESSIONS]
    answered = [f for f in await facts_of(sessions, tour=tour) if f.kind == "quiz_answered"]
    assert len(answered) == 1 and answered[0].detail["correct"] is True
    assert answered[0].user_id == world.users["member"]
    await guide.close()
    await member.close()


async def test_capacity_makes_spectators_who_do_not_count(world: World, tour: int) -> None:
    sessions = world.client.server.app[SESSIONS]
    names = [f"member-{i}" for i in range(4)]
    for name in names:
        await ensure_user(sessions, name, PASSWORD, "member", world.branch_a)
    tokens = [await _token(world, name) for name in names]
    clients = [participant(world.client, tour, t) for t in tokens]
    welcomes = await asyncio.gather(*(c.connect() for c in clients))
    roles = sorted(w.role for w in welcomes)
    assert roles == ["member", "member", "member", "spectator"]  # capacity 3, joined at once
    spectator = clients[[w.role for w in welcomes].index("spectator")]
    await spectator.send(wire.RaiseHand(raised=True))
    assert (await spectator.expect("error")).code == "not_allowed"
    joined = [f for f in await facts_of(sessions, tour=tour) if f.kind == "joined"]
    assert len(joined) == 3
    for client in clients:
        await client.close()


async def test_a_dropped_member_resumes_the_same_seat(world: World, tour: int) -> None:
    guide = await _join(world, tour, "guide")
    member = await _join(world, tour, "member")
    seat, token = member.seat, member.welcome.resume
    await member.drop()
    assert (await guide.expect("left", seat=seat)).reason == "dropped"
    again = participant(world.client, tour, world.tokens["member"])
    welcome = await again.connect(resume=token)
    assert welcome.seat == seat and welcome.role == "member"
    await guide.expect("returned", seat=seat)
    # someone else's resume token is refused
    thief = participant(world.client, tour, world.tokens["admin"])
    with pytest.raises(TourClosed) as refused:
        await thief.connect(resume=token)
    assert refused.value.code == 1008 and refused.value.error.code == "unknown"
    kinds = [f.kind for f in await facts_of(world.client.server.app[SESSIONS], tour=tour)
             if f.user_id == world.users["member"]]
    assert kinds == ["joined"]  # attendance continuous through the drop
    await again.close()
    await guide.expect("left", seat=seat, reason="left")
    await guide.close()


async def test_a_seat_not_resumed_in_time_is_given_up(world: World, tour: int) -> None:
    world.client.server.app[HUB].hold_seconds = 0.3
    guide = await _join(world, tour, "guide")
    member = await _join(world, tour, "member")
    await member.drop()
    await guide.expect("left", seat=member.seat, reason="dropped")
    await guide.expect("left", seat=member.seat, reason="expired", timeout=5)
    kinds = [f.kind for f in await facts_of(world.client.server.app[SESSIONS], tour=tour)
             if f.user_id == world.users["member"]]
    assert kinds == ["joined", "left"]
    await guide.close()


async def test_facts_are_acknowledged_after_storage_and_stored_once(world: World,
                                                                    tour: int) -> None:
    member = await _join(world, tour, "member")
    fact = HotspotViewed(id=uuid.uuid4(), at=time.time(), session=uuid.uuid4(),
                         exhibit="founding",
                         exhibit_version="1.0.0", scene="first-congress-site", hotspot="table",
                         dwell_seconds=4.5)
    for _ in range(2):
        await member.send(wire.Fact(fact=fact))
        await member.expect("ack", id=str(fact.id))
    stored = [f for f in await facts_of(world.client.server.app[SESSIONS], tour=tour)
              if f.detail.get("fact", {}).get("id") == str(fact.id)]
    assert len(stored) == 1 and stored[0].id == stored_id(world.users["member"], fact.id)
    assert len(stored) == 1 and stored[0].detail["fact"]["dwell_seconds"] == 4.5
    await member.close()


async def test_poses_reach_the_others_in_frames(world: World, tour: int) -> None:
    guide = await _join(world, tour, "guide")
    member = await _join(world, tour, "member")
    pose = Pose(head=Transform((1.25, 1.6, -3.5), (0.0, 0.7071, 0.0, 0.7071)),
                right=Transform((1.5, 1.2, -3.2)))
    seq = await member.send_pose(pose)
    async with asyncio.timeout(3):
        while True:
            server_time, entries = await guide.frames.get()
            found = dict(entries).get(member.seat)
            if found is not None and found.seq == seq:
                break
    assert found.head.position == pytest.approx((1.25, 1.6, -3.5), abs=0.01)
    assert found.right is not None and found.left is None
    assert abs(server_time - time.time()) < 2  # the server stamps frames with its clock
    await guide.close()
    await member.close()


async def test_ending_the_tour_closes_everyone_and_ends_attendance(world: World,
                                                                   tour: int) -> None:
    guide = await _join(world, tour, "guide")
    member = await _join(world, tour, "member")
    await guide.send(wire.Start())
    await guide.send(wire.EndTour())
    await member.expect("phase", phase="ended")
    assert (await member.closed()).code == 1000
    kinds = [f.kind for f in await facts_of(world.client.server.app[SESSIONS], tour=tour)]
    assert kinds.count("left") == 2 and "tour_ended" in kinds
    late = participant(world.client, tour, world.tokens["member_b"])
    with pytest.raises(TourClosed):
        await late.connect()


async def test_an_ended_tour_is_let_go_and_stays_ended(world: World, tour: int) -> None:
    """An ended tour's room (its tasks, its pose tick, its log reader) does not last as
    long as the process; joining afterwards is refused as before."""
    hub = world.client.server.app[HUB]
    hub.retire_seconds = 0.2
    guide = await _join(world, tour, "guide")
    room = hub.rooms[tour]
    await guide.send(wire.Start())
    await guide.send(wire.EndTour())
    assert (await guide.closed()).code == 1000
    async with asyncio.timeout(10):
        while tour in hub.rooms:  # noqa: ASYNC110  (waits for the hub to drop the room)
            await asyncio.sleep(0.05)
    assert all(task.done() for task in room._tasks)
    late = participant(world.client, tour, world.tokens["member"])
    with pytest.raises(TourClosed) as refused:
        await late.connect()
    assert refused.value.error is not None and refused.value.error.code == "illegal_state"
    assert tour not in hub.rooms


async def test_removed_members_cannot_come_back(world: World, tour: int) -> None:
    guide = await _join(world, tour, "guide")
    member = await _join(world, tour, "member")
    await guide.send(wire.Remove(seat=member.seat))
    assert (await member.closed()).code == 4003
    again = participant(world.client, tour, world.tokens["member"])
    with pytest.raises(TourClosed) as refused:
        await again.connect()
    assert refused.value.error.code == "not_allowed"
    await guide.close()


async def test_hand_over_moves_the_controls(world: World, tour: int) -> None:
    guide = await _join(world, tour, "guide")
    member = await _join(world, tour, "member")
    await guide.send(wire.HandOver(seat=member.seat, lead=True))
    await member.expect("role", seat=member.seat, role="guide")
    await guide.expect("role", seat=guide.seat, role="co_guide")
    await member.send(wire.Start())
    await guide.expect("phase", phase="live")
    await guide.close()
    await member.close()


async def test_who_may_join(world: World, tour: int) -> None:
    outsider = participant(world.client, tour, world.tokens["member_b"])
    with pytest.raises(TourClosed) as refused:
        await outsider.connect()
    assert refused.value.code == 1008 and "not invited" in refused.value.reason
    stranger = participant(world.client, tour, "not-a-token")
    with pytest.raises(TourClosed) as refused:
        await stranger.connect()
    assert refused.value.error.code == "auth"
    nowhere = participant(world.client, tour + 99, world.tokens["member"])
    with pytest.raises(TourClosed) as refused:
        await nowhere.connect()
    assert refused.value.error.code == "unknown"

