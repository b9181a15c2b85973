"""Statements with attachment data (multipart/mixed) and signed statements (JWS), stored
and served back with ``attachments=true``."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import json
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from server.lrs.attachments import SIGNATURE
from tests.server.test_lrs import Lrs, lrs, statement  # noqa: F401 (fixture)

BOUNDARY = "-------314159265358979323846"
PHOTO = "合影 of the Jinggangshan meeting".encode() + bytes(range(256))


def _meta(content: bytes, content_type: str = "image/jpeg",
          usage: str = "http://example.com/usage/photo") -> dict[str, Any]:
    return {"usageType": usage, "display": {"en-US": "photo"}, "contentType": content_type,
            "length": len(content), "sha2": hashlib.sha256(content).hexdigest()}


def _multipart(body: Any, parts: list[tuple[bytes, dict[str, str]]],
               first_type: str = "application/json") -> bytes:
    out = [f"--{BOUNDARY}\r\nContent-Type: {first_type}\r\n\r\n".encode(),
           json.dumps(body).encode(), b"\r\n"]
    for content, headers in parts:
        out.append(f"--{BOUNDARY}\r\n".encode())
        out += [f"{k}: {v}\r\n".encode() for k, v in headers.items()]
        out += [b"\r\n", content, b"\r\n"]
    out.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(out)


def _part(content: bytes, content_type: str = "image/jpeg") -> tuple[bytes, dict[str, str]]:
    return content, {"Content-Type": content_type, "Content-Transfer-Encoding": "binary",
                     "X-Experience-API-Hash": hashlib.sha256(content).hexdigest()}


async def _post(lrs: Lrs, data: bytes, boundary: str | None = BOUNDARY):  # type: ignore[no-untyped-def]  # noqa: F811 (fixture)
    content_type = "multipart/mixed" + (f"; boundary={boundary}" if boundary else "")
    return await lrs.client.post("/xapi/statements", data=data,
                                 headers={**lrs.headers, "Content-Type": content_type})


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_attachment_data_is_stored_and_served(lrs: Lrs) -> None:  # noqa: F811 (fixture)
    s = statement(attachments=[_meta(PHOTO)])
    reply = await _post(lrs, _multipart([s], [_part(PHOTO)]))
    assert reply.status == 200, await reply.text()
    got = await lrs.client.get(f"/xapi/statements?statementId={s['id']}&attachments=true",
                               headers=lrs.headers)
    assert got.status == 200 and got.content_type == "multipart/mixed"
    boundary = got.headers["Content-Type"].split("boundary=")[1]
    raw = await got.read()
    chunks = raw.split(f"--{boundary}".encode())
    assert json.loads(chunks[1].split(b"\r\n\r\n", 1)[1])["id"] == s["id"]
    head, content = chunks[2].split(b"\r\n\r\n", 1)
    assert content[:-2] == PHOTO  # the part ends with CRLF before the next boundary
    assert f"X-Experience-API-Hash: {_meta(PHOTO)['sha2']}".encode() in head
    # a list query carries the data too; without attachments=true it is plain JSON
    listed = await lrs.client.get("/xapi/statements?attachments=true", headers=lrs.headers)
    assert PHOTO in await listed.read()
    assert (await lrs.get(statementId=s["id"])).content_type == "application/json"


async def test_multipart_requests_are_checked(lrs: Lrs) -> None:  # noqa: F811 (fixture)
    s = statement(attachments=[_meta(PHOTO)])
    other = b"another file"
    base64_part = (PHOTO, {**_part(PHOTO)[1], "Content-Transfer-Encoding": "base64"})
    no_hash = (PHOTO, {"Content-Type": "image/jpeg", "Content-Transfer-Encoding": "binary"})
    wrong_bytes = (b"not the photo", _part(PHOTO)[1])
    cases = {
        "data missing": _multipart([s], []),
        "a part no attachment names": _multipart([s], [_part(PHOTO), _part(other)]),
        "not binary": _multipart([s], [base64_part]),
        "no hash header": _multipart([s], [no_hash]),
        "content differs from its hash": _multipart([s], [wrong_bytes]),
        "statements not first": _multipart([s], [_part(PHOTO)], first_type="text/plain"),
        "no closing boundary": _multipart([s], [_part(PHOTO)]).rsplit(b"--", 1)[0],
    }
    for name, body in cases.items():
        reply = await _post(lrs, body)
        assert reply.status == 400, name
        assert (await reply.json())["error"], name
    assert (await _post(lrs, _multipart([s], [_part(PHOTO)]), boundary=None)).status == 400
    # nothing of the refused requests was stored
    assert await lrs.query() == []
    # a fileUrl attachment in a multipart request needs no part
    linked = statement(attachments=[{**_meta(other), "fileUrl": "http://example.com/f"}])
    assert (await _post(lrs, _multipart([linked], []))).status == 200


def _certificate() -> tuple[rsa.RSAPrivateKey, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "RedHall test signer")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    return key, base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _jws(payload: dict[str, Any], key: rsa.RSAPrivateKey, x5c: str | None,
         alg: str = "RS256") -> bytes:
    header = {"alg": alg, **({"x5c": [x5c]} if x5c else {})}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
    digest = {"RS256": hashes.SHA256(), "RS384": hashes.SHA384(), "RS512": hashes.SHA512(),
              "HS256": hashes.SHA256()}[alg]
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), digest)
    return f"{signing_input}.{_b64(signature)}".encode()


def _signed(s: dict[str, Any], token: bytes) -> dict[str, Any]:
    signed = copy.deepcopy(s)
    signed["attachments"] = [_meta(token, "application/octet-stream", SIGNATURE)]
    return signed


async def test_signed_statements(lrs: Lrs) -> None:  # noqa: F811 (fixture)
    key, x5c = _certificate()
    good = statement()
    token = _jws(good, key, x5c, "RS384")
    reply = await _post(lrs, _multipart([_signed(good, token)],
                                        [_part(token, "application/octet-stream")]))
    assert reply.status == 200, await reply.text()

    def refused_because(s: dict[str, Any], token: bytes) -> bytes:
        return _multipart([_signed(s, token)], [_part(token, "application/octet-stream")])

    tampered = statement()
    altered = {**tampered, "verb": {"id": "http://adlnet.gov/expapi/verbs/passed"}}
    other_key, _ = _certificate()
    s = statement()
    cases = {
        "payload is another statement": refused_because(tampered, _jws(altered, key, x5c)),
        "signed with another key": refused_because(s, _jws(s, other_key, x5c)),
        "not RSA with SHA-2": refused_because(s, _jws(s, key, x5c, "HS256")),
        "not a JWS": refused_because(s, b"just some bytes"),
    }
    for name, body in cases.items():
        reply = await _post(lrs, body)
        assert reply.status == 400, name
        assert "JWS" in (error := (await reply.json())["error"]) or "signature" in error, name
    # a signature attachment must be application/octet-stream
    wrong_type = statement(attachments=[{**_meta(b"x", "text/plain", SIGNATURE),
                                         "fileUrl": "http://example.com/sig"}])
    reply = await lrs.post([wrong_type])
    assert reply.status == 400 and "octet-stream" in (await reply.json())["error"]
    assert [x["id"] for x in await lrs.query()] == [good["id"]]
