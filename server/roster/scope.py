"""What an administrator may see: their organization and everything under it (an
administrator attached to no organization sees every organization)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, cast, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from server.auth import Principal
from server.db.models import AuditEntry, Organization, Tour, TourBranch, User
from server.failures import NotFound


@dataclass(frozen=True)
class OrgNode:
    """An organization in the tree, with how deep it sits (0: the root)."""

    org: Organization
    depth: int


@dataclass(frozen=True)
class Tree:
    """The organizations one administrator manages, in display order (each followed by
    the ones under it)."""

    nodes: list[OrgNode]

    @property
    def ids(self) -> set[int]:
        return {node.org.id for node in self.nodes}

    def get(self, org_id: int | None) -> Organization | None:
        return next((node.org for node in self.nodes if node.org.id == org_id), None)

    def org(self, org_id: int | None, what: str = "organization") -> Organization:
        """The organization, if it is in the tree; else NotFound (one outside the tree
        does not exist for this administrator)."""
        found = self.get(org_id)
        if found is None:
            raise NotFound(f"no such {what}")
        return found


async def tree_of(db: AsyncSession, principal: Principal) -> Tree:
    orgs = (await db.scalars(select(Organization).order_by(Organization.id))).all()
    children: dict[int | None, list[Organization]] = {}
    for org in orgs:
        children.setdefault(org.parent_id, []).append(org)
    roots = [org for org in orgs if org.id == principal.org_id] \
        if principal.org_id is not None else children.get(None, [])
    nodes: list[OrgNode] = []
    seen: set[int] = set()

    def walk(org: Organization, depth: int) -> None:
        if org.id in seen:  # a cycle in hand-edited data must not hang the page
            return
        seen.add(org.id)
        nodes.append(OrgNode(org, depth))
        for child in children.get(org.id, []):
            walk(child, depth + 1)

    for root in roots:
        walk(root, 0)
    return Tree(nodes)


def may_see_user(tree: Tree, principal: Principal, user: User | None) -> bool:
    """Whether ``user`` is someone this administrator manages: in their tree (or, for an
    administrator of no organization, anyone); deleted accounts are gone for everyone."""
    if user is None or user.deleted_at is not None:
        return False
    if principal.org_id is None:
        return True
    return user.org_id is not None and user.org_id in tree.ids


async def managed_user(db: AsyncSession, principal: Principal, user_id: int) -> tuple[User, Tree]:
    """The user, if this administrator manages them; else NotFound."""
    tree = await tree_of(db, principal)
    user = await db.get(User, user_id)
    if user is None or not may_see_user(tree, principal, user):
        raise NotFound("no such person")
    return user, tree


async def overseen_orgs(db: AsyncSession, principal: Principal) -> frozenset[int] | None:
    """The organizations an administrator oversees: their tree, or None for one attached
    to no organization (who oversees everything)."""
    if principal.org_id is None:
        return None
    return frozenset((await tree_of(db, principal)).ids)


def tours_of(orgs: frozenset[int]) -> ColumnElement[bool]:
    """A tour belongs to a tree if it invites one of its branches or its guide is one of
    the tree's people."""
    return or_(Tour.id.in_(select(TourBranch.tour_id).where(TourBranch.org_id.in_(orgs))),
               Tour.guide_id.in_(select(User.id).where(User.org_id.in_(orgs))))


async def oversees_tour(db: AsyncSession, principal: Principal, tour_id: int) -> bool:
    """Whether this administrator oversees the tour (see :func:`tours_of`)."""
    orgs = await overseen_orgs(db, principal)
    if orgs is None:
        return True
    return await db.scalar(select(Tour.id).where(Tour.id == tour_id, tours_of(orgs))) \
        is not None


def audit_scoped(query: Select[Any], principal: Principal, tree: Tree) -> Select[Any]:
    """``query`` over the audit log kept to what an administrator of a committee may see:
    what their tree's people did, and what was done to their people and organizations."""
    if principal.org_id is None:
        return query
    people = select(User.id).where(User.org_id.in_(tree.ids))
    user_targets = select(literal("user:") + cast(User.id, String)).where(
        User.org_id.in_(tree.ids))
    return query.where(or_(AuditEntry.actor_id.in_(people),
                           AuditEntry.target.in_(user_targets),
                           AuditEntry.target.in_([f"org:{i}" for i in tree.ids])))


async def oversees_user(db: AsyncSession, principal: Principal, user: User) -> bool:
    """Whether this administrator manages ``user`` (see :func:`may_see_user`)."""
    return principal.org_id is None or may_see_user(await tree_of(db, principal), principal,
                                                    user)
