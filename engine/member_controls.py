"""A member's part in a live tour from `redhall view --tour`: keys, and the left hand's
buttons in a headset.

R raise or lower the hand · T type a question (Tab: a chat line instead; Enter sends,
Esc cancels) · F5–F9 react (applause, heart, thumbs-up, question, flag). In a headset the
left controller's X raises or lowers the hand and Y applauds. Only a member acts: a
guide steers with :class:`~engine.guide_controls.GuideControls`, a spectator watches.
"""

from __future__ import annotations

from typing import Any

from direct.gui.DirectEntry import DirectEntry

from engine.desktop import HELD_BUTTONS
from engine.tour_bar import TourBar
from engine.tour_scenes import TourSession
from protocol import tour as wire

REACTION_KEYS = {f"f{5 + i}": reaction for i, reaction in enumerate(wire.REACTIONS)}
TYPING_PREFIX = "typing-"  # other keys are renamed while a line is typed, so none acts


class MemberControls:
    """Sends this member's hand, questions, chat and reactions to the tour."""

    def __init__(self, session: TourSession, bar: TourBar) -> None:
        self.session = session
        self.bar = bar
        self.entry: DirectEntry | None = None
        self.mode = "ask"  # or "chat": what Enter sends
        self.sent: list[Any] = []  # what was sent, newest last (shown by tests)
        base = session.app.base
        base.accept("r", self.toggle_hand)
        base.accept("t", self.start_typing)
        for key, reaction in REACTION_KEYS.items():
            base.accept(key, self.react, [reaction])
        base.accept(f"{TYPING_PREFIX}escape", self.stop_typing)
        base.accept(f"{TYPING_PREFIX}tab", self.switch_mode)
        headset = session.view.xr
        if headset is not None:
            headset.on_button.append(self._button)
        session.app.add(self)

    @property
    def acting(self) -> bool:
        """Whether this participant may act as a member now."""
        tour = self.session.tour
        return tour.role == "member" and not tour.ended

    def _send(self, message: Any) -> None:
        self.session.link.send(message)
        self.sent.append(message)

    def toggle_hand(self) -> None:
        if self.acting:
            self._send(wire.RaiseHand(raised=not self.session.tour.hand_raised))

    def react(self, reaction: str) -> None:
        if self.acting:
            self._send(wire.React(reaction=reaction))

    def _button(self, name: str) -> None:
        if name == "hand":
            self.toggle_hand()
        elif name == "react":
            self.react("applause")

    # -- typing a line ------------------------------------------------------------------

    def start_typing(self, mode: str = "ask") -> None:
        """Opens the entry under the tour bar (a desktop only: a headset has no keyboard)."""
        if not self.acting or self.entry is not None or self.session.view.xr is not None:
            return
        self.mode = mode
        self.entry = DirectEntry(parent=self.bar.panel.root, scale=0.05,
                                 entryFont=self.session.view.ui_font, width=20, numLines=1,
                                 focus=1, command=self.submit, frameColor=(0.2, 0.18, 0.17, 1),
                                 text_fg=(1.0, 0.97, 0.9, 1.0), suppressKeys=True)
        self._release_held()
        self._prefix(TYPING_PREFIX)
        self._prompt()

    def switch_mode(self) -> None:
        if self.entry is not None:
            self.mode = "chat" if self.mode == "ask" else "ask"
            self._prompt()

    def _prompt(self) -> None:
        self.bar.typing = self.bar.labels["typing_ask" if self.mode == "ask" else "typing_chat"]
        self.bar.update(0.0)
        self._place_entry()

    def submit(self, text: str) -> None:
        """Sends the typed line as a question or a chat line (Enter), and closes the entry."""
        line = text.strip()[:wire.MAX_TEXT]
        if line and self.acting:
            self._send(wire.Ask(text=line) if self.mode == "ask" else wire.Chat(text=line))
        self.stop_typing()

    def stop_typing(self) -> None:
        if self.entry is not None:
            self.entry.destroy()
            self.entry = None
        self._prefix("")
        self.bar.typing = None

    def _release_held(self) -> None:
        """Lets go of the movement keys and the look button: once typing renames keys, a
        key held now would have its release renamed too, and walk on by itself."""
        messenger = self.session.app.base.messenger
        for button in HELD_BUTTONS:
            messenger.send(f"{button}-up")
        self.session.view.navigation.walk(0, 0)  # at once, not from the next frame on

    def _prefix(self, prefix: str) -> None:
        for thrower in getattr(self.session.app.base, "buttonThrowers", None) or []:
            thrower.node().setPrefix(prefix)

    def _place_entry(self) -> None:
        if self.entry is None:
            return
        panel = self.bar.panel
        body = panel.body.node()
        prompt = body.calcWidth(self.bar.typing or "") * panel.body.getSx()
        left = 0.04 + prompt + 0.02
        self.entry.setPos(left, 0, -panel.height + 0.045)
        self.entry["width"] = max(4.0, (panel.width - left - 0.05) / 0.05)

    def update(self, dt: float) -> None:
        if self.entry is not None and not self.acting:
            self.stop_typing()  # the tour ended while typing
        self._place_entry()
