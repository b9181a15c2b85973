"""What each guide command and member action does to a tour.

Each handler takes the tour, the sender's seat, the validated message and the time, changes
the tour and returns the outputs. Authorization (guide or not) is checked before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from protocol import tour as wire
from server.live.floor import lose_floor
from server.live.outputs import ALL, GUIDES, Disconnect, Output, Send, error
from server.live.quiz import OpenQuiz
from server.live.seat import Seat

if TYPE_CHECKING:
    from server.live.state import TourState

Handler = Callable[["TourState", Seat, Any, float], list[Output]]


def _need_live(state: TourState, seat: Seat, message: Any) -> list[Output] | None:
    if state.phase != "live":
        return [Send(seat.seat, error("illegal_state",
                                      f"`{message.type}` needs a live tour; send `start` first",
                                      message.type))]
    return None


def _start(state: TourState, seat: Seat, message: wire.Start, now: float) -> list[Output]:
    if state.phase != "lobby":
        return [Send(seat.seat, error("illegal_state", "the tour has already started", "start"))]
    state.phase = "live"
    return [Send(ALL, wire.PhaseChanged(phase="live")), state.record("tour_started", seat, now)]


def _goto(state: TourState, seat: Seat, message: wire.GoToStop, now: float) -> list[Output]:
    refused = _need_live(state, seat, message)
    if refused:
        return refused
    outline = state.plan.scenes.get(message.scene)
    if outline is None or message.stop not in outline.stops:
        return [Send(seat.seat, error("bad_message", f"scene {message.scene!r} has no route "
                                      f"stop {message.stop!r}", message.type))]
    state.scene, state.stop, state.highlight = message.scene, message.stop, None
    out: list[Output] = [Send(ALL, wire.StopChanged(scene=message.scene, stop=message.stop))]
    out += [state.record("stop_reached", member, now, scene=message.scene, stop=message.stop)
            for member in state.present_members()]
    return out


def _gather(state: TourState, seat: Seat, message: wire.Gather, now: float) -> list[Output]:
    return _need_live(state, seat, message) or [
        Send(ALL, wire.Gathering(at=message.at, deadline=now + message.countdown))]


def _setting(name: str) -> Handler:
    def handle(state: TourState, seat: Seat, message: Any, now: float) -> list[Output]:
        value = bool(getattr(message, "on" if name == "follow" else name))
        setattr(state, name, value)
        return [Send(ALL, wire.Setting(name=name, on=value))]  # type: ignore[arg-type]
    return handle


def _highlight(state: TourState, seat: Seat, message: wire.HighlightHotspot,
               now: float) -> list[Output]:
    refused = _need_live(state, seat, message)
    if refused:
        return refused
    hotspots = state.plan.scenes[state.scene].hotspots
    if message.hotspot is not None and message.hotspot not in hotspots:
        return [Send(seat.seat, error("bad_message", f"scene {state.scene!r} has no hotspot "
                                      f"{message.hotspot!r}", message.type))]
    state.highlight = message.hotspot
    return [Send(ALL, wire.Highlighted(hotspot=message.hotspot))]


def _laser(state: TourState, seat: Seat, message: wire.Laser, now: float) -> list[Output]:
    refused = _need_live(state, seat, message)
    if refused:
        return refused
    state.laser = None if message.origin is None else (message.origin, message.target)
    return [Send(ALL, wire.LaserMoved(origin=message.origin, target=message.target))]


def _quiz_start(state: TourState, seat: Seat, message: wire.StartQuiz,
                now: float) -> list[Output]:
    refused = _need_live(state, seat, message)
    if refused:
        return refused
    if state.quiz is not None and not state.quiz.closed:
        return [Send(seat.seat, error("illegal_state", f"quiz item {state.quiz.item!r} is still "
                                      "open; close it first", message.type))]
    item = state.plan.scenes[state.scene].quiz.get(message.item)
    if item is None:
        return [Send(seat.seat, error("bad_message", f"scene {state.scene!r} has no quiz item "
                                      f"{message.item!r}", message.type))]
    state.quiz = OpenQuiz(message.item, choices=item[0], answer=item[1])
    return [Send(ALL, wire.QuizUpdate(quiz=state.quiz_state())),
            state.record("quiz_started", seat, now, scene=state.scene, item=message.item)]


def _quiz_close(state: TourState, seat: Seat, message: wire.CloseQuiz,
                now: float) -> list[Output]:
    if state.quiz is None or state.quiz.closed:
        return [Send(seat.seat, error("illegal_state", "no quiz item is open", message.type))]
    state.quiz.closed = True
    return [Send(ALL, wire.QuizUpdate(quiz=state.quiz_state()))]


def _end(state: TourState, seat: Seat, message: wire.EndTour, now: float) -> list[Output]:
    return end_tour(state, seat, now)


def end_tour(state: TourState, seat: Seat, now: float, **detail: Any) -> list[Output]:
    """Ends the tour in ``seat``'s name: everyone's attendance ends, and the ``tour_ended``
    fact lets the credits be judged."""
    state.phase = "ended"
    out: list[Output] = [Send(ALL, wire.PhaseChanged(phase="ended")),
                         state.record("tour_ended", seat, now, **detail)]
    for other in list(state.seats.values()):
        if state.occupied(other):
            out += state.release(other, now, "ended", announce=False)
            out.append(Disconnect(other.seat, 1000, "the tour has ended"))
    return out


def _target(state: TourState, seat: Seat, message: Any) -> Seat | list[Output]:
    target = state.seats.get(message.seat)
    if target is None or target.seat == seat.seat:
        return [Send(seat.seat, error("bad_message", f"there is no other participant in seat "
                                      f"{message.seat}", message.type))]
    return target


def _remove(state: TourState, seat: Seat, message: wire.Remove, now: float) -> list[Output]:
    target = _target(state, seat, message)
    if isinstance(target, list):
        return target
    if target.role == "guide":
        return [Send(seat.seat, error("not_allowed", "the lead guide cannot be removed",
                                      message.type))]
    state.removed.add(target.user)
    was_present = target.present
    out = state.release(target, now, "removed")
    if was_present:
        out.append(Disconnect(target.seat, 4003, "the guide removed you from this tour"))
    return out


def _hand_over(state: TourState, seat: Seat, message: wire.HandOver, now: float) -> list[Output]:
    target = _target(state, seat, message)
    if isinstance(target, list):
        return target
    if not target.present or target.role == "spectator":
        return [Send(seat.seat, error("bad_message", "hand over to a present member or co-guide",
                                      message.type))]
    if message.lead and seat.role != "guide":
        return [Send(seat.seat, error("not_allowed", "only the lead guide may hand over the lead",
                                      message.type))]
    out: list[Output] = lose_floor(state, target)  # a guide speaks without it
    if target.hand:
        out += state.set_hand(target, False, now)
    target.role = "guide" if message.lead else "co_guide"
    state.guides.add(target.seat)
    out.append(Send(ALL, wire.RoleChanged(seat=target.seat, role=target.role)))
    if message.lead:
        seat.role = "co_guide"
        out.append(Send(ALL, wire.RoleChanged(seat=seat.seat, role="co_guide")))
    return out


def _lower_hand(state: TourState, seat: Seat, message: wire.LowerHand,
                now: float) -> list[Output]:
    target = _target(state, seat, message)
    return target if isinstance(target, list) else state.set_hand(target, False, now)


def _hand(state: TourState, seat: Seat, message: wire.RaiseHand, now: float) -> list[Output]:
    return state.set_hand(seat, message.raised, now)


def _ask(state: TourState, seat: Seat, message: wire.Ask, now: float) -> list[Output]:
    question = wire.Question(seat=seat.seat, text=message.text)
    return [Send(GUIDES, question), Send(seat.seat, question),
            state.record("question_asked", seat, now, text=message.text)]


def _react(state: TourState, seat: Seat, message: wire.React, now: float) -> list[Output]:
    return [Send(ALL, wire.Reaction(seat=seat.seat, reaction=message.reaction))]


def _chat(state: TourState, seat: Seat, message: wire.Chat, now: float) -> list[Output]:
    return [Send(ALL, wire.ChatLine(seat=seat.seat, text=message.text))]


def _answer(state: TourState, seat: Seat, message: wire.Answer, now: float) -> list[Output]:
    quiz = state.quiz
    if seat.role != "member":
        return [Send(seat.seat, error("not_allowed", "guides do not answer quizzes",
                                      message.type))]
    if quiz is None or quiz.closed or quiz.item != message.item:
        return [Send(seat.seat, error("illegal_state", f"quiz item {message.item!r} is not open",
                                      message.type))]
    if message.choice >= quiz.choices:
        return [Send(seat.seat, error("bad_message", f"choose 0 to {quiz.choices - 1}",
                                      message.type))]
    if seat.seat in quiz.answers:
        return [Send(seat.seat, error("illegal_state", "your first answer counts",
                                      message.type))]
    quiz.answers[seat.seat] = message.choice
    live = wire.QuizUpdate(quiz=state.quiz_state())
    return [Send(GUIDES, live), Send(seat.seat, live),
            state.record("quiz_answered", seat, now, scene=state.scene, item=quiz.item,
                         response=message.choice, correct=message.choice == quiz.answer)]


GUIDE_HANDLERS: dict[type, Handler] = {
    wire.Start: _start, wire.GoToStop: _goto, wire.Gather: _gather,
    wire.Follow: _setting("follow"), wire.Lock: _setting("locked"),
    wire.MuteAll: _setting("muted"), wire.HighlightHotspot: _highlight, wire.Laser: _laser,
    wire.StartQuiz: _quiz_start, wire.CloseQuiz: _quiz_close, wire.EndTour: _end,
    wire.Remove: _remove, wire.HandOver: _hand_over, wire.LowerHand: _lower_hand,
}
MEMBER_HANDLERS: dict[type, Handler] = {
    wire.RaiseHand: _hand, wire.Ask: _ask, wire.React: _react, wire.Chat: _chat,
    wire.Answer: _answer,
}
