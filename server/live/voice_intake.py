"""One connection's voice messages on their way in: rate-limited, checked, and handed to
the tour, which relays them if the speaker may speak now.

Nothing here closes the connection for a bad packet: a malformed, oversized or refused one
is dropped and counted, and the client hears why once (until a packet of theirs is
relayed again), so a UI can say "you don't have the floor" without a flood of errors. Only
a sustained flood closes the connection, as with poses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from protocol.voice import VOICE_KIND, VoiceError, decode_voice
from server.errors import POLICY
from server.live.connection import Connection
from server.live.outputs import error
from server.live.ratelimit import Sustained, TokenBucket
from server.live.voice_metrics import VOICE_DROPPED

if TYPE_CHECKING:
    from server.live.room import LiveTour

VOICE_PREFIX = bytes([VOICE_KIND])
VOICE_RATE, VOICE_BURST = 60, 30  # packets taken a second; a 20 ms speaker sends 50
VOICE_SUSTAINED, VOICE_SLACK = 120, 10  # packets sent, taken or not, before the close


class VoiceIntake:
    def __init__(self, room: LiveTour, conn: Connection, seat: int) -> None:
        self.room, self.conn, self.seat = room, conn, seat
        self.bucket = TokenBucket(VOICE_RATE, VOICE_BURST)
        self.flood = Sustained(VOICE_SUSTAINED, VOICE_SLACK)
        self._told: str | None = None  # the refusal the client heard last

    def receive(self, data: bytes) -> None:
        """One binary message that starts with the voice kind byte."""
        if not self.flood.allows():
            self.conn.close(POLICY, f"voice flood: send one packet per 20 ms (over "
                                    f"{VOICE_SUSTAINED} a second is closed)")
            return
        if not self.bucket.take():
            VOICE_DROPPED.labels("flood").inc()
            self._tell("flood", "rate_limited", f"more than {VOICE_RATE} voice packets a second; "
                       "the extra ones are dropped")
            return
        try:
            packet = decode_voice(data)
        except VoiceError as exc:
            VOICE_DROPPED.labels("malformed").inc()
            self._tell("malformed", "bad_message", str(exc))
            return
        refused = self.room.voice(self.seat, self.conn, data, packet, self.refused)
        if refused is None:
            self._told = None
        elif isinstance(refused, str):
            self.refused(refused)
        # else held until the open floor's claim is answered (``refused`` if it is not)

    def refused(self, why: str) -> None:
        self._tell(why, "not_allowed", why)

    def _tell(self, key: str, code: str, message: str) -> None:
        """Sends the error unless the client heard the same refusal (``key``) last."""
        if self._told != key:
            self._told = key
            self.conn.send(error(code, message, "voice").model_dump_json())
