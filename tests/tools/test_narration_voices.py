"""The voices that speak narration are part of the build's identity: a language the
exhibit ships with no espeak-ng voice here is reported, not silently dropped, and another
voice, rate or option gives another fingerprint and another speech cache key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from protocol.i18n import Language
from protocol.manifest import PackagedScene
from protocol.package import open_package
from tests.conftest import MINIMAL_EXHIBIT, run_cli
from tools import voices
from tools.audio import espeak_available, speech_version
from tools.build import build_exhibit, fingerprint
from tools.cache import BuildCache
from tools.narration import speech_key
from tools.props import BuildOptions
from tools.validate import load_exhibit

SPEECH = BuildOptions(speech=True, thumbnails=False)
CHINESE_ONLY = MINIMAL_EXHIBIT + "languages: [zh-CN]\n"


def test_a_missing_voice_is_reported_and_changes_the_fingerprint(
        content: Callable[..., Path], key: Ed25519PrivateKey, key_files: tuple[Path, Path],
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert espeak_available(), "scripts/setup installs espeak-ng"
    exhibit = content()  # zh-CN and en, by default
    sources, problems = load_exhibit(exhibit)
    assert sources is not None, problems
    whole = fingerprint(sources, SPEECH, key)
    monkeypatch.setitem(voices.VOICES, "en", "en-nowhere")  # a voice this machine lacks
    assert fingerprint(sources, SPEECH, key) != whole  # never "up to date" with the other

    messages: list[str] = []
    built = build_exhibit(exhibit, tmp_path / "dist", key, SPEECH, BuildCache(None),
                          messages.append)
    (warning,) = built.warnings
    assert "tiny" in warning and "'en-nowhere'" in warning and "for en" in warning
    assert "2 narration lines left silent" in warning  # the hotspot and the route stop
    assert f"warning: {warning}" in messages
    assert built.as_dict()["warnings"] == [warning]  # `redhall build --json` carries it
    package = open_package(built.path, [key.public_key()])
    packaged = PackagedScene.model_validate_json(package.read(package.manifest.scenes[0].script))
    assert set(packaged.audio["stop:start"]) == {"zh-CN"}
    again = build_exhibit(exhibit, tmp_path / "dist", key, SPEECH, BuildCache(None))
    assert again.status == "up to date" and again.warnings == [warning]  # said every time
    code, printed, _ = run_cli("build", str(exhibit), "--out", str(tmp_path / "dist"),
                               "--key", str(key_files[0]), "--no-thumbnails")
    assert code == 0 and "warning:" in printed and "en-nowhere" in printed  # and on screen

    monkeypatch.undo()
    assert build_exhibit(exhibit, tmp_path / "dist", key, SPEECH,
                         BuildCache(None)).warnings == []


def test_a_language_the_exhibit_does_not_ship_needs_no_voice(
        content: Callable[..., Path], key: Ed25519PrivateKey, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    sources, problems = load_exhibit(content(exhibit=CHINESE_ONLY))  # no English
    assert sources is not None, problems
    whole = fingerprint(sources, SPEECH, key)
    monkeypatch.setitem(voices.VOICES, "en", "en-nowhere")
    assert fingerprint(sources, SPEECH, key) == whole


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_the_rate_and_the_voice_are_in_the_speech_cache_key(
        language: Language, monkeypatch: pytest.MonkeyPatch) -> None:
    version = speech_version()
    before = speech_key("一张长桌", language, version)
    assert speech_key("一张长桌", language, version) == before
    monkeypatch.setattr(voices, "RATE_WPM", "170")
    faster = speech_key("一张长桌", language, version)
    assert faster != before
    assert "-s 170" in (voices.voice_identity(language) or "")
    monkeypatch.setitem(voices.VOICES, language, "en-us-nyc")  # installed, another voice
    assert speech_key("一张长桌", language, version) not in (before, faster)
