"""One tour as this server process runs it: the replicated state, the local connections,
the pose tick.

Inputs reach the tour only through the fan-out's ordered log, including this process's
own, and one applier task applies them in order. The facts they produce are committed in
one transaction per batch before anything that depends on them (an ``ack``) is sent.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from protocol import tour as wire
from protocol.tour_poses import ENTRY_SIZE, POSE_KIND, entry_xz
from protocol.voice import ENTRY_HEADER, VoiceError, VoicePacket, relay_entry
from server.background import stop_all
from server.failures import Forbidden
from server.live.connection import Connection
from server.live.floor import GUIDE_ROLES, why_silent
from server.live.inputs import Command, Drop, Expire, Input, Join, Resume
from server.live.outputs import (
    ALL,
    GUIDES,
    Disconnect,
    Output,
    Record,
    Seated,
    Send,
    error,
)
from server.live.plan import TourPlan
from server.live.poses import InterestSettings, PoseTable
from server.live.recorder_port import GuardedRecorder
from server.live.state import TourState
from server.live.talk import TALK_SECONDS, LocalTalk, SharedTalk, Verdict
from server.live.voice import TickVoice, VoiceRelay, split_entries
from server.live.voice_metrics import VOICE_DROPPED, VOICE_RELAYED
from server.live.wsframe import binary_frame
from server.metrics import TICK_LATENESS, TICK_SECONDS, TICKS_LOST
from server.participation_store import row

if TYPE_CHECKING:
    from server.live.hub import Hub

log = logging.getLogger("redhall.tours")
WATCH_SECONDS = 3.0


class LiveTour:
    def __init__(self, hub: Hub, plan: TourPlan, tick_hz: float = 20.0,
                 interest: InterestSettings | None = None, relay_hz: float = 100.0) -> None:
        self.hub = hub
        self.tour_id = plan.tour
        self.state = TourState(plan)
        self.conns: dict[int, Connection] = {}
        self.pending: dict[str, tuple[Connection, asyncio.Future[int]]] = {}
        self.inbox: asyncio.Queue[tuple[str, Input]] = asyncio.Queue()
        self.poses = PoseTable(interest or InterestSettings())
        self.outgoing: list[bytes] = []  # this process's new pose entries, for other nodes
        self.voices = VoiceRelay()
        self.outgoing_voice: list[bytes] = []  # this process's voice entries, for other nodes
        self.talk: LocalTalk | SharedTalk[_Held] = LocalTalk()  # the open floor's speakers
        if hub.fanout.shared:
            self.talk = SharedTalk(self._claim_talk, self._talk_answered, self._release_talk)
        self.recorder = GuardedRecorder.open(hub.recorder_factory, plan)
        self.tick_seconds = 1.0 / tick_hz
        self.relay_seconds = 1.0 / relay_hz
        self.expiries: dict[int, asyncio.TimerHandle] = {}
        self._busy = False
        self.conn_nodes: dict[str, str] = {}  # connection -> the process holding it
        self._adopted: set[str] = set()
        self._tasks = [asyncio.create_task(self._apply_loop()),
                       asyncio.create_task(self._tick_loop())]
        self.shared = hub.fanout.shared
        if self.shared:
            self._tasks += [asyncio.create_task(self._watch_nodes()),
                            asyncio.create_task(self._relay_loop())]

    # -- inputs --------------------------------------------------------------------------

    async def submit(self, event: Input) -> None:
        await self.hub.fanout.append(self, event)

    async def join(self, conn: Connection, event: Input, ticket: str) -> int:
        """Submits a join or resume and waits for the seat it gets (or the refusal)."""
        seated: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.pending[ticket] = (conn, seated)
        try:
            await self.submit(event)
            return await asyncio.wait_for(seated, 15)
        finally:
            self.pending.pop(ticket, None)

    async def _apply_loop(self) -> None:
        while True:
            batch = [await self.inbox.get()]
            while not self.inbox.empty():
                batch.append(self.inbox.get_nowait())
            self._busy = True
            try:
                await self._apply(batch)
            except Exception:  # one bad batch must not end the tour for everyone
                log.exception("tour %s: applying %d inputs failed", self.tour_id, len(batch))
            finally:
                self._busy = False

    async def _apply(self, batch: list[tuple[str, Input]]) -> None:
        """Applies a batch of inputs, stores the records they make in one transaction, then
        carries out their effects. Each input stands alone: one that fails to apply, or
        whose records fail to store, is refused to its sender, and the others in the batch
        are still applied, stored and acknowledged."""
        node = self.hub.node
        was_over = self.state.phase == "ended"
        applied: list[_Applied] = []
        for origin, event in batch:
            if isinstance(event, (Join, Resume)):
                self.conn_nodes[event.conn] = origin
            try:
                outputs = self.state.apply(event)
            except Exception:
                log.exception("tour %s: applying a %s failed", self.tour_id,
                              type(event).__name__)
                applied.append(_Applied(event, [], _refusal(event, "could not be applied")))
                continue
            one = _Applied(event, [], [o for o in outputs if not isinstance(o, Record)])
            applied.append(one)
            if origin == node:
                try:
                    one.rows = [row(o.id, o.user, o.kind, o.at, o.detail, tour=self.tour_id)
                                for o in outputs if isinstance(o, Record)]
                except (ValueError, OverflowError, OSError):
                    log.exception("tour %s: a record of a %s cannot be stored", self.tour_id,
                                  type(event).__name__)
                    one.unstored()
            if isinstance(event, Drop) and origin == node:
                seat = self.state.seats.get(event.seat)
                if seat is not None and not seat.present and seat.conn == event.conn:
                    self._hold(event.seat, event.conn)
        await self._store(applied)  # acknowledged only after this commit
        for one in applied:
            try:
                self._record(one)
                self._carry_out(one.effects)
            except Exception:
                log.exception("tour %s: carrying out a %s failed", self.tour_id,
                              type(one.event).__name__)
        if self.state.phase == "ended" and not was_over:
            self.hub.ended(self)

    async def _store(self, applied: list[_Applied]) -> None:
        """Stores every input's records in one transaction; if that fails, each input's on
        its own, so one record that cannot be stored takes no other with it."""
        rows = [r for one in applied for r in one.rows]
        if not rows:
            return
        try:
            await self.hub.store_rows(rows)
            return
        except Exception as exc:  # noqa: BLE001  (any database failure: try each apart)
            log.warning("tour %s: storing %d records together failed (%s); storing each "
                        "input's apart", self.tour_id, len(rows), exc)
        for one in applied:
            if not one.rows:
                continue
            try:
                await self.hub.store_rows(one.rows)
            except Exception:  # refused to its sender, logged
                log.exception("tour %s: storing the records of a %s failed", self.tour_id,
                              type(one.event).__name__)
                one.unstored()

    async def _watch_nodes(self) -> None:
        """Participants of a process that died without closing their connections are
        dropped by the processes that remain; their seats are then held and expire as
        after any drop, so attendance ends instead of lasting forever."""
        while True:
            await asyncio.sleep(WATCH_SECONDS)
            try:
                await self._drop_orphans()
            except Exception as exc:  # noqa: BLE001  Redis away for a moment: look again next time
                log.warning("tour %s: checking other processes failed: %s", self.tour_id, exc)

    async def _drop_orphans(self) -> None:
        me = self.hub.node
        elsewhere = [seat for seat in self.state.seats.values()
                     if not seat.released and seat.conn not in self._adopted
                     and self.conn_nodes.get(seat.conn, me) != me]
        if not elsewhere:
            return
        gone = await self.hub.fanout.dead({self.conn_nodes[s.conn] for s in elsewhere})
        for seat in elsewhere:
            if self.conn_nodes[seat.conn] in gone:
                self._adopted.add(seat.conn)  # every survivor may do this; repeats are no-ops
                await self.submit(Drop(seat.seat, seat.conn, time.time()))

    def _hold(self, seat: int, conn: str) -> None:
        loop = asyncio.get_running_loop()

        def expire() -> None:
            self.expiries.pop(seat, None)
            # a timer callback: the expiry is queued, not awaited
            asyncio.ensure_future(self.submit(Expire(seat, conn, time.time())))  # noqa: RUF006
        self.expiries[seat] = loop.call_later(self.state.plan.hold_seconds, expire)

    def _record(self, one: _Applied) -> None:
        if self.recorder.active:
            for effect in one.effects:
                if isinstance(effect, Send) and effect.to in (ALL, GUIDES):
                    self.recorder.event(one.event.now, effect.message)

    def _carry_out(self, effects: list[Output]) -> None:
        for effect in effects:
            if isinstance(effect, Send):
                self._send(effect)
            elif isinstance(effect, Seated):
                self._seat(effect)
            elif isinstance(effect, Disconnect):
                conn = self.conns.pop(effect.seat, None)
                self.poses.forget(effect.seat)
                if conn is not None:
                    conn.close(effect.code, effect.reason)

    def _seat(self, seated: Seated) -> None:
        handle = self.expiries.pop(seated.seat, None)
        if handle:
            handle.cancel()
        waiting = self.pending.get(seated.ticket)
        if waiting is None:
            return  # a seat for a connection on another server process
        conn, future = waiting
        self.conns[seated.seat] = conn
        if not future.done():
            future.set_result(seated.seat)

    def _send(self, send: Send) -> None:
        text = send.message.model_dump_json()
        if send.to == ALL:
            for conn in self.conns.values():
                conn.send(text)
        elif send.to == GUIDES:
            for seat in self.state.guide_seats():
                if seat in self.conns:
                    self.conns[seat].send(text)
        elif isinstance(send.to, int):
            if send.to in self.conns:
                self.conns[send.to].send(text)
        elif send.to in self.pending:  # a refusal before any seat was given
            conn, future = self.pending[send.to]
            if not isinstance(send.message, wire.Error):
                conn.send(text)
            elif not future.done():  # the handler sends the error with its close
                future.set_exception(Refused(send.message))

    # -- poses ---------------------------------------------------------------------------

    def pose(self, seat: int, message: bytes) -> None:
        entry = self.poses.update(seat, message)
        if self.shared:
            self.outgoing.append(entry)
        if self.recorder.active and self.state.seats[seat].role in GUIDE_ROLES:
            self.recorder.pose(seat, time.time(), message)

    def remote_poses(self, blob: bytes) -> None:
        for offset in range(0, len(blob) - ENTRY_SIZE + 1, ENTRY_SIZE):
            entry = blob[offset:offset + ENTRY_SIZE]
            seat = int.from_bytes(entry[:2], "little")
            if seat not in self.conns:  # our own come back too; those are already in
                self.poses.merge(seat, entry, entry_xz(entry))
                known = self.state.seats.get(seat)
                if self.recorder.active and known is not None and known.role in GUIDE_ROLES:
                    self.recorder.pose(seat, time.time(), bytes([POSE_KIND]) + entry[2:])

    # -- voice ---------------------------------------------------------------------------

    def voice(self, seat: int, conn: Connection, message: bytes, packet: VoicePacket,
              tell: Callable[[str], None] | None = None) -> str | Verdict | None:
        """Relays a checked voice message from a local connection on the next tick; or
        drops it and says why (the seat may not speak now); or holds it while the open
        floor's claim is asked (``Verdict.HELD``; a refusal then goes to ``tell``)."""
        known = self.state.seats.get(seat)
        if known is None or self.conns.get(seat) is not conn:
            return None  # replaced or let go meanwhile: its packets go nowhere
        why = why_silent(self.state, known)
        if why is not None:
            VOICE_DROPPED.labels("not_allowed").inc()
            return why
        entry = relay_entry(seat, message)
        if known.role == "member" and seat not in self.state.floor:  # the open floor
            verdict = self.talk.admit(seat, time.monotonic(), self.state.floor,
                                      _Held(conn, entry, packet, tell))
            if verdict is Verdict.HELD:
                return verdict
            if verdict is Verdict.BUSY:
                VOICE_DROPPED.labels("floor_busy").inc()
                return FLOOR_BUSY
        self._relay(seat, entry, packet)
        return None

    def _relay(self, seat: int, entry: bytes, packet: VoicePacket) -> None:
        if self.voices.add(seat, entry):
            VOICE_RELAYED.labels("local").inc()
            if self.shared:
                self.outgoing_voice.append(entry)
            self.recorder.voice(seat, packet.capture, packet.payload)

    async def _claim_talk(self, seat: int, holders: list[int]) -> bool:
        return await self.hub.fanout.claim_talk(self.tour_id, seat, holders, TALK_SECONDS)

    async def _release_talk(self, seat: int) -> None:
        await self.hub.fanout.release_talk(self.tour_id, seat)

    def _talk_answered(self, seat: int, granted: bool, held: list[_Held]) -> None:
        """The open floor's claim for ``seat`` is answered: its held packets are relayed,
        if it still may speak, or dropped."""
        known = self.state.seats.get(seat)
        speaks = granted and known is not None and why_silent(self.state, known) is None
        if granted and not speaks and isinstance(self.talk, SharedTalk):
            self.talk.release(seat)  # silenced meanwhile: the place goes to another member
        told = False
        for one in held:
            if speaks and self.conns.get(seat) is one.conn:
                self._relay(seat, one.entry, one.packet)
                continue
            VOICE_DROPPED.labels("not_allowed" if granted else "floor_busy").inc()
            if not granted and not told and one.tell is not None:
                told = True
                one.tell(FLOOR_BUSY)

    def voice_withdrawn(self, user: int) -> None:
        """``user`` withdrew their consent to keep their voice (or their account went):
        this process's recording of the tour keeps no more of it, and drops what it kept."""
        self.recorder.withdraw(user)

    def remote_voice(self, blob: bytes) -> None:
        """Voice entries another server process accepted (it checked the speaker)."""
        try:
            for seat, entry in split_entries(blob):
                if seat in self.conns:
                    continue  # not ours to relay again
                if self.voices.add(seat, entry):
                    VOICE_RELAYED.labels("remote").inc()
                    if self.recorder.active:
                        capture = ENTRY_HEADER.unpack_from(entry)[2]
                        self.recorder.voice(seat, capture, entry[ENTRY_HEADER.size:])
        except VoiceError as exc:
            VOICE_DROPPED.labels("malformed").inc()
            log.warning("tour %s: voice from another process cannot be read: %s",
                        self.tour_id, exc)

    async def _relay_loop(self) -> None:
        """Sends this process's new poses to the others every relay interval, not once a
        tick: a pose crossing processes then waits for the receiving process's tick only,
        not for the sender's as well."""
        while True:
            await asyncio.sleep(self.relay_seconds)
            if self.outgoing:
                blob, self.outgoing = b"".join(self.outgoing), []
                await self.hub.fanout.publish_poses(self, blob)
            if self.outgoing_voice:
                blob, self.outgoing_voice = b"".join(self.outgoing_voice), []
                await self.hub.fanout.publish_voice(self, blob)

    async def _tick_loop(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time()
        while True:
            deadline += self.tick_seconds
            await asyncio.sleep(max(0.0, deadline - loop.time()))
            started = loop.time()
            late = started - deadline
            TICK_LATENESS.observe(late)
            if late > self.tick_seconds:
                TICKS_LOST.inc(int(late / self.tick_seconds))
                deadline = started  # fell behind: skip rather than burst
            try:
                self.tick()
            except Exception:
                log.exception("tour %s: pose tick failed", self.tour_id)
            TICK_SECONDS.observe(loop.time() - started)

    def tick(self) -> None:
        """Sends this tick's pose frames and voice frame; a listener that gets both gets
        them in one write."""
        conns = self.conns
        voice = self.voices.take(conns)
        if not conns:
            self.poses.changed.clear()
            return
        seats = self.state.seats
        guides = set(self.state.guide_seats())
        spectators = {s for s in conns if seats[s].role == "spectator"}
        posed: set[int] = set()
        for frame, recipients in self.poses.frames(time.time(), list(conns), guides,
                                                   spectators):
            ws_frame = binary_frame(frame)
            if voice.shared is None:
                for seat in recipients:
                    conns[seat].send_frame(ws_frame)
                continue
            for seat in recipients:
                heard = voice.for_seat(seat)
                if heard is None:
                    conns[seat].send_frame(ws_frame)
                else:
                    conns[seat].send_frames((ws_frame, heard))
            posed.update(recipients)
        if voice.shared is not None:
            self._voice_only(voice, posed)

    def _voice_only(self, voice: TickVoice, posed: set[int]) -> None:
        for seat, conn in self.conns.items():
            if seat not in posed:
                heard = voice.for_seat(seat)
                if heard is not None:
                    conn.send_frame(heard)

    async def close(self, grace: float = 5.0) -> None:
        """Applies (and stores) what is already in the log, then stops."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        # polls a deadline, not one event
        while (self._busy or not self.inbox.empty()) and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        await stop_all(self._tasks)
        await self.talk.close()
        for handle in self.expiries.values():
            handle.cancel()
        self.recorder.close()
        for conn in list(self.conns.values()):
            await conn.stop()


FLOOR_BUSY = f"{wire.MAX_FLOOR} members are speaking; wait for one of them to pause"


@dataclass(frozen=True)
class _Held:
    """A packet held while the open floor's claim for its seat is asked."""

    conn: Connection
    entry: bytes
    packet: VoicePacket
    tell: Callable[[str], None] | None


class _Applied:
    """One input of a batch: the rows it makes for this process to store, and its effects
    (carried out once the rows are stored)."""

    def __init__(self, event: Input, rows: list[dict[str, Any]], effects: list[Output]) -> None:
        self.event, self.rows, self.effects = event, rows, effects

    def unstored(self) -> None:
        """Its records could not be stored: nothing of it is acknowledged, and the sender
        hears so (a client keeps an unacknowledged fact and sends it again)."""
        self.rows = []
        self.effects = [e for e in self.effects
                        if not (isinstance(e, Send) and isinstance(e.message, wire.Ack))]
        self.effects += _refusal(self.event, "could not be stored; send it again")


def _refusal(event: Input, why: str) -> list[Output]:
    if not isinstance(event, Command):
        return []
    message = event.message
    what = f"fact {message.fact.id}" if isinstance(message, wire.Fact) else f"`{message.type}`"
    return [Send(event.seat, error("bad_message", f"{what} {why}", message.type))]


class Refused(Forbidden):
    """The room refused a join or resume; ``error`` is what the client is sent."""

    def __init__(self, error: wire.Error) -> None:
        super().__init__(error.message)
        self.error = error
