"""The tour bar: a strip across the top of the view while in a live tour.

It says that a tour is on and who leads it, where the tour is in the exhibit (the scene's
title and the stop's number across all its scenes), how many are present, whether
follow-me, the movement lock and mute-all are on, who is speaking and whether this member
may speak (the floor), that there is no audio device if so, this member's hand, the latest
questions, chat lines and reactions, the member's keys, a notice when the view could not
follow the tour (a scene or stop this package lacks), and, when the tour ends, that it has
ended and what to do next. Drawn with the full CJK font: names and chat are runtime
text.
"""

from __future__ import annotations

from typing import Any

from engine.panel import ACCENT, Panel
from engine.tour_scenes import TourSession
from engine.tour_text import reaction_name, tour_labels

ENDED_COLOUR = (1.0, 0.85, 0.35, 1.0)


class TourBar:
    """Shows the tour's state at the top of ``session``'s view, scene after scene."""

    def __init__(self, session: TourSession) -> None:
        self.session = session
        view = session.view
        self.labels = tour_labels(view.language)
        parent = view.panels if view.panels is not None else view.app.base.aspect2d
        self.panel = Panel(parent, view.ui_font, view.layout.widths["top"], "tour-bar")
        self.headset = view.xr is not None
        self.typing: str | None = None  # the prompt of the line being typed, if any
        self._laid_out: Any = None
        self._shown = ("", "")
        self.update(0.0)
        view.app.add(self)

    def _place(self) -> None:
        view = self.session.view
        if self._laid_out is not view:  # a new scene: its layout takes the bar
            self._laid_out = view
            view.layout.add("top", self.panel)

    def lines(self) -> tuple[str, str]:
        """The bar's title line and body, as shown."""
        tour, say = self.session.tour, self.labels
        if tour.ended:
            title = say["ended"] if tour.phase == "ended" else say["lost"]
            return f"{say['tour']} · {title}", say["ended_next"]
        names = {p.seat: p.name for p in tour.participants.values()}
        guides = [names.get(s, f"#{s}") for s in sorted(tour.guides)] or [say["nobody"]]
        parts = [f"{say['tour']} {say[tour.phase]}", f"{say['guide']} {'、'.join(guides)}"]
        place = self.session.position()
        if place is not None:
            title = self._scene_title(place.scene)
            stop = say["stop"].format(n=place.number, total=len(self.session.route))
            parts.append(f"{title} {stop}")
        present = sum(p.present for p in tour.participants.values()
                      if p.role in ("member", "spectator"))
        parts.append(f"{say['present']} {present}")
        parts.append(" ".join(f"{say[name]} {say['on'] if getattr(tour, name) else say['off']}"
                              for name in ("follow", "locked", "muted")))
        if tour.speaking:
            parts.append(f"{say['speaking']} " + "、".join(names.get(s, f"#{s}")
                                                          for s in sorted(tour.speaking)))
        if tour.role == "spectator":
            parts.append(say["spectator"])
        elif tour.role == "member":
            parts.append(say["hand_up"].format(n=tour.hands.index(tour.seat) + 1)
                         if tour.hand_raised else say["hand_down"])
        body = [] if tour.notice is None else [tour.notice]  # why the view did not follow
        if tour.audio_missing:
            body.append(say["no_audio"])
        if tour.role == "member":
            body.append(say["my_floor"] if tour.may_speak() else say["no_floor"])
        for seat, kind, text in tour.feed[-2:]:
            who = names.get(seat, f"#{seat}")
            if kind == "reaction":
                body.append(f"{who} {reaction_name(text, self.session.view.language)}")
            else:
                body.append(f"{who}{'（' + say['asked'] + '）' if kind == 'question' else ''}："
                            f"{text}")
        if tour.role == "member":
            body.append(say["vr_keys"] if self.headset else say["keys"])
        if self.typing is not None:
            body.append(self.typing)  # the entry is drawn after the prompt
        return "   ".join(parts), "\n".join(body)

    def _scene_title(self, scene: str) -> str:
        view = self.session.view
        if scene == view.scene.script.id:
            return view.scene.script.title.get(view.language)
        ref = next((r for r in view.exhibit.package.manifest.scenes if r.id == scene), None)
        return scene if ref is None else ref.title.get(view.language)

    def update(self, dt: float) -> None:
        self._place()
        shown = self.lines()
        if shown != self._shown or not self.panel.visible:
            self._shown = shown
            ended = self.session.tour.ended
            self.panel.title.node().setTextColor(*(ENDED_COLOUR if ended else ACCENT))
            self.panel.show(*shown)

    @property
    def text(self) -> str:
        return self.panel.text
