"""Statement attachments that carry their data: the multipart/mixed request body (the
statements first, then one part per attachment, named by its SHA-2), signed statements
(a JWS in a signature attachment), and the multipart answer to ``attachments=true``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from server.lrs.rules import StatementError, check_statement
from server.lrs.shape import same_statement

SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"
_HASHES = {56: hashlib.sha224, 64: hashlib.sha256, 96: hashlib.sha384, 128: hashlib.sha512}
_JWS_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "RS256": hashes.SHA256, "RS384": hashes.SHA384, "RS512": hashes.SHA512}
_BOUNDARY = re.compile(r'boundary=("?)([^";]+)\1', re.IGNORECASE)


@dataclass(frozen=True)
class Part:
    content_type: str
    content: bytes


def boundary_of(content_type: str) -> str:
    found = _BOUNDARY.search(content_type)
    if not found:
        raise StatementError("a multipart/mixed request needs a boundary in its "
                             "Content-Type header")
    return found.group(2)


def _headers(block: bytes) -> dict[str, str]:
    headers = {}
    for line in block.decode("utf-8", "replace").split("\r\n"):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise StatementError(f"a multipart part has a malformed header line {line!r}")
        headers[name.strip().lower()] = value.strip()
    return headers


def split(body: bytes, content_type: str) -> tuple[bytes, dict[str, Part]]:
    """The statements (the first part's JSON) and the attachment parts by their hash."""
    delimiter = b"\r\n--" + boundary_of(content_type).encode()
    chunks = (b"\r\n" + body).split(delimiter)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise StatementError("the multipart body must start with the boundary and end with "
                             "the closing boundary (--boundary--)")
    parts: list[tuple[dict[str, str], bytes]] = []
    for chunk in chunks[1:-1]:
        head, gap, content = chunk.partition(b"\r\n\r\n")
        if not gap:
            raise StatementError("a multipart part lacks the blank line after its headers")
        parts.append((_headers(head), content))
    first_headers, statements = parts[0]
    if first_headers.get("content-type", "").split(";")[0].strip().lower() != \
            "application/json":
        raise StatementError("the first part of a multipart request must be the statements, "
                             "with Content-Type: application/json")
    by_hash: dict[str, Part] = {}
    for headers, content in parts[1:]:
        sha2 = headers.get("x-experience-api-hash")
        if not sha2:
            raise StatementError("every attachment part needs an X-Experience-API-Hash "
                                 "header with the SHA-2 of its content")
        if headers.get("content-transfer-encoding", "").lower() != "binary":
            raise StatementError(f"attachment part {sha2}: send it with "
                                 "Content-Transfer-Encoding: binary")
        digest = _HASHES.get(len(sha2))
        if digest is None or digest(content).hexdigest() != sha2.lower():
            raise StatementError(f"attachment part {sha2}: its content does not have that "
                                 "SHA-2 hash")
        by_hash[sha2.lower()] = Part(headers.get("content-type", "application/octet-stream"),
                                     content)
    return statements, by_hash


def declared(statement: dict[str, Any]) -> list[dict[str, Any]]:
    """The attachments of a statement and of its sub-statement."""
    found = list(statement.get("attachments", []))
    target = statement.get("object", {})
    if target.get("objectType") == "SubStatement":
        found += target.get("attachments", [])
    return found


def match(statements: Iterable[dict[str, Any]], parts: dict[str, Part]) -> None:
    """Every attachment without a fileUrl has its part, and every part an attachment."""
    wanted, named = set(), set()
    for i, statement in enumerate(statements):
        for attachment in declared(statement):
            sha2 = attachment["sha2"].lower()
            named.add(sha2)
            if "fileUrl" not in attachment:
                wanted.add(sha2)
                if sha2 not in parts:
                    raise StatementError(f"statements[{i}]: attachment {sha2} has neither a "
                                         "fileUrl nor a part with its data")
    extra = set(parts) - named
    if extra:
        raise StatementError(f"parts {', '.join(sorted(extra))} belong to no attachment of "
                             "the statements")


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def check_signatures(statements: Iterable[dict[str, Any]], parts: dict[str, Part],
                     version: str = "1.0.3") -> None:
    """Signed statements: a signature attachment is application/octet-stream, and where
    its data came along it is a JWS (RS256/384/512) whose payload is this statement (by
    the comparison rules of the request's xAPI ``version``), verified against the
    certificate in its x5c header when it has one."""
    for i, statement in enumerate(statements):
        for attachment in statement.get("attachments", []):
            if attachment["usageType"] != SIGNATURE:
                continue
            where = f"statements[{i}]: signature attachment"
            if attachment["contentType"] != "application/octet-stream":
                raise StatementError(f"{where} must have contentType "
                                     "application/octet-stream")
            part = parts.get(attachment["sha2"].lower())
            if part is not None:
                _verify(statement, part.content, where, version)


def _verify(statement: dict[str, Any], token: bytes, where: str, version: str) -> None:
    try:
        head, body, signature = token.decode("ascii").strip().split(".")
        header, payload = json.loads(_b64(head)), json.loads(_b64(body))
        signature_bytes = _b64(signature)
    except (UnicodeDecodeError, ValueError, binascii.Error):
        raise StatementError(f"{where} is not a JWS in compact serialization") from None
    if not isinstance(header, dict) or not isinstance(header.get("alg"), str) or \
            header["alg"] not in _JWS_HASHES:
        raise StatementError(f"{where}: the JWS must use RS256, RS384 or RS512")
    if not isinstance(payload, dict) or not _same_signed(payload, statement, version):
        raise StatementError(f"{where}: the JWS payload is not this statement")
    chain = header.get("x5c")
    if chain is not None and not (isinstance(chain, list) and chain
                                  and all(isinstance(c, str) for c in chain)):
        raise StatementError(f"{where}: the JWS x5c header must be a list of certificates")
    if chain:
        try:
            key = x509.load_der_x509_certificate(base64.b64decode(chain[0])).public_key()
            if not isinstance(key, rsa.RSAPublicKey):
                raise ValueError("not an RSA key")
            key.verify(signature_bytes, f"{head}.{body}".encode(), padding.PKCS1v15(),
                       _JWS_HASHES[header["alg"]]())
        except (ValueError, TypeError, binascii.Error, InvalidSignature):
            raise StatementError(f"{where}: the signature does not verify with the "
                                 "certificate in its x5c header") from None


def _unsigned(statement: dict[str, Any]) -> dict[str, Any]:
    plain = {k: v for k, v in statement.items() if k != "attachments"}
    kept = [a for a in statement.get("attachments", []) if a.get("usageType") != SIGNATURE]
    if kept:
        plain["attachments"] = kept
    return plain


def _same_signed(payload: dict[str, Any], statement: dict[str, Any], version: str) -> bool:
    try:
        check_statement(payload, "JWS payload")
    except StatementError:
        return False  # the comparison rules read only valid statements
    if "id" in payload and (not isinstance(statement.get("id"), str)
                            or payload["id"].lower() != statement["id"].lower()):
        return False
    return same_statement(_unsigned(statement), _unsigned(payload), version)


def multipart(text: str, parts: Iterable[tuple[str, Part]],
              boundary: str = "redhall-statements") -> tuple[bytes, str]:
    """The ``attachments=true`` answer: the JSON, then each attachment's data."""
    chunks = [f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode(),
              text.encode(), b"\r\n"]
    for sha2, part in parts:
        chunks += [f"--{boundary}\r\nContent-Type: {part.content_type}\r\n"
                   f"Content-Transfer-Encoding: binary\r\nX-Experience-API-Hash: {sha2}"
                   "\r\n\r\n".encode(), part.content, b"\r\n"]
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/mixed; boundary={boundary}"
