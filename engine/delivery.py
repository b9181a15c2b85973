"""Delivers the outbox of a self-guided visit to the server: in order, in batches, each
batch marked delivered only after the server has stored it. A repeat after a crash is
harmless: the server keeps one copy per fact id."""

from __future__ import annotations

import aiohttp
from pydantic import TypeAdapter

from engine.errors import EngineError
from engine.outbox import Outbox
from protocol.participation import ParticipationFact

_FACTS = TypeAdapter(list[ParticipationFact])


async def deliver(outbox: Outbox, server: str, token: str, batch: int = 200,
                  session: aiohttp.ClientSession | None = None) -> int:
    """Sends every pending fact; returns how many were delivered.

    Raises:
        EngineError: the server refused (with its reason) or could not be reached; what
            was delivered before stays delivered, the rest stays pending.
    """
    pending = outbox.pending()
    own = session is None
    http = session or aiohttp.ClientSession()
    delivered = 0
    try:
        for start in range(0, len(pending), batch):
            facts = pending[start:start + batch]
            body = b'{"facts":' + _FACTS.dump_json(facts) + b"}"
            try:
                async with http.post(f"{server.rstrip('/')}/api/participation", data=body,
                                     headers={"Authorization": f"Bearer {token}",
                                              "Content-Type": "application/json"}) as reply:
                    if reply.status != 200:
                        raise EngineError(f"the server refused the participation facts "
                                          f"({reply.status}): {await reply.text()}")
            except aiohttp.ClientError as exc:
                raise EngineError(f"cannot reach {server} ({exc}); the facts stay in the "
                                  f"outbox for the next try") from exc
            outbox.mark_delivered(facts)
            delivered += len(facts)
    finally:
        if own:
            await http.close()
    return delivered
