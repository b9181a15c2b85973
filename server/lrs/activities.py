"""An activity's canonical definition, merged from every definition the statements about
it carry (the Activities resource, GET /xapi/activities)."""

from __future__ import annotations

import copy
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.db.models import StatementActivity, StatementRow
from server.lrs.store import MAX_LIMIT

S = StatementRow
_DEFINITION_SCAN = 5000  # statements read, newest first, to make an activity's definition
_INTERACTION = ("interactionType", "correctResponsesPattern", "choices", "scale", "source",
                "target", "steps")


async def activity(sessions: async_sessionmaker[AsyncSession], activity_id: str
                   ) -> dict[str, Any] | None:
    """The activity with its canonical definition, made from every definition of it the
    statements about it carry (see :func:`merged_definition`)."""
    A = StatementActivity
    found: list[dict[str, Any]] = []
    async with sessions() as db:
        after = None
        for _ in range(_DEFINITION_SCAN // MAX_LIMIT):
            query = (select(S.number, S.body).join(A, A.number == S.number)
                     .where(A.activity == activity_id).order_by(S.number.desc())
                     .limit(MAX_LIMIT))
            if after is not None:
                query = query.where(S.number < after)
            rows = (await db.execute(query)).all()
            for row in rows:
                found += reversed(definitions_in(json.loads(row.body), activity_id))
            if len(rows) < MAX_LIMIT:
                break
            after = rows[-1].number
    if not found:
        return None
    return {"objectType": "Activity", "id": activity_id,
            "definition": merged_definition(list(reversed(found)))}


def definitions_in(statement: dict[str, Any], activity_id: str) -> list[dict[str, Any]]:
    """The definitions a statement gives the activity, in the order they appear: as its
    object, in its context activities, and the same in its sub-statement."""
    found = []
    for holder in (statement, statement.get("object", {})):
        target = holder.get("object", {})
        candidates = [target] if target.get("objectType", "Activity") == "Activity" else []
        for items in holder.get("context", {}).get("contextActivities", {}).values():
            candidates += items if isinstance(items, list) else [items]
        found += [a["definition"] for a in candidates
                  if a.get("id") == activity_id and "definition" in a]
        if statement.get("object", {}).get("objectType") != "SubStatement":
            break
    return found


def merged_definition(definitions: list[dict[str, Any]]) -> dict[str, Any]:
    """The canonical definition from definitions oldest first. Later statements add to and
    correct the name, description and each interaction component's description language
    by language, and replace type, moreInfo and each extension; the interaction itself
    (type, correct responses, the component lists) stays as first given, as a changed
    definition may not change what a response means."""
    merged: dict[str, Any] = {}
    for definition in definitions:
        for key in ("name", "description"):
            if key in definition:
                merged[key] = {**merged.get(key, {}), **definition[key]}
        for key in ("type", "moreInfo"):
            if key in definition:
                merged[key] = definition[key]
        if "extensions" in definition:
            merged["extensions"] = {**merged.get("extensions", {}), **definition["extensions"]}
        if "interactionType" not in merged and "interactionType" in definition:
            merged.update({k: copy.deepcopy(definition[k]) for k in _INTERACTION
                           if k in definition})
        elif definition.get("interactionType") == merged.get("interactionType"):
            for key in _INTERACTION[2:]:
                if key in merged and key in definition:
                    _merge_components(merged[key], definition[key])
    return merged


def _merge_components(held: list[dict[str, Any]], given: list[dict[str, Any]]) -> None:
    by_id = {component["id"]: component for component in held}
    for component in given:
        if component["id"] in by_id and "description" in component:
            mine = by_id[component["id"]]
            mine["description"] = {**mine.get("description", {}), **component["description"]}
