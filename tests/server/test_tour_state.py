"""The tour state machine alone: no sockets, time given in each input."""

from __future__ import annotations

from protocol import tour as wire
from server.live.inputs import Command, Drop, Expire, Join, Leave, Resume, decode, encode
from server.live.outputs import GUIDES, Disconnect, Record, Send
from server.live.plan import SceneOutline, TourPlan
from server.live.state import ROSTER_LIMIT, TourState

PLAN = TourPlan(tour=7, guide=1, capacity=500,
                scenes={"hall": SceneOutline(("door", "table"), frozenset({"clock"}),
                                             {"q1": (3, 2)})},
                first_scene="hall")


def _script() -> list:  # type: ignore[type-arg]
    events = [Join(1, "导游", "t-guide", "c1", 0.0)]
    events += [Join(100 + i, f"党员{i}", f"t-{i}", f"c{100 + i}", 1.0 + i) for i in range(5)]
    events += [Command(0, wire.Start(), 10.0), Command(0, wire.StartQuiz(item="q1"), 11.0),
               Command(1, wire.Answer(item="q1", choice=2), 12.0),
               Command(2, wire.Answer(item="q1", choice=0), 12.5),
               Drop(3, "c102", 13.0), Command(0, wire.CloseQuiz(), 14.0),
               Command(0, wire.EndTour(), 15.0)]
    return events


def test_replicas_applying_the_same_log_agree_exactly() -> None:
    first, second = TourState(PLAN), TourState(PLAN)
    for event in _script():
        copied = decode(encode(event))  # as it travels through the shared log
        assert first.apply(event) == second.apply(copied)
    assert first.snapshot() == second.snapshot()


def test_lifecycle_and_records() -> None:
    state = TourState(PLAN)
    outputs = [o for e in _script() for o in state.apply(e)]
    records = [o for o in outputs if isinstance(o, Record)]
    kinds = [r.kind for r in records]
    assert kinds.count("joined") == 6 and kinds.count("quiz_answered") == 2
    answered = {r.user: r.detail["correct"] for r in records if r.kind == "quiz_answered"}
    assert answered == {100: True, 101: False}
    assert len({r.id for r in records}) == len(records)
    assert state.phase == "ended"
    # attendance ends for everyone still holding a seat, including the dropped member
    assert kinds.count("left") == 6
    after = state.apply(Command(1, wire.Chat(text="还在吗"), 16.0))
    assert after == []  # nobody is present any more


def test_illegal_transitions_are_errors_without_effect() -> None:
    state = TourState(PLAN)
    state.apply(Join(1, "导游", "t", "c", 0.0))
    for message in (wire.GoToStop(scene="hall", stop="door"), wire.StartQuiz(item="q1"),
                    wire.CloseQuiz()):
        (out,) = state.apply(Command(0, message, 1.0))
        assert isinstance(out, Send) and out.message.code == "illegal_state"
    state.apply(Command(0, wire.Start(), 2.0))
    (out,) = state.apply(Command(0, wire.Start(), 3.0))
    assert out.message.code == "illegal_state"
    (out,) = state.apply(Command(0, wire.GoToStop(scene="hall", stop="nowhere"), 4.0))
    assert out.message.code == "bad_message" and state.stop is None


def test_large_tours_tell_only_guides_of_arrivals() -> None:
    state = TourState(PLAN)
    for i in range(ROSTER_LIMIT + 2):
        outputs = state.apply(Join(1 if i == 0 else 1000 + i, "x", f"t{i}", f"c{i}", 0.0))
    joined = [o for o in outputs if isinstance(o, Send) and o.message.type == "joined"]
    assert [o.to for o in joined] == [GUIDES]


def _welcome_roster(outputs: list) -> dict[int, wire.Participant]:  # type: ignore[type-arg]
    (welcome,) = [o.message for o in outputs if isinstance(o, Send)
                  and isinstance(o.message, wire.Welcome)]
    return {p.seat: p for p in welcome.snapshot.participants}


def test_a_late_joiners_roster_shows_each_seat_as_it_is_now() -> None:
    state = TourState(PLAN)
    for event in _script()[:6]:
        state.apply(event)
    state.apply(Command(2, wire.RaiseHand(raised=True), 5.0))
    state.apply(Drop(3, "c102", 6.0))
    roster = _welcome_roster(state.apply(Join(200, "迟到者", "t-late", "c200", 7.0)))
    assert roster[2].hand and roster[2].present
    assert not roster[3].present and not roster[3].hand
    state.apply(Command(2, wire.RaiseHand(raised=False), 8.0))
    roster = _welcome_roster(state.apply(Join(201, "又一位", "t-later", "c201", 9.0)))
    assert not roster[2].hand and roster[6].name == "迟到者"


def test_joining_a_full_tour_builds_each_roster_entry_once(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Every join sends the whole roster; rebuilding each entry for each join made a
    # thousand joins cost a million entries.
    built = [0]
    original = wire.Participant

    class Counted(original):  # type: ignore[misc, valid-type]
        def __init__(self, **fields: object) -> None:
            built[0] += 1
            super().__init__(**fields)

    monkeypatch.setattr(wire, "Participant", Counted)
    state = TourState(PLAN)
    for user in range(300):
        state.apply(Join(user + 1, f"m{user}", f"t{user}", f"c{user}", float(user)))
    assert built[0] <= 2 * 300, built[0]


def _live_tour() -> TourState:
    state = TourState(PLAN)
    state.apply(Join(1, "导游", "t-guide", "c1", 0.0))
    state.apply(Join(100, "党员", "t-member", "c100", 1.0))
    state.apply(Command(0, wire.Start(), 2.0))
    return state


def test_a_tour_whose_guide_does_not_come_back_ends_itself() -> None:
    """Ended, the tour's attendance closes and its credits can be judged; left live
    without a guide it would be neither."""
    state = _live_tour()
    assert state.apply(Drop(0, "c1", 3.0))  # held: the guide may come back
    assert state.phase == "live"
    outputs = state.apply(Expire(0, "c1", 63.0))
    assert state.phase == "ended"
    ended = [o for o in outputs if isinstance(o, Record) and o.kind == "tour_ended"]
    assert len(ended) == 1 and ended[0].user == 1
    assert ended[0].detail["reason"] == "guides_gone"
    assert any(isinstance(o, Disconnect) and o.seat == 1 for o in outputs)
    left = {o.user for o in outputs if isinstance(o, Record) and o.kind == "left"}
    assert left == {1, 100}


def test_a_guide_back_in_time_or_a_co_guide_keeps_the_tour_going() -> None:
    state = _live_tour()
    state.apply(Drop(0, "c1", 3.0))
    state.apply(Resume("t-guide", 1, "c1b", 10.0))
    assert state.apply(Expire(0, "c1", 63.0)) == []  # the old connection's expiry
    assert state.phase == "live"
    state.apply(Command(0, wire.HandOver(seat=1, lead=False), 64.0))  # the member co-guides
    state.apply(Leave(0, "c1b", 65.0))
    assert state.phase == "live"
    state.apply(Leave(1, "c100", 66.0))  # the last one able to steer
    assert state.phase == "ended"


def test_a_guide_leaving_the_lobby_does_not_end_a_tour_not_begun() -> None:
    state = TourState(PLAN)
    state.apply(Join(1, "导游", "t-guide", "c1", 0.0))
    state.apply(Leave(0, "c1", 1.0))
    assert state.phase == "lobby"
