"""Accounts: log-in and out, tokens, organizations, users, privacy, audit — on both databases."""

import pytest

from tests.server.conftest import PASSWORD, World


async def test_login_sets_a_session_cookie_and_logout_ends_it(world: World) -> None:
    client = world.client
    bad = await client.post("/api/auth/login", json={"username": "admin", "password": "nope"})
    assert bad.status == 401 and (await bad.json())["error"] == "wrong username or password"
    unknown = await client.post("/api/auth/login", json={"username": "ghost", "password": "x"})
    assert unknown.status == 401
    login = await client.post("/api/auth/login", json={"username": "member-a",
                                                       "password": PASSWORD})
    cookie = login.cookies["redhall_session"]
    assert cookie["httponly"]
    me = await client.get("/api/me", cookies={"redhall_session": cookie.value})
    assert (await me.json())["username"] == "member-a"
    forged = await client.post("/api/auth/logout", cookies={"redhall_session": cookie.value},
                               data="x", headers={"Content-Type": "text/plain"})
    assert forged.status == 403  # what another site's form could send, without the token
    out = await client.post("/api/auth/logout", cookies={"redhall_session": cookie.value},
                            headers={"X-CSRF-Token": (await login.json())["csrf_token"]})
    assert out.status == 200
    again = await client.get("/api/me", cookies={"redhall_session": cookie.value})
    assert again.status == 401


async def test_bearer_tokens_can_be_revoked(world: World) -> None:
    client = world.client
    made = await client.post("/api/auth/tokens", json={"label": "headset"},
                             headers=world.auth("member"))
    token = await made.json()
    headers = {"Authorization": f"Bearer {token['token']}"}
    assert (await client.get("/api/me", headers=headers)).status == 200
    other = await client.delete(f"/api/auth/tokens/{token['id']}",
                                headers=world.auth("member_b"))
    assert other.status == 404  # someone else's token is not theirs to see
    gone = await client.delete(f"/api/auth/tokens/{token['id']}", headers=world.auth("member"))
    assert gone.status == 200
    assert (await client.get("/api/me", headers=headers)).status == 401


async def test_validation_errors_name_the_fields(world: World) -> None:
    response = await world.client.post("/api/users", headers=world.auth("admin"),
                                       json={"username": "x", "password": "short",
                                             "display_name": "X", "colour": "red"})
    assert response.status == 400
    fields = {f["field"] for f in (await response.json())["fields"]}
    assert {"username", "password", "colour"} <= fields
    broken = await world.client.post("/api/users", headers=world.auth("admin"),
                                     data=b"{not json")
    assert broken.status == 400


async def test_guides_manage_members_of_their_own_branch_only(world: World) -> None:
    client = world.client
    new = {"username": "member-new", "display_name": "新党员", "password": "long enough 1",
           "role": "member", "org_id": world.branch_a}
    assert (await client.post("/api/users", json=new, headers=world.auth("guide"))).status == 201
    other = {**new, "username": "member-x", "org_id": world.branch_b}
    assert (await client.post("/api/users", json=other,
                              headers=world.auth("guide"))).status == 403
    promote = {**new, "username": "guide-x", "role": "guide"}
    assert (await client.post("/api/users", json=promote,
                              headers=world.auth("guide"))).status == 403
    listed = await (await client.get("/api/users", headers=world.auth("guide"))).json()
    assert {u["org_id"] for u in listed} == {world.branch_a}
    taken = await client.post("/api/users", json=new, headers=world.auth("admin"))
    assert taken.status == 409


async def test_personal_data_is_encrypted_exported_and_deleted(world: World) -> None:
    client = world.client
    new = {"username": "member-p", "display_name": "张三", "password": "long enough 1",
           "org_id": world.branch_a, "phone": "13800138000", "id_number": "11010519491231002X"}
    created = await (await client.post("/api/users", json=new,
                                       headers=world.auth("admin"))).json()
    from sqlalchemy import select

    from server.db.models import User
    from server.keys import SESSIONS

    async with world.client.server.app[SESSIONS]() as db:
        row = await db.scalar(select(User).where(User.id == created["id"]))
    assert b"13800138000" not in row.phone_enc and len(row.phone_enc) > 12
    export = await client.get(f"/api/users/{created['id']}/export",
                              headers=world.auth("admin"))
    data = await export.json()
    assert data["account"]["phone"] == "13800138000"
    assert data["account"]["id_number"] == "11010519491231002X"
    denied = await client.get(f"/api/users/{created['id']}/export",
                              headers=world.auth("member"))
    assert denied.status == 403
    consent = await client.post("/api/me/consent", headers=world.auth("member"),
                                json={"purpose": "participation-records", "text_version": "1",
                                      "granted": True})
    assert consent.status == 201
    mine = await (await client.get(f"/api/users/{world.users['member']}/export",
                                   headers=world.auth("member"))).json()
    assert mine["consents"][0]["granted"] is True
    deleted = await client.delete(f"/api/users/{created['id']}", headers=world.auth("admin"))
    assert deleted.status == 200
    async with world.client.server.app[SESSIONS]() as db:
        row = await db.scalar(select(User).where(User.id == created["id"]))
    assert row.phone_enc is None and row.display_name != "张三" and row.deleted_at
    audit = await (await client.get("/api/audit", headers=world.auth("admin"))).json()
    assert [e["action"] for e in audit[:2]] == ["user.delete", "user.create"]


@pytest.mark.parametrize("role", ["member", "guide", "editor"])
async def test_only_admins_read_the_audit_log(world: World, role: str) -> None:
    assert (await world.client.get("/api/audit", headers=world.auth(role))).status == 403
    assert (await world.client.get("/api/audit")).status == 401


async def test_text_with_nul_characters_is_refused_not_a_server_error(world: World) -> None:
    # PostgreSQL cannot store NUL in text; found by schemathesis
    login = await world.client.post("/api/auth/login",
                                    json={"username": "adm\u0000in", "password": "x"})
    assert login.status == 400 and "NUL" in await login.text()


async def test_a_log_in_after_the_hash_cost_changed_upgrades_the_stored_hash(world: World
                                                                              ) -> None:
    from server.auth import configure_passwords
    from server.db.models import User
    from server.keys import SESSIONS, SETTINGS

    async def stored() -> str:
        async with world.client.server.app[SESSIONS]() as db:
            user = await db.get(User, world.users["member"])
            return user.password_hash

    before = await stored()
    settings = world.client.server.app[SETTINGS]
    configure_passwords(2, 2048)  # as if the server restarted with a higher cost
    try:
        login = await world.client.post("/api/auth/login", json={"username": "member-a",
                                                                 "password": PASSWORD})
        assert login.status == 200
        after = await stored()
        assert "m=2048,t=2" in after and after != before
        again = await world.client.post("/api/auth/login", json={"username": "member-a",
                                                                 "password": PASSWORD})
        assert again.status == 200 and await stored() == after  # made once, then kept
    finally:
        configure_passwords(settings.password_hash_time_cost,
                            settings.password_hash_memory_kib)
