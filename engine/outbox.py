"""Participation facts leave the engine through one interface; offline they wait in an
append-only JSON-lines outbox and are delivered later, once each, in order."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from pydantic import TypeAdapter

from protocol.participation import ParticipationFact

_FACT: TypeAdapter[ParticipationFact] = TypeAdapter(ParticipationFact)


class FactSink(Protocol):
    def emit(self, fact: ParticipationFact) -> None:
        """Record one fact durably before returning."""
        ...


class Outbox:
    """``outbox.jsonl`` (pending facts) and ``delivered.jsonl`` (ids already delivered)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.pending_file = folder / "outbox.jsonl"
        self.delivered_file = folder / "delivered.jsonl"

    def emit(self, fact: ParticipationFact) -> None:
        line = _FACT.dump_json(fact).decode() + "\n"
        with self.pending_file.open("a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())

    def _delivered(self) -> set[str]:
        if not self.delivered_file.exists():
            return set()
        return set(self.delivered_file.read_text(encoding="utf-8").split())

    def pending(self) -> list[ParticipationFact]:
        """Facts not yet delivered, oldest first, each id once."""
        if not self.pending_file.exists():
            return []
        done = self._delivered()
        seen: set[str] = set()
        facts = []
        for line in self.pending_file.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            try:
                fact = _FACT.validate_json(line)
            except ValueError:
                continue  # a line cut short by a crash mid-write; its fact was never acked
            key = str(fact.id)
            if key not in done and key not in seen:
                seen.add(key)
                facts.append(fact)
        return facts

    def mark_delivered(self, facts: list[ParticipationFact]) -> None:
        with self.delivered_file.open("a", encoding="utf-8") as handle:
            handle.write("".join(f"{fact.id}\n" for fact in facts))
            handle.flush()
            os.fsync(handle.fileno())
