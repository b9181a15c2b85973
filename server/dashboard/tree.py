"""Which organizations an administrator oversees: their own and every one below it (an
administrator of no organization oversees them all)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.db.models import Organization
from server.failures import Forbidden, NotFound


@dataclass(frozen=True)
class Org:
    id: int
    name: str
    kind: str
    parent_id: int | None


@dataclass(frozen=True)
class Subtree:
    """An organization (None: the whole system) and everything below it, by id."""

    root: Org | None
    orgs: dict[int, Org]
    above: tuple[Org, ...] = ()  # from the administrator's organization down to the root

    @property
    def ids(self) -> list[int]:
        return sorted(self.orgs)

    @property
    def is_branch(self) -> bool:
        return self.root is not None and self.root.kind == "branch"

    def path(self, org_id: int) -> list[Org]:
        """From the administrator's organization down to ``org_id`` (the breadcrumbs)."""
        trail = []
        current = self.orgs.get(org_id)
        while current is not None:
            trail.append(current)
            if self.root is not None and current.id == self.root.id:
                break
            current = self.orgs.get(current.parent_id) if current.parent_id else None
        return [*self.above, *trail[::-1]]


async def _all(sessions: async_sessionmaker[AsyncSession]) -> dict[int, Org]:
    async with sessions() as db:
        rows = (await db.execute(select(Organization.id, Organization.name, Organization.kind,
                                        Organization.parent_id))).all()
    return {row.id: Org(row.id, row.name, row.kind, row.parent_id) for row in rows}


def _below(everything: dict[int, Org], root: int | None) -> dict[int, Org]:
    children: dict[int | None, list[int]] = defaultdict(list)
    for org in everything.values():
        children[org.parent_id].append(org.id)
    found: dict[int, Org] = {}
    waiting = [root] if root is not None else list(children[None])
    while waiting:  # organizations are few (hundreds): walked here, not in SQL
        current = waiting.pop()
        if current in found or current not in everything:
            continue  # a cycle in bad data must not loop
        found[current] = everything[current]
        waiting.extend(children[current])
    return found


async def overseen(sessions: async_sessionmaker[AsyncSession], admin_org: int | None,
                   wanted: int | None) -> Subtree:
    """The subtree at ``wanted`` (default: the administrator's own organization), which
    must lie within ``admin_org``'s: NotFound for no such organization, Forbidden for
    one elsewhere."""
    everything = await _all(sessions)
    mine = _below(everything, admin_org)
    if wanted is None:
        if admin_org is None:
            return Subtree(None, mine)
        wanted = admin_org
    if wanted not in everything:
        raise NotFound(f"no such organization: {wanted}")
    if wanted not in mine:
        raise Forbidden("that organization is not one you oversee")
    return Subtree(everything[wanted], _below(everything, wanted),
                   tuple(Subtree(None, mine).path(wanted)[:-1]))
