"""Whether a tour's recording keeps members' voices: set when it is scheduled (API and the
guide's form), shown with the tour; a member's consent to it is one of their consents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.server.conftest import PASSWORD, World
from tests.server.test_password_change import _csrf, _page_session
from tests.server.test_tours import _plan, _published


async def test_the_api_and_the_form_set_it_and_the_tour_shows_it(world: World) -> None:
    await _published(world)
    made = await world.client.post("/api/tours", headers=world.auth("guide"),
                                   json=_plan(world, keep_member_voices=True))
    assert made.status == 201, await made.text()
    shown = await made.json()
    assert shown["keep_member_voices"] is True and shown["recording"] is None
    plain = await (await world.client.post("/api/tours", headers=world.auth("guide"),
                                           json=_plan(world))).json()
    assert plain["keep_member_voices"] is False
    refused = await world.client.post("/api/tours", headers=world.auth("guide"),
                                      json=_plan(world, keep_member_voices="yes please"))
    assert refused.status == 400

    guide, _ = await _page_session(world, "guide-a", PASSWORD)
    token = await _csrf(world, guide, "/guide/tours/new")
    start = datetime.now(UTC) + timedelta(days=3)
    form = {"_csrf": token, "exhibit": "founding@1.0.0", "title": "主题党日",
            "zone": "Asia/Shanghai", "date": start.strftime("%Y-%m-%d"), "time": "10:00",
            "duration": "60", "capacity": "20", "branches": str(world.branch_a),
            "voices": "keep"}
    posted = await world.client.post("/guide/tours/new", data=form, cookies=guide,
                                     allow_redirects=False)
    assert posted.status == 303, await posted.text()
    tours = await (await world.client.get("/api/tours", headers=world.auth("guide"))).json()
    by_form = [tour for tour in tours if tour["title"] == "主题党日"]
    assert [tour["keep_member_voices"] for tour in by_form] == [True]


async def test_a_member_consents_to_their_voice_being_kept(world: World) -> None:
    given = await world.client.post("/api/me/consent", headers=world.auth("member"), json={
        "purpose": "voice-recording", "text_version": "1", "granted": True})
    assert given.status == 201, await given.text()
    member, _ = await _page_session(world, "member-a", PASSWORD)
    record = await (await world.client.get("/me/record", cookies=member)).text()
    assert 'data-purpose="voice-recording"' in record and "发言可保存" in record
