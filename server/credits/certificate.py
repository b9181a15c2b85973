"""Yearly credit certificates: the member's awards for a calendar year, signed with the
server's Ed25519 key so anyone can check them offline (``redhall certificate verify``)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from server.credits.ledger import canonical
from server.credits.signing import Signer, fingerprint, public_from_text, verify_with

KIND = "redhall-credit-certificate/1"
_ID = re.compile(r"([0-9]{1,10})-([0-9]{4})-([0-9]{1,10})-([0-9a-f]{24})")
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class CertificateId:
    """Names a certificate for the public check: the member, the year, the newest ledger
    entry it counts (0: none), and a keyed digest of these and its awards' hashes. The
    digest's key is held by the server alone, so no one can make up a valid id."""

    user: int
    year: int
    upto: int
    digest: str

    def __str__(self) -> str:
        return f"{self.user}-{self.year}-{self.upto}-{self.digest}"

    @classmethod
    def of(cls, key: bytes, user: int, year: int, entries: list[dict[str, Any]]
           ) -> CertificateId:
        upto = max((e["seq"] for e in entries), default=0)
        return cls(user, year, upto, awards_digest(key, user, year, upto, entries))

    @classmethod
    def parse(cls, text: str) -> CertificateId | None:
        found = _ID.fullmatch(text)
        if not found or max(int(found[1]), int(found[3])) > MAX_ID:
            return None
        return cls(int(found[1]), int(found[2]), int(found[3]), found[4])

    def matches(self, key: bytes, entries: list[dict[str, Any]]) -> bool:
        """Whether this id names exactly ``entries``: the member's awards of the year up to
        ledger entry ``upto``, the newest of them being ``upto`` itself."""
        newest = max((e["seq"] for e in entries), default=0)
        return newest == self.upto and hmac.compare_digest(
            self.digest, awards_digest(key, self.user, self.year, self.upto, entries))


def id_key(signer: Signer) -> bytes:
    """The key of certificate ids' digests: derived from the server's signing key, so it
    is as secret as that key and the same in every process sharing the data directory."""
    return hmac.new(signer.private_bytes, b"redhall certificate id/1",
                    hashlib.sha256).digest()


def awards_digest(key: bytes, user: int, year: int, upto: int,
                  entries: list[dict[str, Any]]) -> str:
    return hmac.new(key, canonical({"user": user, "year": year, "upto": upto,
                                    "awards": [e["hash"] for e in entries]}),
                    hashlib.sha256).hexdigest()[:24]


def issue(signer: Signer, *, member: dict[str, Any], year: int, target: float,
          entries: list[dict[str, Any]], issued_at: str, site_url: str | None = None
          ) -> dict[str, Any]:
    total = sum((Decimal(e["hours"]) for e in entries), Decimal(0))
    ident = str(CertificateId.of(id_key(signer), int(member["id"]), year, entries))
    body = {"kind": KIND, "id": ident, "member": member, "year": year, "hours": str(total),
            "target": f"{target:g}", "met": total >= Decimal(str(target)),
            "awards": [{"seq": e["seq"], "hours": e["hours"], "subject": e["subject"],
                        "at": e["at"], "hash": e["hash"]} for e in entries],
            "issued_at": issued_at}
    if site_url is not None:
        body["check_url"] = f"{site_url.rstrip('/')}/api/certificates/{ident}/check"
    return {"certificate": body, "public_key": signer.public_text,
            "signature": signer.sign(canonical(body))}


def check(document: Any, trusted_key: str | None = None) -> list[str]:
    """What is wrong with a certificate document (empty: genuine and whole)."""
    try:
        body, key, signature = (document["certificate"], document["public_key"],
                                document["signature"])
        public = public_from_text(key)
    except KeyError as exc:
        return [f"not a RedHall certificate: it has no {exc.args[0]!r}"]
    except (TypeError, ValueError) as exc:
        return [f"not a RedHall certificate ({exc})"]
    found = []
    if trusted_key is not None and trusted_key.strip() != key:
        found.append(f"signed by key {fingerprint(key)}, not the trusted key "
                     f"{fingerprint(trusted_key.strip())}")
    if not verify_with(public, canonical(body), signature):
        found.append("the signature does not match the content: it was altered")
    elif body.get("kind") != KIND:
        found.append(f"unknown certificate kind {body.get('kind')!r}")
    else:
        total = sum((Decimal(a["hours"]) for a in body["awards"]), Decimal(0))
        if total != Decimal(body["hours"]):
            found.append("the awards do not add up to the hours stated")
    return found


def load(data: bytes) -> Any:
    """A certificate document from the bytes of its JSON or of its PDF."""
    if data.lstrip()[:5] == b"%PDF-":
        from server.credits.certificate_pdf import attached

        return attached(data)
    return json.loads(data.decode("utf-8"))
