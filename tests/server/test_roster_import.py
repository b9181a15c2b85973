"""Importing a branch roster through the API: preview lists every bad row and imports
nothing, commit imports exactly the previewed file in one go, and the accounts log in."""

from __future__ import annotations

import csv
import hashlib
import io
import time
import zipfile
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select

from server.db.models import AuditEntry, User
from server.keys import CIPHER, SESSIONS
from server.roster import fields
from tests.server.conftest import World

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
HEADER = ["姓名", "用户名/工号", "手机", "邮箱", "身份证号", "角色", "入党日期"]
GOOD_ID = "11010519491231002X"  # the standard's own example


def _csv(rows: list[list[str]], header: list[str] = HEADER, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def _xlsx(rows: list[list[object]], header: list[str]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def _send(world: World, step: str, data: bytes, org: int,
                sha256: str | None = None) -> tuple[int, Any]:
    params = {"org_id": str(org)} | ({"sha256": sha256} if sha256 else {})
    response = await world.client.post(f"/api/roster/{step}", params=params,
                                       data=io.BytesIO(data),
                                       headers=world.auth("admin"))
    return response.status, await response.json()


async def _count(world: World) -> int:
    async with world.client.server.app[SESSIONS]() as db:
        return int(await db.scalar(select(func.count()).select_from(User)) or 0)


def test_identity_numbers_phones_and_roles_are_checked_as_defined() -> None:
    assert fields.id_number(GOOD_ID.lower()) == GOOD_ID
    for bad in ("110105194912310021", "11010519491331002X", "1101051949123100"):
        with pytest.raises(fields.Bad):
            fields.id_number(bad)
    assert fields.phone("+86 138-0013-8000") == "13800138000"
    with pytest.raises(fields.Bad):
        fields.phone("12800138000")
    assert fields.role("") == "member" and fields.role("预备党员") == "member"
    assert fields.role("讲解员") == "guide"
    with pytest.raises(fields.Bad):
        fields.role("admin")


@SQLITE
async def test_a_good_csv_is_previewed_then_imported_and_its_people_log_in(
        world: World) -> None:
    data = _csv([["张三", "zhangsan", "13800138000", "zs@example.cn", GOOD_ID, "党员",
                  "2001-07-01"],
                 ["李四", "10023", "", "", "", "讲解员", ""]])
    before = await _count(world)
    status, preview = await _send(world, "preview", data, world.branch_a)
    assert status == 200 and preview["good"] is True and preview["problems"] == []
    assert preview["sha256"] == hashlib.sha256(data).hexdigest()
    assert await _count(world) == before  # a preview imports nothing
    status, done = await _send(world, "commit", data, world.branch_a, preview["sha256"])
    assert status == 201, done
    assert done["imported"] == 2
    accounts = done["accounts"]
    assert isinstance(accounts, list)
    passwords = {a["username"]: a["password"] for a in accounts}
    assert "zhangsan" in str(done["sheet"]) and passwords["zhangsan"] in str(done["sheet"])
    login = await world.client.post("/api/auth/login", json={
        "username": "10023", "password": passwords["10023"]})
    assert login.status == 200
    async with world.client.server.app[SESSIONS]() as db:
        user = await db.scalar(select(User).where(User.username == "zhangsan"))
        assert user is not None and user.org_id == world.branch_a and user.role == "member"
        assert world.client.server.app[CIPHER].decrypt(user.id_number_enc,
                                                      "id_number") == GOOD_ID
        entry = await db.scalar(select(AuditEntry).where(AuditEntry.action == "roster.import"))
        assert entry is not None and entry.detail["accounts"] == 2
        assert passwords["zhangsan"] not in str(entry.detail)
    # the same file again: every username is now taken
    status, again = await _send(world, "preview", data, world.branch_a)
    assert status == 200 and [p["code"] for p in again["problems"]] == ["taken", "taken"]


@SQLITE
async def test_every_bad_row_is_named_and_nothing_is_imported(world: World) -> None:
    data = _csv([
        ["", "noname", "", "", "", "", ""],                               # row 2
        ["王五", "wangwu", "1380013800", "", "", "", ""],                 # row 3
        ["赵六", "wangwu", "", "not-an-email", "", "", ""],               # row 4
        ["钱七", "member-a", "", "", "110105194912310021", "", ""],       # row 5
        ["孙八", "sunba", "", "", "", "书记员", ""],                      # row 6
        ["周九", "zhoujiu", "13900139000", "", "", "", ""],               # row 7: good
    ])
    before = await _count(world)
    status, preview = await _send(world, "preview", data, world.branch_a)
    assert status == 200 and preview["good"] is False
    problems = preview["problems"]
    assert isinstance(problems, list)
    found = {(p["row"], p["code"]) for p in problems}
    assert found == {(2, "missing_name"), (3, "bad_phone"), (4, "bad_email"),
                     (4, "duplicate_in_file"), (5, "bad_id_checksum"), (6, "unknown_role")}
    status, refused = await _send(world, "commit", data, world.branch_a, preview["sha256"])
    assert status == 409 and refused["problems"] == problems
    assert await _count(world) == before


@SQLITE
async def test_a_gbk_csv_and_an_xlsx_with_english_headers_are_read(world: World) -> None:
    gbk = _csv([["陈红", "chenhong", "13700137000", "", "", "预备党员", "2020/7/1"]],
               encoding="gbk")
    status, preview = await _send(world, "preview", gbk, world.branch_b)
    assert status == 200 and preview["good"] is True, preview
    people = preview["people"]
    assert isinstance(people, list) and people[0]["name"] == "陈红"
    book = _xlsx([["Liu Yang", 20231, 13600136000, "ly@example.cn", None, "guide", None]],
                 ["Name", "Username", "Mobile", "E-mail", "ID number", "Role", "Joined"])
    status, preview = await _send(world, "preview", book, world.branch_b)
    assert status == 200 and preview["good"] is True, preview
    status, done = await _send(world, "commit", book, world.branch_b, preview["sha256"])
    assert status == 201 and done["imported"] == 1


@SQLITE
async def test_another_file_oversize_files_and_committees_are_refused(world: World) -> None:
    first = _csv([["甲", "jia-1", "", "", "", "", ""]])
    other = _csv([["乙", "yi-1", "", "", "", "", ""]])
    _, preview = await _send(world, "preview", first, world.branch_a)
    status, body = await _send(world, "commit", other, world.branch_a, preview["sha256"])
    assert status == 409 and "not the file" in str(body["error"])
    status, body = await _send(world, "preview", b"x" * (3 * 1024 * 1024), world.branch_a)
    assert status == 413 and "MiB" in str(body["error"])
    status, body = await _send(world, "preview", first, world.committee)
    assert status == 400
    status, body = await _send(world, "preview", b"\xd0\xcf\x11\xe0" + b"\0" * 100,
                               world.branch_a)
    assert status == 400 and body["code"] == "old_excel"
    status, body = await _send(world, "preview", "姓名,电话\n张三,1\n".encode(), world.branch_a)
    assert status == 400 and body["code"] == "missing_columns"
    status, body = await _send(world, "preview", first, 999999)
    assert status == 404


def _sparse_workbook(last_column: str) -> bytes:
    """A workbook of a few hundred bytes whose sheet claims cells A1 to
    ``last_column``1048576 and fills two of them."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006"
    parts = {
        "[Content_Types].xml": f'<Types xmlns="{package}/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
        'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{package}/relationships"><Relationship '
        f'Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets><sheet name="S" '
        'sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{package}/relationships">'
        f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
        '</Relationships>',
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{main}"><dimension ref="A1:'
        f'{last_column}1048576"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>姓名'
        '</t></is></c></row><row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is>'
        '</c></row></sheetData></worksheet>'}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()


async def test_a_sheet_claiming_a_vast_empty_range_is_refused_at_once(world: World) -> None:
    started = time.process_time()
    status, answer = await _send(world, "preview", _sparse_workbook("XFD"), world.branch_a)
    assert status == 400, answer
    assert "columns" in answer["error"]
    assert time.process_time() - started < 5  # reading every claimed cell took ~25 s
