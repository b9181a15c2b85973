"""What a notice says, in a reader's language: from its kind and the detail kept with it
(the tour's title and times, already in the tour's own zone)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.web.catalogue import translate

# the reasons server.tour_changes gives, and the catalogue's words for them
REASONS = {
    "the tour was cancelled": "inbox.reason.cancelled",
    "your branch is no longer invited": "inbox.reason.uninvited",
}


@dataclass(frozen=True)
class Wording:
    """A notice in words: a heading (the kind), one sentence, and where to look."""

    heading: str
    text: str
    link: str

    def subject(self, lang: str, title: str) -> str:
        return translate(lang, "inbox.mail.subject", kind=self.heading, title=title)


def when(lang: str, iso: str | None) -> str:
    """A time kept as ISO 8601 with its offset, written for readers of ``lang`` in that
    offset (the tour's zone), with the offset said."""
    if not iso:
        return translate(lang, "inbox.when.unknown")
    moment = datetime.fromisoformat(iso)
    offset = moment.strftime("%z")
    return translate(lang, "inbox.when", year=moment.year, month=moment.month,
                     day=moment.day, clock=moment.strftime("%H:%M"),
                     offset=f"{offset[:3]}:{offset[3:]}" if offset else "+00:00")


def title_of(detail: dict[str, Any] | None) -> str:
    return str((detail or {}).get("title") or "")


def word(lang: str, kind: str, detail: dict[str, Any] | None, site_url: str) -> Wording:
    """The notice of ``kind`` with ``detail`` in ``lang``; ``site_url``: the portal's home."""
    detail = detail or {}
    title = title_of(detail)
    link = f"{site_url.rstrip('/')}/tours"
    if kind == "tour_moved":
        now, was = detail.get("now") or {}, detail.get("was") or {}
        text = translate(lang, "inbox.text.tour_moved", title=title,
                         when=when(lang, now.get("starts_at")),
                         was=when(lang, was.get("starts_at")),
                         minutes=now.get("duration_minutes", "?"))
    elif kind == "tour_cancelled":
        reason = REASONS.get(str(detail.get("reason")), "inbox.reason.cancelled")
        text = translate(lang, "inbox.text.tour_cancelled", title=title,
                         when=when(lang, detail.get("starts_at")),
                         reason=translate(lang, reason))
    else:
        text = translate(lang, "inbox.text.reminder", title=title,
                         when=when(lang, detail.get("starts_at")))
    heading = translate(lang, f"inbox.kind.{kind}" if kind in KINDS else "inbox.kind.reminder")
    return Wording(heading, text, link)


KINDS = ("reminder", "tour_moved", "tour_cancelled")


def mail_body(lang: str, wording: Wording, name: str) -> str:
    return "\n\n".join((translate(lang, "inbox.mail.greeting", name=name), wording.text,
                        translate(lang, "inbox.mail.link", url=wording.link),
                        translate(lang, "inbox.mail.footer")))


# markdown a title could use to put links or markup in a group chat, made plain text
_PLAIN = str.maketrans({"[": "［", "]": "］", "(": "（", ")": "）", "<": "＜", ">": "＞",
                        "*": "＊", "`": "｀", "#": "＃", "\n": " ", "\r": " "})


def robot_markdown(lang: str, wording: Wording) -> str:
    """A group's message: it names the tour, never a person."""
    heading, text = wording.heading.translate(_PLAIN), wording.text.translate(_PLAIN)
    return (f"#### {heading}\n\n{text}\n\n"
            f"{translate(lang, 'inbox.robot.note')}\n\n"
            f"[{translate(lang, 'inbox.see_tours')}]({wording.link})")
