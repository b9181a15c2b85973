"""What the browser viewer loads a package by: the manifest as signed (its signature in a
header) and each entry by its sha256, only for versions the caller may see, cached for
good; an entry the stored package no longer holds as the manifest says is refused."""

import base64
import hashlib
import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from yarl import URL

from server.keys import STORE
from tests.server.test_catalog import catalog  # noqa: F401
from tools.build import BuildResult

Who = dict[str, dict[str, str]]
Client = TestClient[web.Request, web.Application]
BASE = "/api/exhibits/founding/1.0.0"


async def _uploaded(client: Client, who: Who, samples: dict[str, BuildResult]) -> str:
    made = await client.post("/api/exhibits", headers=who["editor"],
                             data=io.BytesIO(samples["founding"].path.read_bytes()))
    assert made.status == 201, await made.text()
    return str((await made.json())["sha256"])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_manifest_and_entries_by_hash_for_those_who_may_see_them(
        catalog: tuple[Client, Who], samples: dict[str, BuildResult],  # noqa: F811
        key: Ed25519PrivateKey) -> None:
    client, who = catalog
    await _uploaded(client, who, samples)
    with zipfile.ZipFile(samples["founding"].path) as archive:
        signed = archive.read("manifest.json")
        first = json.loads(signed)["entries"][0]
        first_bytes = archive.read(first["path"])
    # unpublished: only editors see it
    assert (await client.get(BASE + "/manifest", headers=who["member"])).status == 404
    assert (await client.get(BASE + "/manifest")).status == 401
    assert (await client.get(BASE + "/manifest", headers=who["editor"])).status == 200
    await client.post(BASE + "/publish", headers=who["editor"])
    reply = await client.get(BASE + "/manifest", headers=who["member"])
    assert reply.status == 200
    assert await reply.read() == signed
    signature = base64.b64decode(reply.headers["X-Manifest-Signature"])
    key.public_key().verify(signature, signed)  # raises if it is not the publisher's
    assert reply.headers["Cache-Control"] == "private, no-cache"
    again = await client.get(BASE + "/manifest", headers={
        **who["member"], "If-None-Match": reply.headers["ETag"]})
    assert again.status == 304
    entry = await client.get(f"{BASE}/entries/{first['sha256']}", headers=who["member"])
    assert entry.status == 200
    body = await entry.read()
    assert body == first_bytes and hashlib.sha256(body).hexdigest() == first["sha256"]
    assert "immutable" in entry.headers["Cache-Control"]
    assert entry.headers["ETag"] == f'"{first["sha256"]}"'
    unknown = await client.get(f"{BASE}/entries/{'ab' * 32}", headers=who["member"])
    assert unknown.status == 404 and "no entry" in (await unknown.json())["error"]
    assert (await client.get(f"{BASE}/entries/../manifest.sig",
                             headers=who["member"])).status == 404
    other = await client.get("/api/exhibits/long-march/1.0.0/manifest", headers=who["member"])
    assert other.status == 404


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_an_entry_altered_in_the_store_is_refused(
        catalog: tuple[Client, Who], samples: dict[str, BuildResult],  # noqa: F811
        tmp_path: Path) -> None:
    client, who = catalog
    sha256 = await _uploaded(client, who, samples)
    await client.post(BASE + "/publish", headers=who["editor"])
    assert client.app is not None
    stored = client.app[STORE].path(sha256)
    with zipfile.ZipFile(stored) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        names = archive.namelist()
        contents = {name: archive.read(name) for name in names}
    model = next(e for e in manifest["entries"] if e["path"].endswith(".glb"))
    data = bytearray(contents[model["path"]])
    data[-1] ^= 0xFF
    contents[model["path"]] = bytes(data)
    altered = tmp_path / "altered.exhibit"
    with zipfile.ZipFile(altered, "w") as out:
        for name in names:
            out.writestr(name, contents[name])
    shutil.copy(altered, stored)
    reply = await client.get(f"{BASE}/entries/{model['sha256']}", headers=who["member"])
    assert reply.status == 409
    assert "no longer matches its manifest" in (await reply.json())["error"]


async def test_three_js_is_served_under_one_spelling_of_each_path(
        catalog: tuple[Client, Who]) -> None:  # noqa: F811
    client, _ = catalog
    good = await client.get("/vendor/three/build/three.module.js")
    assert good.status == 200
    for odd in ("build/./three.module.js", "build//three.module.js",
                "examples/jsm/../../build/three.module.js", "build/three.module.js/."):
        # sent as written (a client library would tidy the path; a hostile one does not)
        raw = URL(f"{str(client.make_url('/')).rstrip('/')}/vendor/three/{odd}", encoded=True)
        reply = await client.session.get(raw)
        assert reply.status == 404, (odd, reply.status, reply.url)
