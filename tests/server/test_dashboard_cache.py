"""A dashboard view is computed once while nothing under it changes, and afresh once a
new award arrives."""

from __future__ import annotations

from datetime import date

from server.credits.ledger import Award, append_with_retry
from server.dashboard.cache import kept_view
from server.dashboard.period import Period
from server.dashboard.tree import overseen
from server.keys import SESSIONS
from tests.server.conftest import World


async def test_a_view_is_kept_until_an_award_arrives(world: World) -> None:
    app = world.client.server.app
    sessions = app[SESSIONS]
    period, today = Period.parse("2026"), date(2026, 12, 1)
    subtree = await overseen(sessions, None, None)
    computed: list[int] = []

    async def compute() -> dict[str, object]:
        computed.append(1)
        return {"n": len(computed)}

    first = await kept_view(app, sessions, period, subtree, today, "zh-CN", compute)
    second = await kept_view(app, sessions, period, subtree, today, "zh-CN", compute)
    assert first == second == {"n": 1}
    other = await kept_view(app, sessions, period, subtree, today, "en", compute)
    assert other == {"n": 2}  # each language its own view
    await append_with_retry(sessions, Award(
        award_key="test/cache", user_id=world.users["member"], year=2026, hours="0.5",
        exhibit_id="founding", subject={"kind": "visit"}, basis={}, at="2026-11-30T10:00:00Z"))
    third = await kept_view(app, sessions, period, subtree, today, "zh-CN", compute)
    assert third == {"n": 3}
