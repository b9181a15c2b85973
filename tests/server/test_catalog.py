"""The catalog: verified uploads, versions, publishing, listing, ETag and Range downloads."""

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from server.app import create_app
from server.bootstrap import ensure_user
from server.keys import SESSIONS
from server.settings import Settings
from tests.server.conftest import KEY, PASSWORD
from tools.build import BuildResult


@pytest.fixture
async def catalog(aiohttp_client, database_url: str, tmp_path: Path,  # type: ignore[no-untyped-def]
                  key_files: tuple[Path, Path]) -> tuple[TestClient, dict[str, dict[str, str]]]:
    settings = Settings(database_url=database_url, data_dir=tmp_path / "data",
                        encryption_key=KEY, trusted_keys=[key_files[1]],
                        max_upload_bytes=20 * 1024**2)
    client = await aiohttp_client(create_app(settings))
    headers = {}
    for name, role in (("ed", "editor"), ("mem", "member")):
        await ensure_user(client.server.app[SESSIONS], name, PASSWORD, role)
        login = await client.post("/api/auth/login", json={"username": name,
                                                           "password": PASSWORD})
        token = await (await client.post("/api/auth/tokens", json={},
                                         cookies=login.cookies)).json()
        headers[role] = {"Authorization": f"Bearer {token['token']}"}
    client.session.cookie_jar.clear()
    return client, headers


async def test_upload_publish_list_and_download(catalog, samples: dict[str, BuildResult]) -> None:  # type: ignore[no-untyped-def]
    client, who = catalog
    data = samples["founding"].path.read_bytes()
    denied = await client.post("/api/exhibits", data=io.BytesIO(data), headers=who["member"])
    assert denied.status == 403
    made = await client.post("/api/exhibits", data=io.BytesIO(data), headers=who["editor"])
    assert made.status == 201, await made.text()
    info = await made.json()
    assert info["id"] == "founding" and info["sha256"] == hashlib.sha256(data).hexdigest()
    assert (await client.post("/api/exhibits", data=io.BytesIO(data),
                              headers=who["editor"])).status == 200
    assert await (await client.get("/api/exhibits", headers=who["member"])).json() == []
    hidden = await client.get("/api/exhibits/founding/1.0.0/package", headers=who["member"])
    assert hidden.status == 404
    published = await client.post("/api/exhibits/founding/1.0.0/publish", headers=who["editor"])
    assert published.status == 200
    listing = await (await client.get("/api/exhibits", headers=who["member"])).json()
    (entry,) = listing
    assert entry["title"]["zh-CN"].startswith("开天辟地")
    assert {s["id"] for s in entry["scenes"]} == {"first-congress-site", "nanhu-red-boat"}
    assert entry["scenes"][0]["credit"]["hours"] > 0
    thumb = await client.get(entry["scenes"][0]["thumbnail"], headers=who["member"])
    assert thumb.status == 200 and (await thumb.read())[:8] == b"\x89PNG\r\n\x1a\n"
    full = await client.get(entry["download"], headers=who["member"])
    assert full.status == 200 and await full.read() == data
    etag = full.headers["ETag"]
    assert etag == f'"{info["sha256"]}"'
    again = await client.get(entry["download"], headers={**who["member"], "If-None-Match": etag})
    assert again.status == 304
    part = await client.get(entry["download"], headers={**who["member"],
                                                        "Range": "bytes=100-199"})
    assert part.status == 206 and await part.read() == data[100:200]


