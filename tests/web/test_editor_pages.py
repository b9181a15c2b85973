"""The content editor's pages in a real browser: versions with thumbnails and signers,
publishing reflected in what members see, an upload through the page (progress and the
verdict in words, refusals storing nothing), a version in detail, and two versions
compared."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from playwright.sync_api import expect

from tests.protocol.hostile import MANIFEST, SIGNATURE, package, read_files, sign
from tests.web.conftest import Portal, Visit, look
from tools.build import BuildResult
from tools.keys import key_fingerprint

SCENE = "scenes/first-congress-site.json"


def _second_version(founding: Path, key: Ed25519PrivateKey, out: Path,
                    hours: float = 1.0) -> Path:
    """founding 1.1.0, signed like a publisher would: a new hotspot, one hotspot's text
    reworded, the last route stop dropped, more credit hours, the thumbnails swapped."""
    files = read_files(founding)
    scene: dict[str, Any] = json.loads(files[SCENE])
    script = scene["script"]
    extra = {**script["hotspots"][0], "id": "plaque",
             "title": {"zh-CN": "纪念牌", "en": "The plaque"}}
    script["hotspots"][0] = {**script["hotspots"][0],
                             "text": {"zh-CN": "改写过的说明。", "en": "Reworded."}}
    script["hotspots"].append(extra)
    dropped = script["route"].pop()["id"]
    assert dropped not in json.dumps(script["actions"])  # nothing else refers to it
    first, second = "thumbnails/first-congress-site.png", "thumbnails/nanhu-red-boat.png"
    files = {**files, SCENE: json.dumps(scene, ensure_ascii=False).encode(),
             first: files[second], second: files[first]}

    def edit(manifest: dict[str, Any]) -> None:
        manifest["version"] = "1.1.0"
        manifest["credit"] = {**manifest["credit"], "hours": hours}

    return package(out / f"founding-1.1.0-{hours}.exhibit", sign(files, key, edit))


def _tampered(founding: Path, out: Path) -> Path:
    """The sample with one scene's bytes changed after signing (manifest untouched)."""
    files = read_files(founding)
    files[SCENE] = files[SCENE].replace("望志路".encode(), "望至路".encode())
    return package(out / "tampered.exhibit", files)


def _foreign(founding: Path, out: Path) -> Path:
    """The sample signed again by a key the server does not trust."""
    files = read_files(founding)
    files[SIGNATURE] = Ed25519PrivateKey.generate().sign(files[MANIFEST])
    return package(out / "foreign.exhibit", files)


def _cut_signature(founding: Path, out: Path) -> Path:
    """The sample with its signature cut short (not an Ed25519 signature at all)."""
    files = read_files(founding)
    files[SIGNATURE] = files[SIGNATURE][:40]
    return package(out / "cut.exhibit", files)


def _versions(portal: Portal) -> list[tuple[str, str]]:
    status, listing = portal.api("editor", "GET", "/api/exhibits?all=1")
    assert status == 200
    return sorted((v["id"], v["version"]) for v in listing)


def _member_sees(portal: Portal) -> set[str]:
    status, listing = portal.api("member-a", "GET", "/api/exhibits")
    assert status == 200
    return {v["id"] for v in listing}


@pytest.mark.parametrize("web_db", ["sqlite", "postgresql"], indirect=True)
def test_versions_publishing_and_what_members_see(desktop: Visit, phone: Visit,
                                                  portal: Portal,
                                                  key_files: tuple[Path, Path]) -> None:
    desktop.log_in("editor")
    page = desktop.page
    assert page.url.endswith("/editor/exhibits")  # the editor's home
    assert page.locator("h1").inner_text() == "展览内容管理"
    sections = page.locator("main section.card")
    assert sections.count() == 2
    text = page.locator("main").inner_text()
    assert "开天辟地" in text and "万里长征" in text and "内容编辑" in text  # who uploaded
    from tools.keys import load_public
    assert key_fingerprint(load_public(key_files[1])) in text  # the signer
    thumbs = page.locator("main img")
    assert thumbs.count() == 4
    for image in thumbs.all():  # every thumbnail arrived and is a picture
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 0
    look(desktop, "editor-exhibits-desktop")

    link = page.locator("a[href='/editor/exhibits/founding/1.0.0']")
    founding = page.locator("li.version", has=link)
    button = founding.locator("button[data-api]")
    assert button.inner_text() == "撤下" and "founding" in _member_sees(portal)
    button.click()
    expect(button).to_have_attribute("data-published", "false")
    assert founding.locator("[data-state]").inner_text() == "未发布"
    assert "founding" not in _member_sees(portal)
    assert button.inner_text() == "发布"
    button.click()
    expect(button).to_have_attribute("data-published", "true")
    assert founding.locator("[data-state]").inner_text() == "已发布"
    assert "founding" in _member_sees(portal)
    status, audit = portal.api("admin", "GET", "/api/audit")
    assert status == 200 and "exhibit.unpublish" in json.dumps(audit)

    phone.log_in("editor")
    look(phone, "editor-exhibits-phone")


