"""Narration for hotspots and route stops: given files normalized, missing ones spoken.

Owners in the packaged scene's ``audio`` map: a hotspot's id, ``stop:<id>`` for a route
stop (a slug holds no colon, so the two never collide) and ``action:<n>`` for an action.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from protocol.i18n import LANGUAGES, Language, LocalizedText
from protocol.scene import Hotspot, RouteStop, SceneScript
from tools.audio import espeak_available, speech_version
from tools.cache import BuildCache, digest_of, file_digest
from tools.package import stable_json
from tools.props import PIPELINE_VERSION


@dataclass
class NarrationOutput:
    audio: dict[str, dict[str, str]] = field(default_factory=dict)
    lipsync: dict[str, str] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    synthesized: int = 0
    seconds: float = 0.0


def _lipsync(data: bytes, name: str, cache: BuildCache) -> bytes:
    """The lip-sync track (JSON) of Ogg ``data``, computed once per distinct audio."""
    from tools.lipsync import LIPSYNC_VERSION, track_of_ogg

    key = digest_of(LIPSYNC_VERSION, "lipsync", hashlib.sha256(data).hexdigest())
    hit = cache.get("lipsync", key)
    if hit is not None:
        return hit[1]["json"]
    track = stable_json(track_of_ogg(data, name).model_dump(mode="json"))
    cache.put("lipsync", key, {}, {"json": track})
    return track


def _store(out: NarrationOutput, owner: str, language: str, data: bytes, seconds: float,
           cache: BuildCache) -> None:
    stem = f"audio/{hashlib.sha256(data).hexdigest()[:20]}"
    name = f"{stem}.ogg"
    if name not in out.files:
        out.files[name] = data
        out.files[f"{stem}.lipsync.json"] = _lipsync(data, name, cache)
        out.lipsync[name] = f"{stem}.lipsync.json"
    out.audio.setdefault(owner, {})[language] = name
    out.seconds += seconds


def _given(audio: object) -> dict[str, str]:
    if isinstance(audio, str):
        return {"zh-CN": audio}
    return dict(audio) if isinstance(audio, dict) else {}


def _written(text: LocalizedText) -> dict[Language, str | None]:
    return dict(zip(("zh-CN", "zh-TW", "en"), (text.zh_CN, text.zh_TW, text.en), strict=True))


def hotspot_speech(hotspot: Hotspot) -> dict[Language, str]:
    """What synthesized narration says for a hotspot, per language: its title, then its
    text, in each language both are written in and has no recorded file for."""
    given = _given(hotspot.audio)
    titles, texts = _written(hotspot.title), _written(hotspot.text)
    return {language: f"{title}{'. ' if language == 'en' else '。'}{text}"
            for language in LANGUAGES
            if (title := titles[language]) is not None and (text := texts[language]) is not None
            and language not in given}


def stop_speech(stop: RouteStop) -> dict[Language, str]:
    """What synthesized narration says for a route stop, per language: its ``say`` line in
    each language it is written in and has no recorded file for."""
    given = _given(stop.audio)
    texts = _written(stop.say)
    return {language: text for language in LANGUAGES
            if (text := texts[language]) is not None and language not in given}


def needs_speech(scene: SceneScript) -> bool:
    return any(hotspot_speech(h) for h in scene.hotspots) \
        or any(stop_speech(s) for s in scene.route)


def speech_lines(scene: SceneScript, languages: Collection[str] | None = None
                 ) -> dict[Language, int]:
    """How many lines of ``scene`` want synthesized speech, per language (only those in
    ``languages`` when given)."""
    counts: dict[Language, int] = {}
    wanted = [hotspot_speech(h) for h in scene.hotspots] + [stop_speech(s) for s in scene.route]
    for lines in wanted:
        for language in lines:
            if languages is None or language in languages:
                counts[language] = counts.get(language, 0) + 1
    return counts


def unvoiced(scene: SceneScript, languages: Collection[str] | None = None) -> list[str]:
    """One line per language the scene would speak but espeak-ng has no voice for here:
    those lines are left silent, and a build says so rather than ship them quietly."""
    from tools.voices import VOICES, voice_for

    return [f"{scene.id}: no espeak-ng voice {VOICES[language]!r} for {language} here; "
            f"{count} narration line{'s' if count > 1 else ''} left silent (install the "
            "voice, or give recorded narration files)"
            for language, count in sorted(speech_lines(scene, languages).items())
            if voice_for(language) is None]


def speech_key(text: str, language: Language, version: str) -> str:
    """The cache key of ``text`` spoken in ``language``: the speech version and the
    language's whole command line (voice, rate, options) as well as the text."""
    from tools.voices import voice_identity

    return digest_of(PIPELINE_VERSION, "speech", version, voice_identity(language) or "",
                     text)


def _spoken(text: str, language: Language, name: str, version: str,
            cache: BuildCache) -> tuple[bytes, float]:
    """``text`` synthesized in ``language`` (cached by :func:`speech_key`)."""
    from tools.voices import speak

    key = speech_key(text, language, version)
    hit = cache.get("audio", key)
    if hit is not None:
        return hit[1]["ogg"], hit[0]["seconds"]
    data, seconds = speak(text, language, name)
    cache.put("audio", key, {"seconds": seconds}, {"ogg": data})
    return data, seconds


def build_narration(scene: SceneScript, root: Path, cache: BuildCache,
                    speech: bool, languages: Collection[str] | None = None) -> NarrationOutput:
    """Ogg narration per hotspot/stop/action, keyed ``owner -> language -> package path``,
    each Ogg with its lip-sync track beside it (``audio/<name>.lipsync.json``).

    Owners are hotspot ids, ``stop:<id>`` for route stops and ``action:<n>`` for actions.
    Stop lines are synthesized in ``languages`` (the exhibit's; every language a line is
    written in when None) where espeak-ng has a voice; :func:`unvoiced` names the rest.
    """
    from tools.audio_codec import normalize  # loads libsndfile only when needed

    out = NarrationOutput()
    owners: list[tuple[str, dict[str, str]]] = [(h.id, _given(h.audio)) for h in scene.hotspots]
    owners += [(f"stop:{s.id}", _given(s.audio)) for s in scene.route]
    owners += [(f"action:{i}", {"zh-CN": a.do.play_audio}) for i, a in enumerate(scene.actions)
               if getattr(a.do, "play_audio", None)]
    for owner, files in owners:
        for language, relative in sorted(files.items()):
            path = root / relative
            key = digest_of(PIPELINE_VERSION, "audio", file_digest(path))
            hit = cache.get("audio", key)
            if hit is None:
                data, seconds = normalize(path, relative)
                cache.put("audio", key, {"seconds": seconds}, {"ogg": data})
            else:
                data, seconds = hit[1]["ogg"], hit[0]["seconds"]
            _store(out, owner, language, data, seconds, cache)
    if speech and espeak_available():
        from tools.voices import voice_for

        version = speech_version()
        spoken = [(h.id, hotspot_speech(h)) for h in scene.hotspots]
        spoken += [(f"stop:{s.id}", stop_speech(s)) for s in scene.route]
        for owner, lines in spoken:  # in every language written, with a voice here
            for language, text in lines.items():
                if voice_for(language) is None or (languages is not None
                                                   and language not in languages):
                    continue
                data, seconds = _spoken(text, language, f"{scene.id}/{owner}/{language}",
                                        version, cache)
                _store(out, owner, language, data, seconds, cache)
                out.synthesized += 1
    return out
