"""The talk keys: Space held talks in push-to-talk mode; F10 switches between push-to-talk
and voice activity (sending whenever the microphone hears speech)."""

from __future__ import annotations

from typing import Any

TALK_KEY = "space"
MODE_KEY = "f10"


class TalkKey:
    """Binds the talk keys of ``base`` (a ShowBase) to ``link`` (a TourLink)."""

    def __init__(self, base: Any, link: Any) -> None:
        self.link = link
        base.accept(TALK_KEY, link.talk, [True])
        base.accept(f"{TALK_KEY}-up", link.talk, [False])
        base.accept(MODE_KEY, self.switch)

    def switch(self) -> None:
        mode = self.link.talk_mode
        if mode is not None:
            self.link.set_talk_mode("vad" if mode == "push_to_talk" else "push_to_talk")
            self.link.talk(False)