def test_an_upload_through_the_page_then_the_version_and_the_comparison(
        desktop: Visit, phone: Visit, portal: Portal, samples: dict[str, BuildResult],
        key: Ed25519PrivateKey, tmp_path: Path) -> None:
    founding = samples["founding"].path
    newer = _second_version(founding, key, tmp_path)
    before = _versions(portal)
    desktop.log_in("editor")
    page = desktop.open("/editor/exhibits/upload")
    look(desktop, "editor-upload-desktop")

    # refusals, in words, and nothing stored
    refusals = {"garbage": ("not_a_package", "这不是展览包"),
                "tampered": ("hash_mismatch", "内容与清单不符"),
                "foreign": ("unknown_signer", "签名者不受信任"),
                "cut": ("bad_signature", "签名无效")}
    garbage = tmp_path / "garbage.exhibit"
    garbage.write_bytes(b"PK\x03\x04 this is not a package" * 100)
    files = {"garbage": garbage, "tampered": _tampered(founding, tmp_path),
             "foreign": _foreign(founding, tmp_path), "cut": _cut_signature(founding, tmp_path)}
    for name, (reason, words) in refusals.items():
        page.set_input_files("#package", str(files[name]))
        page.click("#upload-send")
        verdict = page.locator(f"#verdict [data-verdict='{reason}']")
        verdict.wait_for()
        assert words in verdict.inner_text(), name
        assert page.locator("#verdict details").count() == 1  # the server's own words
    assert _versions(portal) == before
    assert not list((tmp_path / "data" / "incoming").iterdir())
    page.click("#verdict summary")
    look(desktop, "editor-upload-refused-desktop", errors_expected=True)  # 422s are logged
    desktop.errors.clear()

    page.set_input_files("#package", str(newer))
    page.click("#upload-send")
    page.locator("#verdict [data-verdict='accepted']").wait_for()
    assert page.locator("#upload-progress").evaluate("bar => bar.value") == 100
    assert page.locator("#upload-percent").inner_text() == "100%"
    words = page.locator("#verdict").inner_text()
    assert "版本 1.1.0" in words and "2 个场景" in words and "中共一大会址" in words
    assert ("founding", "1.1.0") in _versions(portal)
    look(desktop, "editor-upload-accepted-desktop")
    other = _second_version(founding, key, tmp_path, hours=2.0)  # 1.1.0 again, but other
    page.set_input_files("#package", str(other))
    page.click("#upload-send")
    assert "版本已存在" in page.locator("#verdict [data-verdict='version_exists']").inner_text()
    desktop.errors.clear()  # the 409 is logged by the browser
    page.set_input_files("#package", str(newer))  # again: the same bytes are no change
    page.click("#upload-send")
    page.locator("#verdict [data-verdict='identical']").wait_for()

    page.click("#verdict a")  # to the new version
    page.wait_for_load_state()
    assert page.url.endswith("/editor/exhibits/founding/1.1.0")
    scene = page.locator("section.scene", has=page.locator("#scene-first-congress-site"))
    assert "纪念牌" in scene.inner_text()
    assert scene.locator("ol.stops > li").count() == 3
    assert scene.locator("tbody tr").count() >= 5  # narration entries
    kinds = page.locator("section[aria-labelledby=sizes-h] tbody").inner_text()
    assert "模型" in kinds and "讲解音频" in kinds and "缩略图" in kinds
    assert "未发布" in page.locator(".editor-head").inner_text()
    look(desktop, "editor-version-desktop")

    page = desktop.open("/editor/exhibits/founding/diff?from=1.0.0&to=1.1.0")
    meta = page.locator("section[aria-labelledby=d-meta]").inner_text()
    assert "学时" in meta and "0.5" in meta and "1" in meta
    scenes = page.locator("section[aria-labelledby=d-scenes]")
    assert "plaque" in scenes.locator("[data-change=hotspots_added]").inner_text()
    assert "shikumen" in scenes.locator("[data-change=hotspots_changed]").inner_text()
    assert scenes.locator("[data-change=stops_removed]").count() == 1
    changed = page.locator("tr[data-entry=changed]").all_inner_texts()
    assert any(SCENE in row for row in changed)
    assert any("thumbnails/nanhu-red-boat.png" in row and "KiB" in row for row in changed)
    assert page.locator("tr[data-entry=added]").count() == 0  # no entry came or went
    look(desktop, "editor-diff-desktop")

    phone.log_in("editor")
    phone.open("/editor/exhibits/founding/1.1.0")
    look(phone, "editor-version-phone")
    phone.open("/editor/exhibits/founding/diff")  # the newest two by default
    assert "1.0.0 → 1.1.0" in phone.page.locator("h1").inner_text()
    look(phone, "editor-diff-phone")
    phone.open("/editor/exhibits/upload")
    look(phone, "editor-upload-phone")


def test_members_are_refused_and_hostile_addresses_answer_in_words(desktop: Visit,
                                                                   phone: Visit) -> None:
    phone.log_in("member-a")
    for path in ("/editor/exhibits", "/editor/exhibits/upload",
                 "/editor/exhibits/founding/1.0.0", "/editor/exhibits/founding/diff"):
        response = phone.page.goto(phone.portal.url + path)
        assert response is not None and response.status == 403, path
    desktop.log_in("editor")
    for path, status in (("/editor/exhibits/founding/9.9.9", 404),
                         ("/editor/exhibits/nothing-here/diff", 404),
                         ("/editor/exhibits/founding/diff?from=%3Cscript%3E", 400),
                         ("/editor/exhibits/founding/diff?colour=red", 400)):
        response = desktop.page.goto(desktop.portal.url + path)
        assert response is not None and response.status == status, path
        assert desktop.page.locator("[role=alert]").inner_text()
    desktop.errors.clear()
