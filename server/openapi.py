"""The OpenAPI 3.1 description of the HTTP API, generated from the pydantic models."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema

from protocol.api import (
    ConsentRequest,
    ExhibitListQuery,
    LoginRequest,
    Org,
    OrgCreate,
    ParticipationBatch,
    ParticipationReceipt,
    TokenRequest,
    TokenResponse,
    TourCreate,
    UserCreate,
    UserOut,
)
from server.routes.roster import CommitTarget as RosterCommit
from server.routes.roster import Target as RosterTarget
from server.tour_changes import TourChange
from server.tour_view import TourView

ALL = ("member", "guide", "editor", "admin")


class CreditsQuery(BaseModel):
    year: int | None = None
    user: int | None = None


class CertificateQuery(CreditsQuery):
    format: Literal["json", "pdf"] = "json"


class ReportQuery(BaseModel):
    year: int | None = None
    format: Literal["json", "csv", "xlsx"] = "json"
    lang: Literal["zh-CN", "zh-TW", "en"] = "zh-CN"


class AttendanceQuery(BaseModel):
    format: Literal["json", "csv", "xlsx"] = "json"


class DashboardQuery(BaseModel):
    period: str | None = Field(None, pattern=r"^[0-9]{4}(-Q[1-4]|-[0-9]{2})?$",
                               description="YYYY, YYYY-Qn or YYYY-MM (default: this year)")
    org: int | None = Field(None, ge=1, description="a branch or committee in your tree")
    format: Literal["json", "csv", "xlsx"] = "json"
    lang: Literal["zh-CN", "en"] = "zh-CN"


class MemberYearQuery(BaseModel):
    period: str | None = Field(None, pattern=r"^[0-9]{4}(-Q[1-4]|-[0-9]{2})?$")
    lang: Literal["zh-CN", "en"] = "zh-CN"


class NotificationsQuery(BaseModel):
    limit: int = Field(20, ge=1, le=100)
    before: int | None = Field(None, ge=1, description="the `older` of the previous page")
    lang: Literal["zh-CN", "en"] | None = None


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    roles: tuple[str, ...] | None  # None: no log-in needed
    body: type[BaseModel] | str | None = None  # a model, or a media type for raw bodies
    response: type[BaseModel] | None = None
    many: bool = False
    query: type[BaseModel] | None = None
    produces: str = "application/json"
    status: int = 200
    basic: bool = False  # HTTP Basic credentials of an LRS client instead of a log-in


V = "/api/exhibits/{exhibit}/{version}"
OPERATIONS = [
    Operation("get", "/healthz", "Liveness (checks the database)", None),
    Operation("get", "/metrics", "Prometheus metrics", None, produces="text/plain"),
    Operation("post", "/api/auth/login", "Log in; sets the session cookie", None, LoginRequest),
    Operation("post", "/api/auth/logout", "Log out (revokes this credential)", ALL),
    Operation("post", "/api/auth/tokens", "Make a bearer token", ALL, TokenRequest,
              TokenResponse, status=201),
    Operation("delete", "/api/auth/tokens/{id}", "Revoke a bearer token", ALL),
    Operation("get", "/api/me", "The caller's account", ALL, response=UserOut),
    Operation("post", "/api/me/consent", "Record consent", ALL, ConsentRequest, status=201),
    Operation("get", "/api/me/calendar", "The caller's private iCalendar feed address", ALL),
    Operation("get", "/calendar/{token}.ics", "A private iCalendar feed", None,
              produces="text/calendar"),
    Operation("get", "/api/orgs", "Committees and branches", ALL, response=Org, many=True),
    Operation("post", "/api/orgs", "Add a committee or branch", ("admin",), OrgCreate, Org,
              status=201),
    Operation("get", "/api/users", "Accounts (a guide sees their branch)", ("guide", "admin"),
              response=UserOut, many=True),
    Operation("post", "/api/users", "Add an account (guides: members of their branch)",
              ("guide", "admin"), UserCreate, UserOut, status=201),
    Operation("get", "/api/users/{id}/export", "Everything stored about a member (JSON)", ALL),
    Operation("delete", "/api/users/{id}", "Delete a member's identity (participation stays)",
              ("admin",)),
    Operation("get", "/api/audit", "The audit log", ("admin",)),
    Operation("get", "/api/exhibits", "Published exhibits (editors: ?all=1 for every version)",
              ALL, query=ExhibitListQuery),
    Operation("post", "/api/exhibits", "Upload a signed .exhibit package. A refusal's body "
              "is {error, reason}: 422 bad_signature | unknown_signer | hash_mismatch | unsafe | "
              "unknown_format | damaged | malformed | not_a_package; 409 version_exists (with "
              "exhibit and version); 413 too_large", ("editor", "admin"),
              "application/octet-stream", status=201),
    Operation("get", V, "One exhibit version", ALL),
    Operation("post", V + "/publish", "Publish a version", ("editor", "admin")),
    Operation("post", V + "/unpublish", "Withdraw a version", ("editor", "admin")),
    Operation("get", V + "/thumbnails/{scene}.png", "A scene thumbnail", ALL,
              produces="image/png"),
    Operation("get", V + "/package", "Download the package (ETag, Range)", ALL,
              produces="application/vnd.redhall.exhibit+zip"),
    Operation("get", V + "/manifest", "The package's signed manifest and its signature, for "
              "the browser viewer to check each entry against", ALL),
    Operation("get", V + "/entries/{sha256}", "One entry of the package by its sha256 "
              "(cached for good; the reader checks it against the manifest)", ALL,
              produces="application/octet-stream"),
    Operation("get", "/api/tours", "Tours the caller may see, with their guide, state and "
              "whether the caller is registered; times in each tour's zone", ALL,
              response=TourView, many=True),
    Operation("post", "/api/tours", "Schedule a tour", ("guide", "admin"), TourCreate, TourView,
              status=201),
    Operation("get", "/api/tours/{id}", "One tour", ALL, response=TourView),
    Operation("patch", "/api/tours/{id}", "Move a tour (start and zone, duration, capacity, "
              "title, invited branches); registrants are told. 409 once it is live, over or "
              "cancelled", ("guide", "admin"), TourChange, TourView),
    Operation("delete", "/api/tours/{id}", "Cancel a tour that has not started; "
              "registrants are told", ("guide", "admin"), response=TourView),
    Operation("get", "/api/tours/{id}/attendance", "Attendance per person: joins and leaves, "
              "minutes present, quiz score, credit (?format=json|csv|xlsx); the tour's guide "
              "and admins", ("guide", "admin"), query=AttendanceQuery),
    Operation("get", "/api/tours/{id}/recording", "A tour's recording: start, duration, the "
              "events file and each kept voice with its URL (those who may see the tour)", ALL),
    Operation("get", "/api/tours/{id}/recording/{file}", "One file of a tour's recording "
              "(Ogg Opus voice or JSON-lines events), HTTP ranges", ALL),
    Operation("post", "/api/tours/{id}/registration", "Register for a tour", ALL, status=201),
    Operation("delete", "/api/tours/{id}/registration", "Cancel a registration", ALL),
    Operation("get", "/api/notifications", "My notices, newest first: {items: [{id, kind, "
              "tour_id, detail, created_at, read_at, read, heading, text, link}], unread, older}",
              ALL, query=NotificationsQuery),
    Operation("post", "/api/notifications/{id}/read", "Mark one of my notices read", ALL),
    Operation("post", "/api/notifications/read-all", "Mark all my notices read", ALL),
    Operation("post", "/api/roster/preview", "Check a branch roster (XLSX or CSV, raw body or "
              "multipart field `file`, at most 2 MiB); imports nothing. 200: {sha256, rows, good, "
              "org_id, people, problems: [{row, field, code, message, value}]}", ("admin",),
              "application/octet-stream", query=RosterTarget),
    Operation("post", "/api/roster/commit", "Import the previewed roster (the same file, by "
              "its sha256) in one transaction; answers each account's one-time password",
              ("admin",), "application/octet-stream", query=RosterCommit, status=201),
    Operation("get", "/api/dashboard", "The committee's dashboard for a period: per branch "
              "members, active members, participation, 学时 against the pace the yearly target "
              "needs, flags with their reasons; members at risk; monthly trend; top exhibits "
              "(?format=csv|xlsx exports it)", ("admin",), query=DashboardQuery),
    Operation("get", "/api/dashboard/members/{id}", "One member's year: 学时 per month and "
              "exhibit against what is due", ("admin",), query=MemberYearQuery),
    Operation("post", "/api/participation", "Deliver facts from a self-guided visit "
              "(idempotent by fact id)", ALL, ParticipationBatch, ParticipationReceipt),
    Operation("get", "/api/tours/{id}/live", "Take part in a live tour: a websocket whose "
              "first message is a hello carrying the token (messages: protocol/tour.py); a portal "
              "page sends \"session-cookie\" instead, accepted with this site's Origin only",
              None, status=101),
    Operation("post", "/api/lrs-clients", "Issue Basic credentials for an LRS client "
              "(the secret is shown once)", ("admin",), status=201),
    Operation("get", "/api/lrs-clients", "LRS clients", ("admin",)),
    Operation("delete", "/api/lrs-clients/{key}", "Revoke an LRS client", ("admin",),
              status=204),
    Operation("get", "/api/credits", "Credits earned in a year against the target "
              "(?year=, ?user= for admins and branch guides)", ALL),
    Operation("get", "/api/credits/certificate", "A signed yearly certificate: JSON, or "
              "?format=pdf for a printable PDF carrying the signed JSON (check either with "
              "`redhall certificate verify`)", ALL, query=CertificateQuery),
    Operation("get", "/api/credits/explain", "Why credits were or were not given: per "
              "visit, tour, exhibit and tour led, each condition's required and actual value "
              "and the hours awarded (?year=, ?user= for admins and branch guides)", ALL,
              query=CreditsQuery),
    Operation("get", "/api/certificates/{number}/check", "Whether a certificate (by its "
              "number) matches the ledger: valid or not, with only name, year, hours and number "
              "of awards", None),
    Operation("get", "/api/credits/signing-key", "The public key certificates are signed with",
              None, produces="text/plain"),
    Operation("post", "/api/credits/evaluate", "Evaluate credit rules again for stored facts",
              ("admin",)),
    Operation("get", "/api/credits/ledger/verify", "Check the credit ledger's hash chain",
              ("admin",)),
    Operation("get", "/api/reports/members", "Members' progress to their targets (?year= or "
              "?from=&to=; ?format=json|csv|xlsx; ?lang= or Accept-Language)",
              ("guide", "admin"), query=ReportQuery),
    Operation("get", "/api/reports/branches", "Branch participation and pace, with warnings "
              "in the requester's language", ("guide", "admin"), query=ReportQuery),
    Operation("get", "/api/reports/exhibits", "Visitors, tours and credits per exhibit",
              ("guide", "admin"), query=ReportQuery),
    Operation("post", "/api/cmi5/launches", "Launch a visit or tour for a member (cmi5 "
              "endpoint, fetch, actor, registration, activityId)", ALL, status=201),
    Operation("post", "/xapi/cmi5/fetch/{secret}", "cmi5 fetch: the launch's LRS credential, "
              "once", None),
    Operation("get", "/xapi/about", "xAPI versions this LRS speaks", None),
    Operation("get", "/xapi/statements", "xAPI: one statement (statementId, "
              "voidedStatementId) or a StatementResult (agent, verb, activity, registration, "
              "related_*, since, until, limit, ascending, format, more)", None, basic=True),
    Operation("put", "/xapi/statements", "xAPI: store one statement under ?statementId",
              None, "application/json", basic=True, status=204),
    Operation("post", "/xapi/statements", "xAPI: store a statement or a list (or the "
              "alternate request syntax with ?method=)", None, "application/json", basic=True),
    *(op for path, what, key in (
        ("/xapi/activities/state", "State document", "activityId, agent, [registration], "
         "stateId"),
        ("/xapi/activities/profile", "Activity Profile document", "activityId, profileId"),
        ("/xapi/agents/profile", "Agent Profile document", "agent, profileId"))
      for op in (
        Operation("get", path, f"xAPI: a {what} ({key}; ETag), or without the id the ids "
                  "stored (?since=)", None, basic=True, produces="application/octet-stream"),
        Operation("put", path, f"xAPI: store a {what} (If-Match / If-None-Match)", None,
                  "application/octet-stream", basic=True, status=204),
        Operation("post", path, f"xAPI: merge into a JSON {what} (or the alternate request "
                  "syntax)", None, "application/json", basic=True, status=204),
        Operation("delete", path, f"xAPI: delete a {what}", None, basic=True, status=204))),
    Operation("get", "/xapi/activities", "xAPI: an activity's definition (?activityId=)",
              None, basic=True),
    Operation("get", "/xapi/agents", "xAPI: the Person object of an agent (?agent=)", None,
              basic=True),
]

_ERROR = {"type": "object", "required": ["error"], "properties": {
    "error": {"type": "string"},
    "fields": {"type": "array", "items": {"type": "object", "properties": {
        "field": {"type": "string"}, "message": {"type": "string"}}}}}}
_PARAMETER_TYPES = {"id": {"type": "integer", "minimum": 1},
                    "exhibit": {"type": "string", "pattern": "^[a-z0-9-]+$"},
                    "version": {"type": "string", "pattern": "^[0-9A-Za-z.+-]+$"},
                    "scene": {"type": "string", "pattern": "^[a-z0-9-]+$"},
                    "token": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$"},
                    "key": {"type": "string", "pattern": "^[0-9a-f]{24}$"},
                    "secret": {"type": "string", "pattern": "^[A-Za-z0-9_-]{43}$"},
                    "number": {"type": "string",
                               "pattern": "^[0-9]+-[0-9]{4}-[0-9]+-[0-9a-f]{24}$"},
                    "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    "file": {"type": "string", "pattern": "^[0-9a-f]{64}\\.(opus|jsonl)$"}}


def _parameters(path: str) -> list[dict[str, Any]]:
    import re

    return [{"name": name, "in": "path", "required": True, "schema": _PARAMETER_TYPES[name]}
            for name in re.findall(r"\{(\w+)\}", path)]


def build_spec() -> dict[str, Any]:
    models = sorted({m for op in OPERATIONS for m in (op.body, op.response)
                     if isinstance(m, type)}, key=lambda m: m.__name__)
    _, schemas = models_json_schema([(m, "validation") for m in models],
                                    ref_template="#/components/schemas/{model}")
    components = {**schemas.get("$defs", {}), "Error": _ERROR}

    def ref(model: type[BaseModel]) -> dict[str, str]:
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        entry: dict[str, Any] = {"summary": op.summary, "operationId": f"{op.method}_{op.path}",
                                 "parameters": _parameters(op.path), "responses": {}}
        if op.query is not None:
            for name, field in op.query.model_json_schema()["properties"].items():
                entry["parameters"].append({"name": name, "in": "query", "required": False,
                                            "schema": field})
        if op.basic:
            entry["security"] = [{"basic": []}]
            entry["description"] = "Send X-Experience-API-Version (1.0.x or 2.0.x)."
        elif op.roles is None:
            entry["security"] = []
        else:
            entry["description"] = "Roles: " + ", ".join(op.roles)
            entry["responses"]["401"] = {"description": "not logged in",
                                         "content": {"application/json": {"schema": ref_error()}}}
            entry["responses"]["403"] = {"description": "role not allowed",
                                         "content": {"application/json": {"schema": ref_error()}}}
        if isinstance(op.body, type):
            entry["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": ref(op.body)}}}
            entry["responses"]["400"] = {"description": "invalid request; see `fields`",
                                         "content": {"application/json": {"schema": ref_error()}}}
        elif isinstance(op.body, str):
            entry["requestBody"] = {"required": True, "content": {
                op.body: {"schema": {"type": "string", "format": "binary"}}}}
        ok: dict[str, Any] = {"description": "success"}
        if op.response is not None:
            schema = ref(op.response)
            ok["content"] = {"application/json": {"schema": {"type": "array", "items": schema}
                                                  if op.many else schema}}
        elif op.produces != "application/json":
            ok["content"] = {op.produces: {"schema": {"type": "string", "format": "binary"}}}
        entry["responses"][str(op.status)] = ok
        paths.setdefault(op.path, {})[op.method] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": "RedHall API", "version": "0.1.0",
                 "description": "Accounts, branches, exhibit catalog and tour scheduling."},
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "basic": {"type": "http", "scheme": "basic"},
            "session": {"type": "apiKey", "in": "cookie", "name": "redhall_session"}}},
        "security": [{"bearer": []}, {"session": []}],
    }


def ref_error() -> dict[str, str]:
    return {"$ref": "#/components/schemas/Error"}
