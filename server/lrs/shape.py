"""What the LRS derives from a valid statement: agent keys and the agents and activities it
is about (for the query filters), its normal form, equivalence, and the output formats."""

from __future__ import annotations

import copy
import json
from typing import Any

from server.lrs.rules import DURATION_PARTS, IFIS, duration_parts, instant

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


def same_statement(stored: dict[str, Any], incoming: dict[str, Any],
                   version: str = "1.0.0") -> bool:
    """Whether a repeat of a stored statement (or a signed statement's JWS payload) is the
    same statement, by the specification's comparison rules: what the LRS assigns on
    receipt is not compared (a timestamp only if the repeat has one), nor differences the
    LRS may make: timestamps are compared as instants, group members in any order, UUIDs,
    language tags, mbox domains and hashes in any case, context activities as lists and,
    from xAPI 2.0 on, durations to 0.01 s (in 1.0.3 a duration is compared as a string)."""
    left = comparable(stored, version)
    right = comparable(incoming, version)
    if "timestamp" not in incoming:
        left.pop("timestamp", None)
    return left == right


def comparable(statement: dict[str, Any], version: str = "1.0.0") -> dict[str, Any]:
    """A (valid) statement as the comparison rules see it; a new object."""
    out = _comparable(normalized(statement), version.startswith("2."))
    for key in _NOT_COMPARED:
        out.pop(key, None)
    return out


def _comparable(statement: dict[str, Any], v2: bool) -> dict[str, Any]:
    out = copy.deepcopy(statement)
    out["actor"] = _comparable_actor(out["actor"])
    if "display" in out["verb"]:
        out["verb"]["display"] = _tags(out["verb"]["display"])
    target = out["object"]
    kind = target.get("objectType", "Activity")
    if kind == "Activity":
        out["object"] = _comparable_activity(target)
    elif kind in ("Agent", "Group"):
        out["object"] = _comparable_actor(target)
    elif kind == "StatementRef":
        target["id"] = target["id"].lower()
    elif kind == "SubStatement":
        out["object"] = _comparable(_activities_in_lists(target), v2)
    if "timestamp" in out:
        out["timestamp"] = _instant_text(out["timestamp"])
    if "stored" in out:
        out["stored"] = _instant_text(out["stored"])
    result = out.get("result", {})
    if "duration" in result and v2:
        result["duration"] = _duration_value(result["duration"])
    context = out.get("context", {})
    if "registration" in context:
        context["registration"] = context["registration"].lower()
    for role in ("instructor", "team"):
        if role in context:
            context[role] = _comparable_actor(context[role])
    if "statement" in context:
        context["statement"]["id"] = context["statement"]["id"].lower()
    if "language" in context:
        context["language"] = context["language"].lower()
    for key, items in context.get("contextActivities", {}).items():
        context["contextActivities"][key] = [_comparable_activity(a) for a in items]
    for key, field in (("contextAgents", "agent"), ("contextGroups", "group")):
        for entry in context.get(key, []):
            entry[field] = _comparable_actor(entry[field])
    for attachment in out.get("attachments", []):
        attachment["sha2"] = attachment["sha2"].lower()
        for key in ("display", "description"):
            if key in attachment:
                attachment[key] = _tags(attachment[key])
    return out


def _tags(language_map: dict[str, str]) -> dict[str, str]:
    return {tag.lower(): text for tag, text in language_map.items()}


def _comparable_actor(actor: dict[str, Any]) -> dict[str, Any]:
    out = dict(actor)
    if "mbox" in out:
        local, _, domain = out["mbox"].rpartition("@")
        out["mbox"] = f"{local}@{domain.lower()}"
    if "mbox_sha1sum" in out:
        out["mbox_sha1sum"] = out["mbox_sha1sum"].lower()
    if "member" in out:  # an unordered list
        members = [_comparable_actor(m) for m in out["member"]]
        out["member"] = sorted(members, key=lambda m: json.dumps(m, sort_keys=True))
    return out


def _comparable_activity(activity: dict[str, Any]) -> dict[str, Any]:
    out = dict(activity)
    definition = out.get("definition")
    if definition is not None:
        definition = out["definition"] = dict(definition)
        for key in ("name", "description"):
            if key in definition:
                definition[key] = _tags(definition[key])
        for key in ("choices", "scale", "source", "target", "steps"):
            if key in definition:
                definition[key] = [{**c, "description": _tags(c["description"])}
                                   if "description" in c else c for c in definition[key]]
    return out


def _instant_text(value: str) -> str:
    found = instant(value)
    if found is None:
        return value
    at, fraction = found
    return f"{at.isoformat()}.{fraction}"


def _duration_value(value: str) -> str:
    """A duration's components as numbers (absent ones 0), seconds truncated to 0.01."""
    parts = duration_parts(value)
    if parts is None:
        return value
    if "W" in parts:
        return "W" + _number_text(parts["W"])
    return "".join(key + _number_text(parts.get(key, "0"), 2 if key == "S" else None)
                   for key in DURATION_PARTS)


def _number_text(text: str, places: int | None = None) -> str:
    """A decimal number's digits without leading or trailing zeros, its fraction cut to
    ``places`` digits (truncated, not rounded)."""
    whole, _, fraction = text.partition(".")
    fraction = fraction[:places] if places is not None else fraction
    whole, fraction = whole.lstrip("0") or "0", fraction.rstrip("0")
    return f"{whole}.{fraction}" if fraction else whole


def _ids_agent(agent: dict[str, Any]) -> dict[str, Any]:
    out = {k: agent[k] for k in ("objectType", *IFIS) if k in agent}
    if "member" in agent and not agent_key(agent):
        out["member"] = [_ids_agent(m) for m in agent["member"]]
    return out


def _ids(statement: dict[str, Any]) -> dict[str, Any]:
    """The ``ids`` format: activities and verbs by their id alone, agents and identified
    groups by their identifier, anonymous groups by their members' identifiers; in a
    sub-statement as in the statement."""
    out = copy.deepcopy(statement)
    out["actor"] = _ids_agent(out["actor"])
    out["verb"] = {"id": out["verb"]["id"]}
    target = out["object"]
    kind = target.get("objectType", "Activity")
    if kind == "Activity":
        out["object"] = {"id": target["id"]}
    elif kind in ("Agent", "Group"):
        out["object"] = _ids_agent(target)
    elif kind == "SubStatement":
        out["object"] = _ids(target)
    context = out.get("context", {})
    for role in ("instructor", "team"):
        if role in context:
            context[role] = _ids_agent(context[role])
    for key, items in context.get("contextActivities", {}).items():
        context["contextActivities"][key] = [{"id": item["id"]} for item in
                                             (items if isinstance(items, list) else [items])]
    for key, field in (("contextAgents", "agent"), ("contextGroups", "group")):
        for entry in context.get(key, []):
            entry[field] = _ids_agent(entry[field])
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
