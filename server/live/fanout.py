"""How tour inputs and poses travel between the server processes that share a tour.

Every input goes through the tour's ordered log and comes back to every process in the
same order, the sender included; each process applies the log to its own copy of the
state machine, so all copies agree (capacity included) without locks.

- :class:`LocalFanout`: one process; the log is the tour's in-memory inbox.
- :class:`RedisFanout`: a Redis stream per tour is the log (ordered, and replayable by a
  process that joins the tour late); poses and voice go over Redis pub/sub, each process
  sending its new ones several times a tick (``LiveTour.relay_seconds``). The open floor's
  places are claimed in Redis (``server.live.talk``), and a withdrawn consent to keep a
  member's voice reaches every process that records a tour over pub/sub.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Protocol, cast

from protocol import tour as wire
from server.background import bounded, stop
from server.live.inputs import Input, decode, encode

if TYPE_CHECKING:
    from server.live.room import LiveTour

log = logging.getLogger("redhall.tours")


class Fanout(Protocol):
    node: str
    # whether other processes share tours: poses go to them, and they can vanish (``dead``)
    shared: bool

    async def attach(self, room: LiveTour) -> None: ...
    async def append(self, room: LiveTour, event: Input) -> None: ...
    async def publish_poses(self, room: LiveTour, blob: bytes) -> None: ...
    async def publish_voice(self, room: LiveTour, blob: bytes) -> None: ...
    async def claim_talk(self, tour: int, seat: int, holders: list[int],
                         seconds: float) -> bool: ...
    async def release_talk(self, tour: int, seat: int) -> None: ...
    async def publish_withdrawal(self, user: int) -> None: ...
    async def detach(self, room: LiveTour) -> None: ...
    async def close(self) -> None: ...
    async def dead(self, nodes: set[str]) -> set[str]: ...


class LocalFanout:
    shared = False

    def __init__(self, node: str) -> None:
        self.node = node

    async def attach(self, room: LiveTour) -> None:
        pass

    async def append(self, room: LiveTour, event: Input) -> None:
        room.inbox.put_nowait((self.node, event))

    async def publish_poses(self, room: LiveTour, blob: bytes) -> None:
        pass  # no other process to tell

    async def publish_voice(self, room: LiveTour, blob: bytes) -> None:
        pass

    async def claim_talk(self, tour: int, seat: int, holders: list[int],
                         seconds: float) -> bool:
        return True  # the tour's speakers are all on this process, counted there

    async def release_talk(self, tour: int, seat: int) -> None:
        pass

    async def publish_withdrawal(self, user: int) -> None:
        pass  # the hub told this process's tours already

    async def detach(self, room: LiveTour) -> None:
        pass

    async def close(self) -> None:
        pass

    async def dead(self, nodes: set[str]) -> set[str]:
        return set()


_CLAIM_TALK = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local seat, ttl, most = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], seat) then
  local holders, speaking = {}, #ARGV - 3
  for i = 4, #ARGV do holders[ARGV[i]] = true end
  for _, other in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    if not holders[other] then speaking = speaking + 1 end
  end
  if speaking >= most then return 0 end
end
redis.call('ZADD', KEYS[1], now + ttl, seat)
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
"""
"""A place on the open floor: the seat's claim is renewed, or made while fewer than
``most`` members speak (unexpired claims, the floor's holders counted once each); the
time is Redis's own, the same for every process."""


