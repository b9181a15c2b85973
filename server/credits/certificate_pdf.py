"""The yearly certificate as a printable PDF: the member's name, year, hours against the
target, the awards, and a QR code for the public check (where the server's address is
configured; else the certificate number and where to check it); the signed certificate JSON rides
inside as an attached file, so ``redhall certificate verify`` checks the PDF as it checks
the JSON."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from typing import Any

ATTACHMENT = "redhall-certificate.json"
FONT = "STSong-Light"  # Adobe's CID font for simplified Chinese: in every PDF reader

_KIND_WORDS = {"scene": "场景参观", "exhibit": "展览全程", "tour": "导览参学", "lead": "带领导览"}


def _award_line(award: dict[str, Any]) -> str:
    subject = award.get("subject") or {}
    kind = _KIND_WORDS.get(str(subject.get("kind")), str(subject.get("kind", "")))
    where = " / ".join(str(subject[k]) for k in ("exhibit", "scene") if subject.get(k))
    if subject.get("tour") is not None:
        where += f"（导览 #{subject['tour']}）"
    return f"{str(award.get('at', ''))[:10]}  {kind}  {where}"


def render(document: dict[str, Any]) -> bytes:
    """The PDF of a signed certificate ``document`` (as :func:`certificate.issue` makes)."""
    from pypdf import PdfReader, PdfWriter
    from reportlab.lib.colors import HexColor
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen.canvas import Canvas

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    body = document["certificate"]
    member, awards = body["member"], body["awards"]
    buffer = io.BytesIO()
    page = Canvas(buffer, pagesize=A4, invariant=True)
    width, height = A4
    red = HexColor("#b71c1c")
    page.setTitle(f"学时证明 {body['year']} {member.get('name', '')}")
    page.setAuthor("RedHall")
    page.setSubject(body.get("id", ""))
    page.setStrokeColor(red)
    page.setLineWidth(3)
    page.rect(28, 28, width - 56, height - 56)
    page.setLineWidth(0.8)
    page.rect(36, 36, width - 72, height - 72)
    page.setFillColor(red)
    page.setFont(FONT, 28)
    page.drawCentredString(width / 2, height - 110, "党员教育学时证明")
    page.setFont(FONT, 12)
    page.drawCentredString(width / 2, height - 135, "Certificate of Party-Member Learning Hours")
    page.setFillColor(HexColor("#212121"))
    hours, target = Decimal(body["hours"]), Decimal(body["target"])
    lines = [
        (16, f"姓名：{member.get('name', '')}（{member.get('username', '')}）"),
        (16, f"年度：{body['year']} 年"),
        (16, f"已获学时：{hours:g} 学时　年度目标：{target:g} 学时"),
        (16, "完成情况：" + ("已完成年度目标" if body.get("met") else
                            f"尚差 {max(target - hours, Decimal(0)):g} 学时")),
    ]
    y = height - 190
    for size, text in lines:
        page.setFont(FONT, size)
        page.drawString(72, y, text)
        y -= size + 14
    y -= 6
    page.setFont(FONT, 13)
    page.drawString(72, y, f"学时明细（{len(awards)} 项）")
    y -= 8
    page.line(72, y, width - 72, y)
    y -= 18
    page.setFont(FONT, 10.5)
    shown = awards if len(awards) <= 24 else awards[:23]
    for award in shown:
        page.drawString(80, y, _award_line(award))
        page.drawRightString(width - 80, y, f"{Decimal(award['hours']):g} 学时")
        y -= 17
    if len(shown) < len(awards):
        page.drawString(80, y, f"…… 另有 {len(awards) - len(shown)} 项，见附带的证书文件")
        y -= 17
    url = body.get("check_url") or ""
    if url:
        _qr(page, url, width - 72 - 110, 80, 110)
        page.setFont(FONT, 10)
        page.drawRightString(width - 72 - 120, 170, "扫码或访问以下地址核验本证明：")
        page.setFont("Helvetica", 7)
        page.drawRightString(width - 72 - 120, 156, url)
    else:  # the server's public address is not configured: name no address
        page.setFont(FONT, 10)
        page.drawString(72, 170, "凭证明编号，可在本单位 RedHall 系统的以下地址核验本证明：")
        page.setFont("Helvetica", 8)
        page.drawString(72, 156, f"<RedHall address>/api/certificates/{body.get('id', '')}/check")
    page.setFont(FONT, 9)
    page.drawString(72, 110, f"签发时间：{body.get('issued_at', '')}")
    page.drawString(72, 96, f"证明编号：{body.get('id', '')}")
    page.drawString(72, 82, "本文件附带电子签名证书，可用 redhall certificate verify 离线核验。")
    page.showPage()
    page.save()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(buffer.getvalue())))
    writer.add_attachment(ATTACHMENT, json.dumps(document, ensure_ascii=False,
                                                 sort_keys=True).encode("utf-8"))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _qr(page: Any, url: str, x: float, y: float, size: float) -> None:
    import segno

    code = segno.make(url, error="m", micro=False)
    matrix = [list(row) for row in code.matrix]
    cell = size / (len(matrix) + 8)  # the quiet zone: four cells each side
    from reportlab.lib.colors import black, white

    page.setFillColor(white)
    page.rect(x, y, size, size, stroke=0, fill=1)
    page.setFillColor(black)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                page.rect(x + (c + 4) * cell, y + size - (r + 5) * cell, cell, cell,
                          stroke=0, fill=1)


def attached(data: bytes) -> Any:
    """The certificate JSON inside a certificate PDF (ValueError when there is none)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        files = PdfReader(io.BytesIO(data)).attachments
        content = files.get(ATTACHMENT)
    except (PyPdfError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not a readable PDF ({exc})") from None
    if not content:
        raise ValueError(f"this PDF carries no {ATTACHMENT}: not a RedHall certificate")
    return json.loads(content[0].decode("utf-8"))