async def test_bad_packages_are_refused_with_reasons(catalog, samples: dict[str, BuildResult],  # type: ignore[no-untyped-def]
                                                    tmp_path: Path) -> None:
    client, who = catalog
    source = samples["long-march"].path
    tampered = tmp_path / "t.exhibit"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(tampered, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            new.writestr(info, data.replace(b"Luding", b"Ludong") if info.filename.startswith(
                "scenes/") else data)
    refused = await client.post("/api/exhibits", data=io.BytesIO(tampered.read_bytes()),
                                headers=who["editor"])
    assert refused.status == 422
    assert "does not match its sha256" in (await refused.json())["error"]
    assert (await refused.json())["reason"] == "hash_mismatch"
    junk = await client.post("/api/exhibits", data=b"not a zip", headers=who["editor"])
    assert junk.status == 422 and "not a readable zip" in (await junk.json())["error"]
    assert (await junk.json())["reason"] == "not_a_package"
    huge = await client.post("/api/exhibits", data=io.BytesIO(b"\0" * (21 * 1024**2)),
                             headers=who["editor"])
    assert huge.status == 413 and (await huge.json())["reason"] == "too_large"
    incoming = list((tmp_path / "data" / "incoming").iterdir())
    assert incoming == []  # nothing half-written is left behind


async def test_queries_are_validated(catalog) -> None:  # type: ignore[no-untyped-def]
    client, who = catalog
    bad = await client.get("/api/exhibits?all=yes", headers=who["editor"])
    assert bad.status == 400 and (await bad.json())["fields"][0]["field"] == "all"
    unknown = await client.get("/api/exhibits?colour=red", headers=who["member"])
    assert unknown.status == 400
    assert (await client.get("/api/exhibits?all=1", headers=who["editor"])).status == 200


async def test_a_package_from_an_untrusted_key_says_how_to_trust_it(  # type: ignore[no-untyped-def]
        catalog, samples: dict[str, BuildResult], key_files: tuple[Path, Path],
        tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from tools.keys import key_fingerprint, load_public

    client, who = catalog
    # The sample, signed again with an editor's own key that the server does not know.
    own = Ed25519PrivateKey.generate()
    resigned = tmp_path / "own.exhibit"
    with zipfile.ZipFile(samples["founding"].path) as old, \
            zipfile.ZipFile(resigned, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            new.writestr(info, own.sign(old.read("manifest.json"))
                         if info.filename == "manifest.sig" else data)
    refused = await client.post("/api/exhibits", data=io.BytesIO(resigned.read_bytes()),
                                headers=who["editor"])
    assert refused.status == 422
    error = (await refused.json())["error"]
    assert "does not match any trusted publisher key" in error
    assert "REDHALL_TRUSTED_KEYS" in error and ".pub" in error
    assert key_fingerprint(load_public(key_files[1])) in error  # the key it does trust
    assert key_fingerprint(own.public_key()) not in error


@pytest.fixture
def hostile_set(tmp_path: Path, key) -> tuple[Path, list]:  # type: ignore[no-untyped-def]
    from tests.protocol.hostile import good_package, make_hostile

    good = good_package(tmp_path / "good", key)
    return good, make_hostile(good, key, tmp_path / "hostile")


async def test_hostile_uploads_are_refused_with_reasons_never_a_server_error(  # type: ignore[no-untyped-def]
        catalog, hostile_set, tmp_path: Path) -> None:
    client, who = catalog
    good, cases = hostile_set
    wrong = []
    for case in cases:
        answer = await client.post("/api/exhibits", data=io.BytesIO(case.path.read_bytes()),
                                   headers=who["editor"])
        body = await answer.text()
        if answer.status not in (413, 422) or not json.loads(body)["error"].startswith(
                ("package refused", "the package is larger")):
            wrong.append(f"{case.name}: {answer.status} {body[:200]}")
        elif str(case.path) in body or "Traceback" in body:
            wrong.append(f"{case.name}: the reply shows a path or a traceback")
    assert not wrong, "\n".join(wrong)
    assert not list((tmp_path / "data" / "incoming").iterdir())
    made = await client.post("/api/exhibits", data=io.BytesIO(good.read_bytes()),
                              headers=who["editor"])
    assert made.status == 201, await made.text()


def _strict(text: str) -> object:
    def refuse(name: str) -> None:
        raise ValueError(f"{name} in a reply")
    return json.loads(text, parse_constant=refuse)


async def test_infinity_in_a_credit_rule_never_reaches_the_catalog(  # type: ignore[no-untyped-def]
        catalog, hostile_set, database_url: str) -> None:
    client, who = catalog
    good, cases = hostile_set
    infinite = next(c for c in cases if c.name == "credit-infinity")
    refused = await client.post("/api/exhibits", data=io.BytesIO(infinite.path.read_bytes()),
                                headers=who["editor"])
    assert refused.status == 422 and "Infinity" in (await refused.json())["error"]
    made = await client.post("/api/exhibits", data=io.BytesIO(good.read_bytes()),
                             headers=who["editor"])
    assert made.status == 201
    assert (await client.post("/api/exhibits/tiny-exhibit/1.0.0/publish",
                              headers=who["editor"])).status == 200
    listing = await client.get("/api/exhibits", headers=who["member"])
    assert len(_strict(await listing.text())) == 1  # type: ignore[arg-type]
    if not database_url.startswith("sqlite"):
        return  # PostgreSQL's JSON cannot even store a non-finite number
    # A row kept before uploads were checked: left out of the list, never `Infinity`.
    from sqlalchemy import update

    from server.db.models import ExhibitVersion
    from server.keys import LISTING

    manifest = json.loads(await (await client.get("/api/exhibits/tiny-exhibit/1.0.0",
                                                  headers=who["editor"])).text())
    assert manifest["id"] == "tiny-exhibit"
    async with client.server.app[SESSIONS].begin() as db:
        row = (await db.execute(select(ExhibitVersion))).scalar_one()
        stored = dict(row.manifest)
        stored["scenes"] = [{**s, "credit": {**s["credit"], "min_minutes": float("inf")}}
                            for s in stored["scenes"]]
        await db.execute(update(ExhibitVersion).values(manifest=stored))
    client.server.app[LISTING].clear()
    for role in ("member", "editor"):
        listing = await client.get("/api/exhibits", headers=who[role])
        assert listing.status == 200 and _strict(await listing.text()) == []
    shown = await client.get("/api/exhibits/tiny-exhibit/1.0.0", headers=who["member"])
    assert shown.status == 409 and "Infinity" not in await shown.text()