class RedisFanout:
    """Stream ``{prefix}:tour:{id}:log`` for inputs, channels ``{prefix}:tour:{id}:poses``
    and ``{prefix}:tour:{id}:voice`` (voice frame entries, joined back to back), sorted set
    ``{prefix}:tour:{id}:talk`` (the open floor's claims, seat -> when it lapses), and
    channel ``{prefix}:voice-withdrawn`` (user ids), heard while this process runs tours.
    """

    LOG_TTL = 7 * 24 * 3600
    APPEND_BATCH = 1000  # inputs a pipeline carries at most
    HEARTBEAT_SECONDS = 2.0
    NODE_TTL = 6  # seconds without a heartbeat before a process counts as gone
    LISTEN_RETRY_SECONDS = 0.5  # a lost pub/sub connection is made again after this,
    LISTEN_RETRY_MAX = 8.0  # doubled while it keeps failing, up to this
    shared = True

    def __init__(self, node: str, url: str, prefix: str = "redhall") -> None:
        import redis.asyncio as redis  # only when configured

        self.node = node
        self.prefix = prefix
        self.redis = redis.Redis.from_url(url)
        self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        self.readers: dict[int, asyncio.Task[None]] = {}
        self.rooms: dict[int, LiveTour] = {}
        self._listener: asyncio.Task[None] | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self._appends: list[tuple[str, bytes, asyncio.Future[None]]] = []
        self._appending = asyncio.Event()
        self._appender: asyncio.Task[None] | None = None
        self.sender = node.encode() + b"|"  # begins each pose message this process sends
        self._claim_talk = self.redis.register_script(_CLAIM_TALK)

    def alive_key(self, node: str) -> str:
        return f"{self.prefix}:node:{node}"

    async def _beat(self) -> None:
        """Says this process is alive; a process killed without closing its connections
        stops saying so, and the others then let its participants go (``dead``)."""
        while True:
            try:
                await self.redis.set(self.alive_key(self.node), "1", ex=self.NODE_TTL)
            except Exception as exc:  # noqa: BLE001  Redis away for a moment: the next beat retries
                log.warning("heartbeat to Redis failed: %s", exc)
            await asyncio.sleep(self.HEARTBEAT_SECONDS)

    async def dead(self, nodes: set[str]) -> set[str]:
        others = sorted(nodes - {self.node})
        if not others:
            return set()
        alive = await self.redis.mget([self.alive_key(n) for n in others])
        return {n for n, beat in zip(others, alive) if beat is None}

    def log_key(self, tour: int) -> str:
        return f"{self.prefix}:tour:{tour}:log"

    def channel(self, tour: int) -> str:
        return f"{self.prefix}:tour:{tour}:poses"

    def voice_channel(self, tour: int) -> str:
        return f"{self.prefix}:tour:{tour}:voice"

    def talk_key(self, tour: int) -> str:
        return f"{self.prefix}:tour:{tour}:talk"

    @property
    def withdrawn_channel(self) -> str:
        return f"{self.prefix}:voice-withdrawn"

    async def attach(self, room: LiveTour) -> None:
        self.rooms[room.tour_id] = room
        if self._heartbeat is None:
            await self.redis.set(self.alive_key(self.node), "1", ex=self.NODE_TTL)
            self._heartbeat = asyncio.create_task(self._beat())
        await self.pubsub.subscribe(self.channel(room.tour_id),
                                    self.voice_channel(room.tour_id), self.withdrawn_channel)
        if self._listener is None or self._listener.done():  # ends with the last tour
            self._listener = asyncio.create_task(self._listen())
        self.readers[room.tour_id] = asyncio.create_task(self._read(room))

    async def _read(self, room: LiveTour) -> None:
        """Replays the log from its start, then follows it."""
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        reader = self.redis.client()
        last = "0-0"
        try:
            while True:
                try:
                    # RESP2 (the client's default): a list of [stream, entries] pairs
                    answer = cast("list[list[Any]] | None", await reader.xread(
                        {self.log_key(room.tour_id): last}, count=1000, block=1000))
                except (RedisConnectionError, RedisTimeoutError):  # a busy Redis times out
                    if _cancelling():
                        raise  # a cancel that the client library turned into an error
                    log.warning("tour %s: Redis unreachable; retrying", room.tour_id)
                    await asyncio.sleep(0.5)
                    continue
                for _stream, entries in answer or ():
                    for entry_id, fields in entries:
                        last = entry_id
                        room.inbox.put_nowait((fields[b"node"].decode(),
                                               decode(fields[b"input"])))
        finally:
            await reader.aclose()

    async def _listen(self) -> None:
        """Hands other processes' poses to their tours until no tour is subscribed; a lost
        connection (a Redis restart, a kill on the server's side) is made again, with the
        tours' channels."""
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        pause = self.LISTEN_RETRY_SECONDS
        while True:
            try:
                async for message in self.pubsub.listen():
                    pause = self.LISTEN_RETRY_SECONDS  # heard again: the next loss retries soon
                    try:
                        self._deliver(message)
                    except Exception:  # one odd message must not stop the others
                        log.exception("a message from Redis could not be delivered: %r",
                                      _glimpse(message))
                return
            except (RedisConnectionError, RedisTimeoutError) as exc:
                if _cancelling():
                    raise
                log.warning("tour poses: Redis connection lost (%s); subscribing again in "
                            "%.1f s", exc, pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, self.LISTEN_RETRY_MAX)

    def _deliver(self, message: dict[str, Any]) -> None:
        data: bytes = message["data"]
        if data.startswith(self.sender):
            return  # our own poses
        channel = message["channel"].decode()
        if channel == self.withdrawn_channel:
            _sender, bar, user = data.partition(b"|")
            if not bar:
                log.warning("a voice withdrawal without its sender ignored: %r", data[:40])
                return
            self._withdrawn(user)
            return
        room = self.rooms.get(int(channel.rsplit(":", 2)[1]))
        if room is None:
            return
        if channel.endswith(":voice"):
            room.remote_voice(data.split(b"|", 1)[1])
        else:
            room.remote_poses(data.split(b"|", 1)[1])

    async def append(self, room: LiveTour, event: Input) -> None:
        """Returns once the input is in the tour's log. Inputs from many connections at once
        (a whole tour leaving as it ends) go in one pipeline from one task, in the order
        they came, rather than each taking a connection of the pool, which has 100."""
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._appends.append((self.log_key(room.tour_id), encode(event), written))
        self._appending.set()
        if self._appender is None:
            self._appender = asyncio.create_task(self._append_loop())
        await written

    async def _append_loop(self) -> None:
        while True:
            await self._appending.wait()
            self._appending.clear()
            while self._appends:
                batch, self._appends = self._appends[:self.APPEND_BATCH], \
                    self._appends[self.APPEND_BATCH:]
                try:
                    async with self.redis.pipeline(transaction=False) as pipe:
                        for key, data, _ in batch:
                            pipe.xadd(key, {"node": self.node, "input": data})
                        for key in {key for key, _, _ in batch}:
                            pipe.expire(key, self.LOG_TTL)
                        await pipe.execute()
                except Exception as exc:  # noqa: BLE001  each sender hears of it, as with its own write
                    _settle(batch, exc)
                else:
                    _settle(batch, None)

    async def publish_poses(self, room: LiveTour, blob: bytes) -> None:
        try:
            await self.redis.publish(self.channel(room.tour_id), self.sender + blob)
        except Exception as exc:  # noqa: BLE001  Redis away for a moment: the next relay carries on
            log.warning("publishing poses failed: %s", exc)

    async def publish_voice(self, room: LiveTour, blob: bytes) -> None:
        try:
            await self.redis.publish(self.voice_channel(room.tour_id), self.sender + blob)
        except Exception as exc:  # noqa: BLE001  Redis away for a moment: this voice is lost
            log.warning("publishing voice failed: %s", exc)

    async def claim_talk(self, tour: int, seat: int, holders: list[int],
                         seconds: float) -> bool:
        """A place on tour ``tour``'s open floor for ``seat`` for ``seconds``, or its
        place renewed; raises what the Redis client raises when Redis is away."""
        granted = await self._claim_talk(keys=[self.talk_key(tour)],
                                         args=[seat, int(seconds * 1000), wire.MAX_FLOOR,
                                               *holders])
        return bool(granted)

    async def release_talk(self, tour: int, seat: int) -> None:
        """Gives back ``seat``'s place on tour ``tour``'s open floor."""
        await self.redis.zrem(self.talk_key(tour), seat)

    async def publish_withdrawal(self, user: int) -> None:
        """Tells the other processes' recorders; raises when Redis is away."""
        await self.redis.publish(self.withdrawn_channel, self.sender + str(user).encode())

    def _withdrawn(self, data: bytes) -> None:
        try:
            user = int(data)
        except ValueError:
            log.warning("a voice withdrawal names no user: %r", data[:40])
            return
        for room in list(self.rooms.values()):
            room.voice_withdrawn(user)

    async def detach(self, room: LiveTour) -> None:
        self.rooms.pop(room.tour_id, None)
        reader = self.readers.pop(room.tour_id, None)
        if reader:
            await stop(reader)
        channels = [self.channel(room.tour_id), self.voice_channel(room.tour_id)]
        if not self.rooms:  # no tour left to record here
            channels.append(self.withdrawn_channel)
        await bounded(self.pubsub.unsubscribe(*channels),
                      f"unsubscribing from tour {room.tour_id}'s poses and voice")
        if self.withdrawn_channel in channels and self.rooms:  # a tour opened meanwhile
            await bounded(self.pubsub.subscribe(self.withdrawn_channel),
                          "subscribing to voice withdrawals again")

    async def close(self) -> None:
        for room in list(self.rooms.values()):
            await self.detach(room)
        if self._listener:
            await stop(self._listener)
        if self._heartbeat:
            await stop(self._heartbeat)
        if self._appender:
            await stop(self._appender)
        _settle(self._appends, ConnectionError("the tour fan-out closed"))
        await bounded(self.pubsub.aclose(), "closing the Redis pub/sub connection")
        await bounded(self.redis.aclose(), "closing the Redis connections")


def _cancelling() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _glimpse(message: object) -> object:
    """The start of a pub/sub message, for a log line."""
    if isinstance(message, dict):
        data = message.get("data")
        return {"channel": message.get("channel"),
                "data": data[:40] if isinstance(data, bytes) else data}
    return message


def _settle(batch: list[tuple[str, bytes, asyncio.Future[None]]],
            error: Exception | None) -> None:
    for _, _, written in batch:
        if written.done():  # its sender gave up waiting
            continue
        if error is None:
            written.set_result(None)
        else:
            written.set_exception(error)
