"""Narration for hotspots and route stops: given files normalized, missing ones spoken."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from protocol.scene import Hotspot, SceneScript
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


def hotspot_speech(hotspot: Hotspot) -> str:
    """What synthesized narration says for a hotspot: its title, then its text."""
    return f"{hotspot.title.zh_CN}。{hotspot.text.zh_CN}"


def needs_speech(scene: SceneScript) -> bool:
    return any(h.audio is None for h in scene.hotspots)


def build_narration(scene: SceneScript, root: Path, cache: BuildCache,
                    speech: bool) -> NarrationOutput:
    """Ogg narration per hotspot/stop/action, keyed ``owner -> language -> package path``,
    each Ogg with its lip-sync track beside it (``audio/<name>.lipsync.json``).

    Owners are hotspot ids, ``stop:<id>`` for route stops and ``action:<n>`` for actions.
    """
    from tools.audio_codec import normalize, synthesize  # loads libsndfile only when needed

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
        version = speech_version()
        for hotspot in scene.hotspots:
            if hotspot.audio is not None:
                continue
            text = hotspot_speech(hotspot)
            key = digest_of(PIPELINE_VERSION, "speech", version, text)
            hit = cache.get("audio", key)
            if hit is None:
                data, seconds = synthesize(text, f"{scene.id}/{hotspot.id}")
                cache.put("audio", key, {"seconds": seconds}, {"ogg": data})
            else:
                data, seconds = hit[1]["ogg"], hit[0]["seconds"]
            _store(out, hotspot.id, "zh-CN", data, seconds, cache)
            out.synthesized += 1
    return out
