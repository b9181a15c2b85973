"""Importing a branch's roster from a spreadsheet (XLSX, or CSV in UTF-8 or GBK), in two
steps: ``preview`` checks every row and imports nothing; ``commit`` imports the same file
(its sha256 must be the one the preview answered, so no other file is imported
unchecked), checking it again, all rows in one transaction or none.

The file is the request body, or the field ``file`` of a multipart form; the branch is
``?org_id=``. Both answer with the checked rows; ``commit`` also with each account's
temporary password, once (``sheet``: the same as CSV, to print and hand out)."""

from __future__ import annotations

from aiohttp import BodyPartReader, web
from pydantic import BaseModel, ConfigDict, Field

from server.auth import Principal, require
from server.db.models import Organization
from server.errors import BodyTooLarge
from server.failures import BadRequest, Conflict
from server.keys import CIPHER, SESSIONS
from server.roster.importing import import_roster, password_sheet
from server.roster.plan import Plan, plan_roster
from server.roster.reading import MAX_FILE_BYTES
from server.roster.scope import tree_of
from server.validation import query, read_limited

routes = web.RouteTableDef()
MULTIPART_SLACK = 16 * 1024  # a form's boundaries and part headers around the file
TOO_LARGE = (f"the roster file is larger than {MAX_FILE_BYTES // 2**20} MiB: split it by "
             "branch or leave out columns RedHall does not read")


class RosterTooLarge(BodyTooLarge):
    """413, saying what to do, and the rest of the file is not read."""

    def __init__(self) -> None:
        super().__init__(MAX_FILE_BYTES)
        self.message = TOO_LARGE


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid")
    org_id: int = Field(ge=1, le=2**31 - 1, description="the branch the people join")


class CommitTarget(Target):
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$",
                        description="the sha256 the preview of this file answered")


async def _file(request: web.Request) -> tuple[bytes, str]:
    """The uploaded file and its name, at most MAX_FILE_BYTES (413 beyond, unread)."""
    if not request.content_type.startswith("multipart/"):
        try:
            return await read_limited(request, MAX_FILE_BYTES), "upload"
        except BodyTooLarge:
            raise RosterTooLarge() from None
    declared = request.content_length
    if declared is not None and declared > MAX_FILE_BYTES + MULTIPART_SLACK:
        raise RosterTooLarge()
    try:
        reader = await request.multipart()
        part = await reader.next()
        while part is not None and not (isinstance(part, BodyPartReader)
                                        and part.name == "file"):
            part = await reader.next()
    except ValueError as exc:
        raise BadRequest(f"malformed multipart body: {exc}") from None
    if not isinstance(part, BodyPartReader):
        raise BadRequest("send the roster as the form field `file`")
    chunks, size = [], 0
    while chunk := await part.read_chunk(64 * 1024):
        size += len(chunk)
        if size > MAX_FILE_BYTES:
            raise RosterTooLarge()
        chunks.append(chunk)
    return b"".join(chunks), part.filename or "upload"


async def _checked(request: web.Request, principal: Principal,
                   org_id: int) -> tuple[Organization, Plan, str]:
    data, name = await _file(request)
    async with request.app[SESSIONS]() as db:
        branch = (await tree_of(db, principal)).org(org_id, "branch")
        if branch.kind != "branch":
            raise BadRequest("people join a branch, not a committee: choose a branch")
        plan = await plan_roster(db, data)
    return branch, plan, name


@routes.post("/api/roster/preview")
async def preview(request: web.Request) -> web.Response:
    principal = require(request, "admin")
    target = query(request, Target)
    branch, plan, _ = await _checked(request, principal, target.org_id)
    return web.json_response({**plan.as_json(), "org_id": branch.id})


@routes.post("/api/roster/commit")
async def commit(request: web.Request) -> web.Response:
    principal = require(request, "admin")
    target = query(request, CommitTarget)
    branch, plan, name = await _checked(request, principal, target.org_id)
    if plan.sha256 != target.sha256:
        raise Conflict("this is not the file that was checked: check it again before "
                       "importing it", sha256=plan.sha256)
    if not plan.good:
        raise Conflict("the roster has rows to correct; nothing was imported",
                       **plan.as_json())
    imported = await import_roster(request.app[SESSIONS], principal, branch, plan,
                                   request.app[CIPHER], name)
    return web.json_response({
        "org_id": branch.id, "imported": len(imported), "sha256": plan.sha256,
        "accounts": [{"id": item.user_id, "row": item.person.row, "name": item.person.name,
                      "username": item.person.username, "password": item.password}
                     for item in imported],
        "sheet": password_sheet(imported),
        "note": "the temporary passwords are shown once and kept only hashed",
    }, status=201)
