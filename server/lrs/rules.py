"""The xAPI statement rules (Data part of xAPI 1.0.3 and 2.0), checked by hand because the
spec is stricter than a schema: keys are case-sensitive, nulls are refused outside
extensions, exactly one identifier per agent, and so on. Every value of the wrong JSON type
is a ``StatementError``, never another exception.

``check_statement`` raises ``StatementError`` naming the path of the first bad value.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn, cast

from server.failures import BadRequest

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}"
                     r"-[0-9a-fA-F]{12}$")
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+$")
_MBOX = re.compile(r"^mailto:[^@\s:]+@[^@\s]+\.[^@\s]+$")
_SHA1 = re.compile(r"^[0-9a-fA-F]{40}$")
_SHA2 = re.compile(r"^[0-9a-fA-F]{56,128}$")
_MIME = re.compile(r"^[A-Za-z0-9!#$&^_.+\-]+/[A-Za-z0-9!#$&^_.+\-]+(\s*;.*)?$")
_VERSION = re.compile(r"^(1\.0(\.\d+)?|2\.0\.\d+)$")
# RFC 5646 language tags (langtag, private use, the common grandfathered forms)
_LANGTAG = re.compile(
    r"^(?:(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})"
    r"(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|\d{3}))?"
    r"(?:-(?:[A-Za-z0-9]{5,8}|\d[A-Za-z0-9]{3}))*"
    r"(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z0-9]{2,8})+)*"
    r"(?:-x(?:-[A-Za-z0-9]{1,8})+)?"
    r"|x(?:-[A-Za-z0-9]{1,8})+|i-[A-Za-z]{2,8}|[A-Za-z]{2,3}-[A-Za-z]{2,8}-[A-Za-z]{2,8})$")
_TIMESTAMP = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2}|\d{8})"
    r"T(?P<time>\d{2}(:?\d{2}(:?\d{2}([.,]\d+)?)?)?)"
    r"(?P<zone>Z|[+-]\d{2}(:?\d{2})?)?$")
# ISO 8601 durations as xAPI profiles them (4.4.3.2): PnW alone, or PnYnMnDTnHnMnS with at
# least one component and a decimal fraction only on the last one
_DURATION_WEEKS = re.compile(r"^P\d+(?:\.\d+)?W$")
_DURATION = re.compile(
    r"^P(?!$)(?:(?P<Y>\d+(?:\.\d+)?)Y)?(?:(?P<M>\d+(?:\.\d+)?)M)?(?:(?P<D>\d+(?:\.\d+)?)D)?"
    r"(?:T(?=\d)(?:(?P<H>\d+(?:\.\d+)?)H)?(?:(?P<TM>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<S>\d+(?:\.\d+)?)S)?)?$")
DURATION_PARTS = ("Y", "M", "D", "H", "TM", "S")
INTERACTION_TYPES = {"true-false", "choice", "fill-in", "long-fill-in", "matching",
                     "performance", "sequencing", "likert", "numeric", "other"}
_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")
CONTEXT_ACTIVITY_KEYS = {"parent", "grouping", "category", "other"}
IFIS = ("mbox", "mbox_sha1sum", "openid", "account")
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


class StatementError(BadRequest, ValueError):
    """A statement breaks an xAPI rule; the message names where and what."""


def _fail(path: str, message: str) -> NoReturn:
    raise StatementError(f"{path}: {message}")


def _object(value: Any, path: str, allowed: set[str], required: tuple[str, ...] = ()
            ) -> dict[str, Any]:
    if not isinstance(value, dict):
        _fail(path, "must be a JSON object")
    for key, item in value.items():
        if key not in allowed:
            _fail(f"{path}.{key}", "is not an xAPI property here (keys are case-sensitive)")
        if item is None:
            _fail(f"{path}.{key}", "must not be null; leave the property out instead")
    for key in required:
        if key not in value:
            _fail(f"{path}.{key}", "is required")
    return value


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        _fail(path, "must be a string")
    return value


def _number(value: Any, path: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(path, "must be a number")
    return value  # compared as it is: an integer beyond a float's range stays exact


def _bool(value: Any, path: str) -> None:
    if not isinstance(value, bool):
        _fail(path, "must be true or false")


def iri(value: Any, path: str) -> str:
    if not isinstance(value, str) or not _IRI.match(value):
        _fail(path, "must be an absolute IRI with a scheme, e.g. http://example.com/x")
    return value


def uuid(value: Any, path: str) -> str:
    if not isinstance(value, str) or not UUID_RE.match(value):
        _fail(path, "must be a UUID in its standard string form (RFC 4122)")
    return value


def instant(value: str) -> tuple[datetime, str] | None:
    """The point in time a valid timestamp names: the whole second in UTC and the digits of
    the fraction of a second (exact, however many, without trailing zeros); None if it names
    no real date and time. A timestamp without an offset is taken as UTC."""
    match = _TIMESTAMP.match(value)
    if match is None:
        return None
    date = match["date"].replace("-", "")
    clock = match["time"].replace(":", "")
    whole, _, fraction = clock.replace(",", ".").partition(".")
    whole = whole.ljust(6, "0")
    zone = (match["zone"] or "Z").replace(":", "")
    try:
        hour = int(whole[:2])
        at = datetime(int(date[:4]), int(date[4:6]), int(date[6:8]), 0, int(whole[2:4]),
                      int(whole[4:6]), tzinfo=UTC)
        if hour > 24 or (hour == 24 and (whole[2:] != "0000" or fraction.strip("0"))):
            return None
    except ValueError:
        return None
    offset = 0 if zone == "Z" else (int(zone[1:3]) * 60 + int(zone[3:5] or 0)) * (
        -1 if zone[0] == "-" else 1)
    if offset and not (int(zone[1:3]) < 24 and int(zone[3:5] or 0) < 60):
        return None
    try:
        at += timedelta(hours=hour, minutes=-offset)
    except OverflowError:  # beyond the years 1 to 9999 once in UTC
        return None
    return at, fraction.rstrip("0")


def timestamp(value: Any, path: str) -> str:
    match = _TIMESTAMP.match(value) if isinstance(value, str) else None
    if match is None or instant(value) is None:
        _fail(path, "must be an ISO 8601 date and time, e.g. 2026-05-01T09:30:00.000Z")
    zone = match["zone"] or ""
    if zone.startswith("-") and set(zone[1:]) <= {"0", ":"}:
        _fail(path, "a zero offset is written Z or +00:00, never -00:00 (ISO 8601)")
    return cast(str, value)  # it matched the pattern, so it is text


def duration_parts(value: str) -> dict[str, str] | None:
    """The components of a valid duration (``{"W": n}`` or Y, M, D, H, TM, S), or None."""
    if _DURATION_WEEKS.match(value):
        return {"W": value[1:-1]}
    match = _DURATION.match(value)
    if match is None:
        return None
    parts = {key: text for key, text in match.groupdict().items() if text is not None}
    if any("." in text for text in list(parts.values())[:-1]):
        return None  # only the lowest-order component may have a fraction (ISO 8601)
    return parts


def duration(value: Any, path: str) -> str:
    if not isinstance(value, str) or duration_parts(value) is None:
        _fail(path, "must be an ISO 8601 duration: PnW alone, or PnYnMnDTnHnMnS with a "
                    "fraction only on the last component, e.g. PT1H30M or PT12.5S")
    return value


def language_tag(value: Any, path: str) -> str:
    if not isinstance(value, str) or not _LANGTAG.match(value):
        _fail(path, "must be an RFC 5646 language tag, e.g. zh-CN or en")
    return value


def language_map(value: Any, path: str) -> None:
    if not isinstance(value, dict):
        _fail(path, "must be a language map: an object of language tag -> text")
    for tag, text in value.items():
        language_tag(tag, f"{path}.{tag}")
        _string(text, f"{path}.{tag}")


def extensions(value: Any, path: str) -> None:
    if not isinstance(value, dict):
        _fail(path, "must be an object whose keys are IRIs")
    for key in value:
        iri(key, f"{path}.{key}")


def agent(value: Any, path: str) -> dict[str, Any]:
    agent = _object(value, path, {"objectType", "name", *IFIS})
    if agent.get("objectType", "Agent") != "Agent":
        _fail(f"{path}.objectType", "must be \"Agent\"")
    if "name" in agent:
        _string(agent["name"], f"{path}.name")
    _identifiers(agent, path, required=True)
    return agent


def group(value: Any, path: str) -> dict[str, Any]:
    group = _object(value, path, {"objectType", "name", "member", *IFIS}, ("objectType",))
    if group["objectType"] != "Group":
        _fail(f"{path}.objectType", "must be \"Group\"")
    if "name" in group:
        _string(group["name"], f"{path}.name")
    identified = _identifiers(group, path, required=False)
    members = group.get("member")
    if members is not None:
        if not isinstance(members, list) or (not members and not identified):
            _fail(f"{path}.member", "must be a list of agents")
        for i, member in enumerate(members):
            agent(member, f"{path}.member[{i}]")
    elif not identified:
        _fail(path, "an anonymous group needs a member list; an identified one an "
                    "identifier (mbox, mbox_sha1sum, openid or account)")
    return group


def actor(value: Any, path: str) -> dict[str, Any]:
    if isinstance(value, dict) and value.get("objectType") == "Group":
        return group(value, path)
    return agent(value, path)


def _identifiers(value: dict[str, Any], path: str, *, required: bool) -> bool:
    present = [key for key in IFIS if key in value]
    if len(present) > 1:
        _fail(path, f"uses {', '.join(present)}; an agent or group has exactly one identifier")
    if not present:
        if required:
            _fail(path, "needs exactly one identifier: mbox, mbox_sha1sum, openid or account")
        return False
    key = present[0]
    item = value[key]
    if key == "mbox" and not (isinstance(item, str) and _MBOX.match(item)):
        _fail(f"{path}.mbox", "must be mailto:name@domain")
    if key == "mbox_sha1sum" and not (isinstance(item, str) and _SHA1.match(item)):
        _fail(f"{path}.mbox_sha1sum", "must be the 40 hex digits of a SHA-1")
    if key == "openid":
        iri(item, f"{path}.openid")
    if key == "account":
        account = _object(item, f"{path}.account", {"homePage", "name"}, ("homePage", "name"))
        iri(account["homePage"], f"{path}.account.homePage")
        _string(account["name"], f"{path}.account.name")
    return True


def verb(value: Any, path: str) -> dict[str, Any]:
    verb = _object(value, path, {"id", "display"}, ("id",))
    iri(verb["id"], f"{path}.id")
    if "display" in verb:
        language_map(verb["display"], f"{path}.display")
    return verb


def activity(value: Any, path: str) -> dict[str, Any]:
    activity = _object(value, path, {"objectType", "id", "definition"}, ("id",))
    if activity.get("objectType", "Activity") != "Activity":
        _fail(f"{path}.objectType", "must be \"Activity\"")
    iri(activity["id"], f"{path}.id")
    if "definition" in activity:
        _definition(activity["definition"], f"{path}.definition")
    return activity


def _definition(value: Any, path: str) -> None:
    definition = _object(value, path, {"name", "description", "type", "moreInfo",
                                       "extensions", "interactionType",
                                       "correctResponsesPattern", *_COMPONENT_LISTS})
    for key in ("name", "description"):
        if key in definition:
            language_map(definition[key], f"{path}.{key}")
    for key in ("type", "moreInfo"):
        if key in definition:
            iri(definition[key], f"{path}.{key}")
    if "extensions" in definition:
        extensions(definition["extensions"], f"{path}.extensions")
    if "interactionType" in definition and not (
            isinstance(definition["interactionType"], str)
            and definition["interactionType"] in INTERACTION_TYPES):
        _fail(f"{path}.interactionType", f"must be one of {', '.join(sorted(INTERACTION_TYPES))}")
    if "correctResponsesPattern" in definition:
        if "interactionType" not in definition:
            _fail(f"{path}.correctResponsesPattern", "needs an interactionType")
        pattern = definition["correctResponsesPattern"]
        if not isinstance(pattern, list):
            _fail(f"{path}.correctResponsesPattern", "must be a list of strings")
        for i, item in enumerate(pattern):
            _string(item, f"{path}.correctResponsesPattern[{i}]")
    for key in _COMPONENT_LISTS:
        if key in definition:
            if "interactionType" not in definition:
                _fail(f"{path}.{key}", "needs an interactionType")
            _components(definition[key], f"{path}.{key}")


def _components(value: Any, path: str) -> None:
    if not isinstance(value, list):
        _fail(path, "must be a list of interaction components")
    seen: set[str] = set()
    for i, item in enumerate(value):
        component = _object(item, f"{path}[{i}]", {"id", "description"}, ("id",))
        ident = _string(component["id"], f"{path}[{i}].id")
        if not ident or ident in seen:
            _fail(f"{path}[{i}].id", "must be a non-empty id unique within the list")
        seen.add(ident)
        if "description" in component:
            language_map(component["description"], f"{path}[{i}].description")


def statement_ref(value: Any, path: str) -> dict[str, Any]:
    ref = _object(value, path, {"objectType", "id"}, ("objectType", "id"))
    if ref["objectType"] != "StatementRef":
        _fail(f"{path}.objectType", "must be \"StatementRef\"")
    uuid(ref["id"], f"{path}.id")
    return ref


def _target(value: Any, path: str, *, sub: bool) -> dict[str, Any]:
    if not isinstance(value, dict):
        _fail(path, "must be a JSON object")
    kind = value.get("objectType", "Activity")
    if kind == "Activity":
        return activity(value, path)
    if kind == "Agent":
        return agent(value, path)
    if kind == "Group":
        return group(value, path)
    if kind == "StatementRef":
        return statement_ref(value, path)
    if kind == "SubStatement":
        if sub:
            _fail(path, "a sub-statement may not contain another sub-statement")
        return check_statement(value, path, sub=True)
    _fail(f"{path}.objectType", "must be Activity, Agent, Group, StatementRef or SubStatement")
    raise AssertionError  # unreachable


def _result(value: Any, path: str) -> None:
    result = _object(value, path, {"score", "success", "completion", "response", "duration",
                                   "extensions"})
    for key in ("success", "completion"):
        if key in result:
            _bool(result[key], f"{path}.{key}")
    if "response" in result:
        _string(result["response"], f"{path}.response")
    if "duration" in result:
        duration(result["duration"], f"{path}.duration")
    if "extensions" in result:
        extensions(result["extensions"], f"{path}.extensions")
    if "score" in result:
        score = _object(result["score"], f"{path}.score", {"scaled", "raw", "min", "max"})
        numbers = {k: _number(v, f"{path}.score.{k}") for k, v in score.items()}
        if "scaled" in numbers and not -1 <= numbers["scaled"] <= 1:
            _fail(f"{path}.score.scaled", "must lie between -1 and 1")
        low, high = numbers.get("min"), numbers.get("max")
        if low is not None and high is not None and low > high:
            _fail(f"{path}.score", "min must not exceed max")
        raw = numbers.get("raw")
        if raw is not None and ((low is not None and raw < low) or
                                (high is not None and raw > high)):
            _fail(f"{path}.score.raw", "must lie between min and max")


def _context(value: Any, path: str, target: dict[str, Any]) -> None:
    context = _object(value, path, {"registration", "instructor", "team", "contextActivities",
                                    "revision", "platform", "language", "statement",
                                    "extensions", "contextAgents", "contextGroups"})
    if "registration" in context:
        uuid(context["registration"], f"{path}.registration")
    if "instructor" in context:
        actor(context["instructor"], f"{path}.instructor")
    if "team" in context:
        group(context["team"], f"{path}.team")
    for key in ("revision", "platform"):
        if key in context:
            _string(context[key], f"{path}.{key}")
            if target.get("objectType", "Activity") != "Activity":
                _fail(f"{path}.{key}", "is only allowed when the object is an activity")
    if "language" in context:
        language_tag(context["language"], f"{path}.language")
    if "statement" in context:
        statement_ref(context["statement"], f"{path}.statement")
    if "extensions" in context:
        extensions(context["extensions"], f"{path}.extensions")
    if "contextActivities" in context:
        activities = _object(context["contextActivities"], f"{path}.contextActivities",
                             CONTEXT_ACTIVITY_KEYS)
        for key, items in activities.items():
            for i, item in enumerate(items if isinstance(items, list) else [items]):
                activity(item, f"{path}.contextActivities.{key}[{i}]")
    for key, kind, check in (("contextAgents", "contextAgent", agent),
                             ("contextGroups", "contextGroup", group)):
        if key in context:
            items = context[key]
            if not isinstance(items, list) or not items:
                _fail(f"{path}.{key}", "must be a non-empty list")
            for i, item in enumerate(items):
                where = f"{path}.{key}[{i}]"
                field = kind[7:].lower()
                entry = _object(item, where, {"objectType", field, "relevantTypes"},
                                ("objectType", field))
                if entry["objectType"] != kind:
                    _fail(f"{where}.objectType", f"must be \"{kind}\"")
                check(entry[field], f"{where}.{field}")
                if "relevantTypes" in entry:
                    types = entry["relevantTypes"]
                    if not isinstance(types, list) or not types:
                        _fail(f"{where}.relevantTypes", "must be a non-empty list of IRIs")
                    for j, item_type in enumerate(types):
                        iri(item_type, f"{where}.relevantTypes[{j}]")


def _attachments(value: Any, path: str) -> None:
    if not isinstance(value, list):
        _fail(path, "must be a list of attachments")
    for i, item in enumerate(value):
        where = f"{path}[{i}]"
        attachment = _object(item, where, {"usageType", "display", "description",
                                           "contentType", "length", "sha2", "fileUrl"},
                             ("usageType", "display", "contentType", "length", "sha2"))
        iri(attachment["usageType"], f"{where}.usageType")
        language_map(attachment["display"], f"{where}.display")
        if "description" in attachment:
            language_map(attachment["description"], f"{where}.description")
        content_type = attachment["contentType"]
        if not isinstance(content_type, str) or not _MIME.match(content_type):
            _fail(f"{where}.contentType", "must be a media type such as image/png")
        length = attachment["length"]
        if isinstance(length, bool) or not isinstance(length, int) or length < 0:
            _fail(f"{where}.length", "must be a whole number of octets")
        if not isinstance(attachment["sha2"], str) or not _SHA2.match(attachment["sha2"]):
            _fail(f"{where}.sha2", "must be the hex digest of a SHA-2 hash")
        if "fileUrl" in attachment:
            iri(attachment["fileUrl"], f"{where}.fileUrl")


def _authority(value: Any, path: str) -> None:
    """An Agent, or the anonymous Group of an OAuth consumer and its user: exactly two
    Agents, one of them the consumer, identified by an account."""
    authority = actor(value, path)
    if authority.get("objectType") != "Group":
        return
    if _identifiers(authority, path, required=False):
        _fail(path, "a group authority is anonymous: the OAuth consumer and its user, "
                    "without an identifier of its own")
    members = authority.get("member", [])
    if len(members) != 2:
        _fail(f"{path}.member", "a group authority has exactly two agents: the OAuth "
                                "consumer and its user")
    if not any("account" in member for member in members):
        _fail(f"{path}.member", "one agent of a group authority is the OAuth consumer, "
                                "identified by an account")


def check_statement(value: Any, path: str = "statement", *, sub: bool = False) -> dict[str, Any]:
    """Checks one statement (or, with ``sub``, a sub-statement) against the xAPI rules."""
    allowed = {"actor", "verb", "object", "result", "context", "timestamp", "attachments"}
    allowed |= {"objectType"} if sub else {"id", "stored", "authority", "version"}
    statement = _object(value, path, allowed, ("actor", "verb", "object"))
    if sub and statement.get("objectType") != "SubStatement":
        _fail(f"{path}.objectType", "must be \"SubStatement\"")
    if "id" in statement:
        uuid(statement["id"], f"{path}.id")
    actor(statement["actor"], f"{path}.actor")
    verb(statement["verb"], f"{path}.verb")
    target = _target(statement["object"], f"{path}.object", sub=sub)
    if statement["verb"]["id"] == VOIDED and target.get("objectType") != "StatementRef":
        _fail(f"{path}.object", "a voiding statement's object must be a StatementRef")
    if "result" in statement:
        _result(statement["result"], f"{path}.result")
    if "context" in statement:
        _context(statement["context"], f"{path}.context", target)
    for key in ("timestamp", "stored"):
        if key in statement:
            timestamp(statement[key], f"{path}.{key}")
    if "authority" in statement:
        _authority(statement["authority"], f"{path}.authority")
    if "version" in statement and not (isinstance(statement["version"], str)
                                       and _VERSION.match(statement["version"])):
        _fail(f"{path}.version", "must be 1.0, 1.0.x or 2.0.x")
    if "attachments" in statement:
        _attachments(statement["attachments"], f"{path}.attachments")
    return statement
