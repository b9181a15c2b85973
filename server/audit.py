"""The append-only audit log of admin and editor actions."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal
from server.db.models import AuditEntry


def record(db: AsyncSession, actor: Principal | None, action: str, target: str,
           **detail: Any) -> None:
    """Add an entry to the caller's transaction: it commits with the action or not at all."""
    db.add(AuditEntry(actor_id=actor.user_id if actor else None, action=action, target=target,
                      detail=detail))
