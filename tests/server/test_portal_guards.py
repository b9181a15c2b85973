"""The portal's guards at the HTTP level: CSRF on cookie-authenticated changes, forms read
within bounds and as text, redirects kept on this site, hostile numbers in page queries,
and a new log-in ending the session the browser held before."""

from __future__ import annotations

import io
from typing import Any

import pytest

from server.web.auth_pages import local_path
from tests.server.conftest import PASSWORD, World


async def _session(world: World, username: str = "member-a") -> tuple[dict[str, str], str]:
    login = await world.client.post("/api/auth/login",
                                    json={"username": username, "password": PASSWORD})
    assert login.status == 200, await login.text()
    return ({"redhall_session": login.cookies["redhall_session"].value},
            (await login.json())["csrf_token"])


async def test_a_cookie_change_needs_the_token_and_this_site(world: World) -> None:
    cookies, token = await _session(world)
    form = {"lang": "en", "next": "/me"}
    post = world.client.post
    missing = await post("/lang", data=form, cookies=cookies, allow_redirects=False)
    assert missing.status == 403
    wrong = await post("/lang", data={**form, "_csrf": "0" * 40}, cookies=cookies,
                       allow_redirects=False)
    assert wrong.status == 403
    plain = await post("/api/auth/logout", data="x", cookies=cookies,
                       headers={"Content-Type": "text/plain"})
    assert plain.status == 403
    foreign = await post("/lang", data={**form, "_csrf": token}, cookies=cookies,
                         headers={"Origin": "http://evil.example"}, allow_redirects=False)
    assert foreign.status == 403
    good = await post("/lang", data={**form, "_csrf": token}, cookies=cookies,
                      allow_redirects=False)
    assert good.status == 303 and good.headers["Location"] == "/me"
    # JSON cannot be sent across sites without the server's consent: no token needed
    consent = await post("/api/me/consent", cookies=cookies, json={
        "purpose": "participation-records", "text_version": "1", "granted": True})
    assert consent.status == 201
    assert (await world.client.get("/api/me", cookies=cookies)).status == 200


async def test_forms_are_read_within_bounds_and_as_text(world: World) -> None:
    post = world.client.post
    body = io.BytesIO(b"username=" + b"x" * (2 * 2**20) + b"&password=y")
    huge = await post("/login", data=body, allow_redirects=False,
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert huge.status == 413
    garbled = await post("/login", data=b"username=\xff\xfe&password=x",
                         headers={"Content-Type": "application/x-www-form-urlencoded"},
                         allow_redirects=False)
    assert garbled.status == 400
    assert "text/html" in garbled.headers["Content-Type"]  # the portal's error page


@pytest.mark.parametrize(("target", "expected"), [
    ("/me/record", "/me/record"),
    ("/tours?x=1", "/tours?x=1"),
    ("//evil.example/", "/"),
    ("/\\evil.example/", "/"),
    ("https://evil.example/", "/"),
    ("/a\x00b", "/"),
    ("/a\r\nSet-Cookie: x=1", "/"),
    ("/a\x7fb", "/"),
    ("/我的", "/%E6%88%91%E7%9A%84"),
    (None, "/"),
])
def test_a_redirect_stays_on_this_site(target: str | None, expected: str) -> None:
    assert local_path(target) == expected


async def test_a_log_in_from_a_page_redirects_only_here(world: World) -> None:
    reply = await world.client.post("/login?next=/a%00b", data={
        "username": "member-a", "password": PASSWORD}, allow_redirects=False)
    assert reply.status == 303 and reply.headers["Location"] in ("/", "/me")


async def test_hostile_numbers_in_page_queries_are_ignored(world: World) -> None:
    cookies, _ = await _session(world, "admin")
    for path in ("/admin/audit?page=²", "/admin/people?org=²", "/admin/audit?page=99999999999",
                 "/admin/people?org=-1"):
        reply = await world.client.get(path, cookies=cookies)
        assert reply.status == 200, (path, reply.status)


async def test_a_new_log_in_ends_the_session_the_browser_held(world: World) -> None:
    first, _ = await _session(world, "member-a")
    again = await world.client.post("/api/auth/login", cookies=first,
                                    json={"username": "member-a", "password": PASSWORD})
    assert again.status == 200
    old: Any = await world.client.get("/api/me", cookies=first)
    assert old.status == 401
    second = {"redhall_session": again.cookies["redhall_session"].value}
    assert (await world.client.get("/api/me", cookies=second)).status == 200


async def test_pages_and_vendor_files_travel_compressed(world: World) -> None:
    cookies, _ = await _session(world, "admin")
    gzip_ok = {"Accept-Encoding": "gzip"}
    page = await world.client.get("/admin/people", cookies=cookies, headers=gzip_ok,
                                  auto_decompress=False)
    assert page.status == 200 and page.headers.get("Content-Encoding") == "gzip"
    charts = await world.client.get("/vendor/echarts.min.js", headers=gzip_ok,
                                    auto_decompress=False)
    assert charts.headers.get("Content-Encoding") == "gzip"
    packed = await charts.read()
    assert len(packed) < 300_000  # the common build is 664 KB before compression
    again = await world.client.get("/vendor/echarts.min.js",
                                   headers={"If-None-Match": charts.headers["ETag"]})
    assert again.status == 304
    plain = await world.client.get("/vendor/echarts.min.js")
    assert "echarts" in (await plain.text())[:2000]


async def test_each_page_carries_its_own_mask_of_the_csrf_token(world: World) -> None:
    cookies, _ = await _session(world)
    masks = []
    for _ in range(2):
        page = await (await world.client.get("/me/record", cookies=cookies)).text()
        masks.append(page.split('name="csrf-token" content="')[1].split('"')[0])
    assert masks[0] != masks[1]
    for mask in masks:  # either page's form is accepted
        reply = await world.client.post("/lang", data={"lang": "en", "_csrf": mask},
                                        cookies=cookies, allow_redirects=False)
        assert reply.status == 303
