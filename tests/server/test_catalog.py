"""The catalog: verified uploads, versions, publishing, listing, ETag and Range downloads."""

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

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
    junk = await client.post("/api/exhibits", data=b"not a zip", headers=who["editor"])
    assert junk.status == 422 and "not a readable zip" in (await junk.json())["error"]
    huge = await client.post("/api/exhibits", data=io.BytesIO(b"\0" * (21 * 1024**2)),
                             headers=who["editor"])
    assert huge.status == 413
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
