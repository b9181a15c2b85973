"""The yearly certificate as a printable PDF carrying the signed JSON, checked offline by
`redhall certificate verify`, and online by its number without logging in."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from redhall.cli import main as redhall
from server.credits.certificate import check, load
from server.credits.certificate_pdf import ATTACHMENT
from server.credits.ledger import canonical
from server.db.models import LedgerEntry
from server.keys import CREDITS, SESSIONS, SETTINGS, STORE
from server.live.loading import outlines
from tests.server.conftest import World
from tests.server.live_support import publish
from tools.build import BuildResult

YEAR = 2026
T0 = datetime(YEAR, 7, 1, 9, 0, tzinfo=UTC).timestamp()


@pytest.fixture
async def earned(world: World, samples: dict[str, BuildResult]) -> None:
    """member-a earns every scene of the founding exhibit and its extra award."""
    app = world.client.server.app
    version = await publish(world.client, samples["founding"], world.users["editor"])
    from server.db.models import ExhibitVersion

    async with app[SESSIONS]() as db:
        sha = (await db.get(ExhibitVersion, version)).sha256
    scenes, _ = outlines(app[STORE], sha)
    for n, (name, scene) in enumerate(sorted(scenes.items())):
        session, start = str(uuid.uuid4()), T0 + n * 3600

        # called only within this iteration, so it sees this scene's session and name
        def fact(kind: str, at: float, **fields: Any) -> dict[str, Any]:
            return {"id": str(uuid.uuid4()), "kind": kind, "at": at, "session": session,  # noqa: B023
                    "exhibit": "founding", "exhibit_version": "1.0.0", "scene": name,  # noqa: B023
                    **fields}

        facts = [fact("scene_entered", start)]
        facts += [fact("hotspot_viewed", start + 1, hotspot=h, dwell_seconds=4.0)
                  for h in sorted(scene.hotspots)]
        facts += [fact("quiz_answered", start + 2, item=item, response=answer, correct=True)
                  for item, (_, answer) in sorted(scene.quiz.items())]
        facts.append(fact("scene_left", start + 800, seconds=800.0))
        reply = await world.client.post("/api/participation", json={"facts": facts},
                                        headers=world.auth("member"))
        assert reply.status == 200
    await app[CREDITS].idle()


async def test_the_pdf_certificate_verifies_like_the_json(world: World, earned: None,
                                                          tmp_path: Path) -> None:
    reply = await world.client.get(f"/api/credits/certificate?year={YEAR}&format=pdf",
                                   headers=world.auth("member"))
    assert reply.status == 200 and reply.content_type == "application/pdf"
    pdf = await reply.read()
    assert pdf.startswith(b"%PDF-")
    document = load(pdf)
    body = document["certificate"]
    assert check(document) == [] and body["hours"] == "1.5" and len(body["awards"]) == 3
    assert "check_url" not in body  # no address configured: none is made up
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    key = tmp_path / "server.pub"
    key.write_text(await (await world.client.get("/api/credits/signing-key")).text())
    assert redhall(["certificate", "verify", str(path), "--key", str(key)]) == 0
    # a PDF whose attached certificate was changed is refused
    from pypdf import PdfReader, PdfWriter

    forged = json.loads(json.dumps(document))
    forged["certificate"]["hours"] = "32"
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(pdf)))
    writer.add_attachment(ATTACHMENT, json.dumps(forged).encode())
    out = io.BytesIO()
    writer.write(out)
    path.write_bytes(out.getvalue())
    assert redhall(["certificate", "verify", str(path)]) == 1
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(b"%PDF-1.4\n%%EOF\n")
    assert redhall(["certificate", "verify", str(plain)]) == 2
    assert (await world.client.get(f"/api/credits/certificate?year={YEAR}&format=doc",
                                   headers=world.auth("member"))).status == 400
    if shutil.which("pdftoppm"):  # it renders: one page, for looking at
        png = tmp_path / "page"
        (tmp_path / "ok.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-singlefile", str(tmp_path / "ok.pdf"),
                        str(png)], check=True, timeout=60)
        assert (tmp_path / "page.png").stat().st_size > 5000


async def test_a_certificate_is_checked_online_by_its_number(world: World,
                                                             earned: None) -> None:
    document = await (await world.client.get(f"/api/credits/certificate?year={YEAR}",
                                             headers=world.auth("member"))).json()
    number = document["certificate"]["id"]
    reply = await world.client.get(f"/api/certificates/{number}/check")  # no log-in
    assert reply.status == 200
    assert await reply.json() == {"id": number, "valid": True, "name": "member-a",
                                  "year": YEAR, "hours": "1.5", "awards": 3}
    page = await world.client.get(f"/api/certificates/{number}/check",
                                  headers={"Accept": "text/html"})
    assert page.content_type == "text/html" and "证明有效" in await page.text()
    user, year, upto, digest = number.split("-")
    for other in (f"{user}-{year}-{upto}-{'0' * 24}", f"{world.users['member_b']}-{year}-"
                  f"{upto}-{digest}", f"{user}-{int(year) - 1}-{upto}-{digest}",
                  "1-2026-1-<script>", "99999999999-2026-1-" + "0" * 24,
                  f"{user}-{year}-999999999999-{digest}", f"{number}%0A", "x" * 300):
        reply = await world.client.get(f"/api/certificates/{other}/check")
        assert reply.status == 200, other
        result = await reply.json()
        assert result["valid"] is False and "name" not in result, other
    # an award raised in the database afterwards: the certificate no longer checks out
    async with world.client.server.app[SESSIONS].begin() as db:
        await db.execute(update(LedgerEntry).where(LedgerEntry.seq == 1).values(hours="8"))
    result = await (await world.client.get(f"/api/certificates/{number}/check")).json()
    assert result["valid"] is False and "altered" in result["reason"]


async def test_a_certificate_number_cannot_be_made_up(world: World, earned: None) -> None:
    """Ids carry a digest keyed by the server's secret: one computed from what anyone knows
    (a member's id and a year, no awards) names no one; a downloaded certificate's does."""
    for who in ("member_b", "admin", "member"):
        user = world.users[who]
        for upto in (0, 1, 3):
            plain = hashlib.sha256(canonical({"user": user, "year": YEAR, "awards": []})
                                   ).hexdigest()[:24]
            reply = await world.client.get(f"/api/certificates/{user}-{YEAR}-{upto}-{plain}"
                                           "/check")
            assert reply.status == 200
            result = await reply.json()
            assert result["valid"] is False and "name" not in result, (who, upto)
            assert "member" not in json.dumps(result) and "admin" not in json.dumps(result)
    # a real one, of a member with no awards yet: valid by its digest alone
    empty = await (await world.client.get(f"/api/credits/certificate?year={YEAR}",
                                          headers=world.auth("member_b"))).json()
    number = empty["certificate"]["id"]
    assert number.startswith(f"{world.users['member_b']}-{YEAR}-0-")
    result = await (await world.client.get(f"/api/certificates/{number}/check")).json()
    assert result["valid"] is True and result["name"] == "member-b" and "target" not in result
    # the same digest for another year, or claiming an award it does not count, is not
    user, year, upto, digest = number.split("-")
    for other in (f"{user}-{YEAR - 1}-0-{digest}", f"{user}-{year}-1-{digest}",
                  f"{world.users['member']}-{year}-0-{digest}"):
        result = await (await world.client.get(f"/api/certificates/{other}/check")).json()
        assert result["valid"] is False and "name" not in result, other
    # a certificate counting awards: its newest award must be the one it names
    full = await (await world.client.get(f"/api/credits/certificate?year={YEAR}&format=pdf",
                                         headers=world.auth("member"))).read()
    number = load(full)["certificate"]["id"]
    result = await (await world.client.get(f"/api/certificates/{number}/check")).json()
    assert result["valid"] is True and result["awards"] == 3
    # a number that is not one: never a server error
    for other in ("١-2026-0-" + "0" * 24, "1" * 5000 + f"-2026-0-{'0' * 24}"):
        reply = await world.client.get(f"/api/certificates/{other}/check")
        assert reply.status == 200 and (await reply.json())["valid"] is False


async def test_the_check_link_names_only_a_configured_address(world: World,
                                                              earned: None) -> None:
    """With REDHALL_SITE_URL set, certificates (downloaded, in the PDF, in the export)
    carry the check link and the PDF its QR code; the request's Host never does."""
    settings = world.client.app[SETTINGS]
    plain = await (await world.client.get(f"/api/credits/certificate?year={YEAR}",
                                          headers={**world.auth("member"),
                                                   "Host": "evil.example"})).json()
    assert "check_url" not in plain["certificate"]
    export = await (await world.client.get(f"/api/users/{world.users['member']}/export",
                                           headers=world.auth("member"))).json()
    assert export["certificates"] and all("check_url" not in c["certificate"]
                                          for c in export["certificates"])
    settings.site_url = "https://dangjian.example.org/redhall/"  # this test's world only
    document = await (await world.client.get(f"/api/credits/certificate?year={YEAR}",
                                             headers=world.auth("member"))).json()
    body = document["certificate"]
    assert body["check_url"] == ("https://dangjian.example.org/redhall/api/certificates/"
                                 f"{body['id']}/check")
    assert check(document) == []
    pdf = await (await world.client.get(f"/api/credits/certificate?year={YEAR}&format=pdf",
                                        headers=world.auth("member"))).read()
    assert load(pdf)["certificate"]["check_url"] == body["check_url"]
    export = await (await world.client.get(f"/api/users/{world.users['member']}/export",
                                           headers=world.auth("member"))).json()
    assert [c["certificate"]["check_url"] for c in export["certificates"]] == \
        [body["check_url"]]
