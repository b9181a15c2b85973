"""What the LRS derives from a valid statement: agent keys and the agents and activities it
is about (for the query filters), its normal form, equivalence, and the output formats."""

from __future__ import annotations

import copy
import json
from typing import Any

from server.lrs.rules import IFIS

_NOT_COMPARED = ("id", "stored", "authority", "version")


def agent_key(agent: dict[str, Any]) -> str:
    """The identity of an agent or identified group: its one identifier, as text."""
    for key in IFIS:
        if key in agent:
            value = agent[key]
            if key == "account":
                return f"account:{value['homePage']}|{value['name']}"
            if key == "mbox":
                return f"mbox:{value.lower()}"
            return f"{key}:{value.lower() if key == 'mbox_sha1sum' else value}"
    return ""  # an anonymous group


def _agents_of(actor: dict[str, Any]) -> list[tuple[str, bool]]:
    found = []
    if key := agent_key(actor):
        found.append((key, True))
    found += [(agent_key(member), False) for member in actor.get("member", [])]
    return found


def _context_activities(context: dict[str, Any]) -> list[str]:
    return [item["id"] for items in context.get("contextActivities", {}).values()
            for item in items]


def related(statement: dict[str, Any], *, sub: bool = False
            ) -> tuple[set[tuple[str, bool]], set[tuple[str, bool]]]:
    """The (agent key, direct) and (activity id, direct) pairs the statement is about."""
    agents: set[tuple[str, bool]] = set()
    activities: set[tuple[str, bool]] = set()
    for key, direct in _agents_of(statement["actor"]):
        agents.add((key, direct and not sub))
    target = statement["object"]
    kind = target.get("objectType", "Activity")
    if kind == "Activity":
        activities.add((target["id"], not sub))
    elif kind in ("Agent", "Group"):
        for key, direct in _agents_of(target):
            agents.add((key, direct and not sub))
    elif kind == "SubStatement":
        inner_agents, inner_activities = related(target, sub=True)
        agents |= inner_agents
        activities |= inner_activities
    context = statement.get("context", {})
    for role in ("instructor", "team"):
        if role in context:
            agents |= {(key, False) for key, _ in _agents_of(context[role])}
    activities |= {(ident, False) for ident in _context_activities(context)}
    if "authority" in statement:
        agents |= {(key, False) for key, _ in _agents_of(statement["authority"])}
    agents.discard(("", False))
    agents.discard(("", True))
    if sub:
        return agents, activities
    # a direct pair is related too, and the related_* filters match pairs of either kind
    return _direct_once(agents), _direct_once(activities)


def _direct_once(pairs: set[tuple[str, bool]]) -> set[tuple[str, bool]]:
    return {(key, direct) for key, direct in pairs if direct or (key, True) not in pairs}


def normalized(statement: dict[str, Any]) -> dict[str, Any]:
    """The statement as stored: context activities always in lists (xAPI 2.4.6.2). A new
    statement; the one given is left as it was, parts not changed are shared with it."""
    statement = _activities_in_lists(statement)
    statement["object"] = _activities_in_lists(statement["object"])
    return statement


def _activities_in_lists(holder: dict[str, Any]) -> dict[str, Any]:
    out = dict(holder)
    context = holder.get("context")
    if context and "contextActivities" in context:
        out["context"] = {**context, "contextActivities": {
            key: value if isinstance(value, list) else [value]
            for key, value in context["contextActivities"].items()}}
    return out


def same_statement(stored: dict[str, Any], incoming: dict[str, Any]) -> bool:
    """Whether a repeat of a stored statement is the same statement (what the LRS assigned
    on receipt is not compared; a timestamp only if the repeat has one)."""
    left = {k: v for k, v in stored.items() if k not in _NOT_COMPARED}
    right = {k: v for k, v in incoming.items() if k not in _NOT_COMPARED}
    if "timestamp" not in incoming:
        left.pop("timestamp", None)
    return left == right


def _ids_agent(agent: dict[str, Any]) -> dict[str, Any]:
    out = {k: agent[k] for k in ("objectType", *IFIS) if k in agent}
    if "member" in agent and not agent_key(agent):
        out["member"] = [_ids_agent(m) for m in agent["member"]]
    return out


def _ids(statement: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(statement)
    out["actor"] = _ids_agent(out["actor"])
    out["verb"] = {"id": out["verb"]["id"]}
    target = out["object"]
    kind = target.get("objectType", "Activity")
    if kind == "Activity":
        out["object"] = {k: target[k] for k in ("objectType", "id") if k in target}
    elif kind in ("Agent", "Group"):
        out["object"] = _ids_agent(target)
    elif kind == "SubStatement":
        out["object"] = _ids(target)
    context = out.get("context", {})
    for role in ("instructor", "team"):
        if role in context:
            context[role] = _ids_agent(context[role])
    for key, items in context.get("contextActivities", {}).items():
        context["contextActivities"][key] = [{"id": item["id"]} for item in items]
    if "authority" in out:
        out["authority"] = _ids_agent(out["authority"])
    return out


def _pick_language(value: dict[str, str], languages: list[str]) -> dict[str, str]:
    for wanted in languages:
        for tag in value:
            if tag.lower() == wanted.lower() or tag.lower().split("-")[0] == wanted.lower():
                return {tag: value[tag]}
    first = next(iter(value))
    return {first: value[first]}


def _canonical(node: Any, languages: list[str], key: str = "") -> Any:
    if isinstance(node, dict):
        if key in ("display", "name", "description") and all(
                isinstance(v, str) for v in node.values()) and node:
            return _pick_language(node, languages)
        if key == "extensions":
            return node
        return {k: _canonical(v, languages, k) for k, v in node.items()}
    if isinstance(node, list):
        return [_canonical(item, languages, key) for item in node]
    return node


def formatted(body: str, fmt: str, languages: list[str]) -> str:
    """A stored statement in the requested format: exact, ids or canonical."""
    if fmt == "exact":
        return body
    statement = json.loads(body)
    shaped = _ids(statement) if fmt == "ids" else _canonical(statement, languages)
    return json.dumps(shaped, ensure_ascii=False, separators=(",", ":"))


def accept_languages(header: str) -> list[str]:
    """Language ranges of an Accept-Language header, best first."""
    ranked = []
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*":
            ranked.append((quality, tag))
    return [tag for _, tag in sorted(ranked, key=lambda item: -item[0])]
