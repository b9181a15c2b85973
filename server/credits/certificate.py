"""Yearly credit certificates: the member's awards for a calendar year, signed with the
server's Ed25519 key so anyone can check them offline (``redhall certificate verify``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from server.credits.ledger import canonical
from server.credits.signing import Signer, fingerprint, public_from_text, verify_with

KIND = "redhall-credit-certificate/1"


def issue(signer: Signer, *, member: dict[str, Any], year: int, target: float,
          entries: list[dict[str, Any]], issued_at: str) -> dict[str, Any]:
    total = sum((Decimal(e["hours"]) for e in entries), Decimal(0))
    body = {"kind": KIND, "member": member, "year": year, "hours": str(total),
            "target": f"{target:g}", "met": total >= Decimal(str(target)),
            "awards": [{"seq": e["seq"], "hours": e["hours"], "subject": e["subject"],
                        "at": e["at"], "hash": e["hash"]} for e in entries],
            "issued_at": issued_at}
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
