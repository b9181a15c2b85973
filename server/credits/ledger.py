"""The credit ledger: append-only awards, each entry hashing the one before it.

Editing an entry breaks its hash; removing or reordering entries breaks the chain; removing
the newest entries is caught by the signed head the server keeps beside its data."""

from __future__ import annotations

import fcntl
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.credits.signing import Signer
from server.db.models import LedgerEntry

GENESIS = "0" * 64
HASHED = ("seq", "award_key", "user_id", "year", "hours", "exhibit_id", "subject", "basis",
          "at", "prev_hash")


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(fields: dict[str, Any]) -> str:
    return hashlib.sha256(canonical({k: fields[k] for k in HASHED})).hexdigest()


def as_fields(entry: LedgerEntry) -> dict[str, Any]:
    return {k: getattr(entry, k) for k in (*HASHED, "hash")}


@dataclass(frozen=True)
class Award:
    award_key: str
    user_id: int
    year: int
    hours: str
    exhibit_id: str
    subject: dict[str, Any]
    basis: dict[str, Any]
    at: str


async def append(db: AsyncSession, award: Award) -> LedgerEntry | None:
    """Appends ``award`` in the caller's transaction; None if it was awarded before.
    Raises IntegrityError when another writer took the same sequence number (retry)."""
    if await db.scalar(select(LedgerEntry.seq).where(LedgerEntry.award_key == award.award_key)):
        return None
    last = (await db.execute(select(LedgerEntry.seq, LedgerEntry.hash)
                             .order_by(LedgerEntry.seq.desc()).limit(1))).first()
    seq, prev = (last.seq + 1, last.hash) if last else (1, GENESIS)
    fields = {**award.__dict__, "seq": seq, "prev_hash": prev}
    entry = LedgerEntry(**fields, hash=entry_hash(fields))
    db.add(entry)
    await db.flush()
    return entry


async def entries(sessions: async_sessionmaker[AsyncSession]) -> list[dict[str, Any]]:
    async with sessions() as db:
        rows = (await db.scalars(select(LedgerEntry).order_by(LedgerEntry.seq))).all()
    return [as_fields(row) for row in rows]


def problems(chain: list[dict[str, Any]], head: dict[str, Any] | None) -> list[str]:
    """Everything wrong with the chain (empty: intact), checked against the signed head."""
    found = []
    previous = GENESIS
    for expected_seq, entry in enumerate(chain, start=1):
        if entry["seq"] != expected_seq:
            found.append(f"entry {expected_seq} is missing (next is {entry['seq']})")
        if entry_hash(entry) != entry["hash"]:
            found.append(f"entry {entry['seq']} was edited: its content does not match its hash")
        if entry["prev_hash"] != previous:
            found.append(f"entry {entry['seq']} does not follow the entry before it "
                         "(removed or reordered entries)")
        previous = entry["hash"]
    if head is not None:
        if head["seq"] > len(chain):
            found.append(f"the signed head says {head['seq']} entries, the ledger holds "
                         f"{len(chain)}: the newest entries were removed")
        elif head["seq"] > 0 and chain[head["seq"] - 1]["hash"] != head["hash"]:
            found.append(f"entry {head['seq']} differs from the signed head")
    return found


class Head:
    """The newest (seq, hash) the server appended, signed, in ``data_dir/ledger-head.json``."""

    def __init__(self, path: Path, signer: Signer) -> None:
        self.path = path
        self.signer = signer

    def read(self) -> dict[str, Any] | None:
        if not self.path.exists():
            return None
        data = json.loads(self.path.read_text(encoding="utf-8"))
        body = {"seq": data["seq"], "hash": data["hash"]}
        if not self.signer.verify(canonical(body), data["signature"]):
            raise ValueError(f"{self.path} is not signed by this server's key")
        return body

    def advance(self, seq: int, digest: str) -> None:
        # Several workers append to one ledger: the check and the write happen under a
        # lock, or a slower worker could put an older head back.
        with self.path.with_suffix(".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            current = self.read()
            if current is not None and current["seq"] >= seq:
                return
            body = {"seq": seq, "hash": digest}
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text(json.dumps({**body, "signature": self.signer.sign(
                canonical(body))}), encoding="utf-8")
            temporary.replace(self.path)


async def append_with_retry(sessions: async_sessionmaker[AsyncSession], award: Award,
                            also: Any = None) -> LedgerEntry | None:
    """Appends in its own transaction, retrying when a concurrent writer took the next
    number; ``also(db, entry)`` adds more to the same transaction."""
    for _ in range(10):
        try:
            async with sessions.begin() as db:
                entry = await append(db, award)
                if entry is not None and also is not None:
                    await also(db, entry)
            return entry
        except IntegrityError:
            continue
    raise RuntimeError("the credit ledger stayed busy; try again")
